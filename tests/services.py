"""Real PostgreSQL and Redis for tests: availability checks, throwaway databases, skip-or-fail.

Tests that need a service call ``require_services(postgres=True)`` (or ``redis=True``) first, or mark themselves
with ``pytestmark = services_mark(postgres=True)``. Where a service is unreachable they are skipped with the
reason, unless TOPUP_REQUIRE_SERVICES=1 (the test command sets it; CI has both services): then they fail.

    def test_something() -> None:
        require_services(postgres=True)
        with temporary_postgres_database("orders") as url:
            ...
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from psycopg2.extensions import connection

POSTGRES_HOST = "127.0.0.1"
POSTGRES_PORT = 5432
POSTGRES_USER = "postgres"
REDIS_HOST = "127.0.0.1"
REDIS_PORT = 6379
REQUIRE_ENV = "TOPUP_REQUIRE_SERVICES"


def postgres_url(db: str = "postgres") -> str:
    """SQLAlchemy URL of a database on the test server."""
    return f"postgresql+psycopg2://{POSTGRES_USER}@{POSTGRES_HOST}:{POSTGRES_PORT}/{db}"


def _connect_admin() -> connection:
    import psycopg2

    conn = psycopg2.connect(
        host=POSTGRES_HOST, port=POSTGRES_PORT, user=POSTGRES_USER, dbname="postgres", connect_timeout=3
    )
    conn.autocommit = True  # CREATE/DROP DATABASE refuse to run inside a transaction
    return conn


@lru_cache(maxsize=1)
def postgres_available() -> bool:
    """Whether the server answers a query (checked once per test run)."""
    try:
        conn = _connect_admin()
    except Exception:  # any failure means "not available"
        return False
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    finally:
        conn.close()


@lru_cache(maxsize=1)
def redis_available() -> bool:
    """Whether Redis answers PING (checked once per test run)."""
    try:
        import redis

        client = redis.Redis(host=REDIS_HOST, port=REDIS_PORT, socket_connect_timeout=3, socket_timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:
        return False


def services_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "").strip() == "1"


def _missing(postgres: bool, redis: bool) -> list[str]:
    missing = []
    if postgres and not postgres_available():
        missing.append(f"PostgreSQL at {POSTGRES_HOST}:{POSTGRES_PORT} (user {POSTGRES_USER})")
    if redis and not redis_available():
        missing.append(f"Redis at {REDIS_HOST}:{REDIS_PORT}")
    return missing


def require_services(postgres: bool = True, redis: bool = False) -> None:
    """Skip the calling test when a service is unreachable; fail instead when TOPUP_REQUIRE_SERVICES=1."""
    missing = _missing(postgres, redis)
    if not missing:
        return
    reason = "unreachable: " + "; ".join(missing)
    if services_required():
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(f"{reason} (set {REQUIRE_ENV}=1 to make this fail)")


def services_mark(postgres: bool = True, redis: bool = False) -> pytest.MarkDecorator:
    """A marker for a test or module (``pytestmark = services_mark(redis=True)``).

    Skips when a service is unreachable, unless TOPUP_REQUIRE_SERVICES=1: then the test runs and fails on its
    own connection error (call ``require_services`` too, in the test or its fixture, for a clearer message).
    """
    missing = _missing(postgres, redis)
    return pytest.mark.skipif(
        bool(missing) and not services_required(), reason="unreachable: " + "; ".join(missing or ["nothing"])
    )


@contextmanager
def temporary_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database with a unique name; yields its SQLAlchemy URL, then drops it (even if in use)."""
    safe = re.sub(r"[^a-z0-9_]", "_", prefix.lower())[:40] or "test"
    name = f"{safe}_{uuid.uuid4().hex[:12]}"
    conn = _connect_admin()
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    try:
        yield postgres_url(name)
    finally:
        conn = _connect_admin()
        try:
            with conn.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            conn.close()

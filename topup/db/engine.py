"""Engines and sessions. An engine is made by the application object at start; nothing connects before a
session is used."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.orm import Session, sessionmaker


@dataclass(frozen=True)
class Pool:
    """Bounds for a server database's connections, so a down or hung database fails a request within seconds."""

    size: int = 5
    max_overflow: int = 10
    timeout_s: float = 5.0
    recycle_s: int = 1800
    connect_timeout_s: int = 3
    statement_timeout_ms: int = 5000


def make_engine(url: str, pool: Pool | None = None) -> Engine:
    """An engine (nothing connects yet): SQLite gets WAL and a busy timeout, servers a bounded pool."""
    pool = pool or Pool()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # Its folder, if it can be made; if not, the first use fails (and is answered), not the start.
            with suppress(OSError):
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(
        url,
        future=True,
        pool_size=pool.size,
        max_overflow=pool.max_overflow,
        pool_timeout=pool.timeout_s,
        pool_recycle=pool.recycle_s,
        pool_pre_ping=True,
        connect_args=connect_args(parsed, pool.connect_timeout_s, pool.statement_timeout_ms),
    )


def connect_args(parsed: URL, connect_timeout_s: int, statement_timeout_ms: int = 0) -> dict[str, Any]:
    """PostgreSQL (psycopg2): a bounded connect and, for requests, a statement timeout (0: none).

    Anything the URL's query string already sets (``?connect_timeout=``, ``?options=``) wins.
    """
    if parsed.get_backend_name() != "postgresql" or parsed.get_driver_name() != "psycopg2":
        return {}
    args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        args["connect_timeout"] = connect_timeout_s
    if statement_timeout_ms > 0 and "options" not in parsed.query:
        args["options"] = f"-c statement_timeout={statement_timeout_ms}"
    return args


@lru_cache(maxsize=8)
def _factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@lru_cache(maxsize=8)
def _reading_factory(engine: Engine) -> sessionmaker:
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for reads alone. On PostgreSQL it runs in autocommit: no BEGIN and no COMMIT, two round trips
    of five for an order lookup (reports/bench/FINDINGS.md). Each statement sees its own snapshot, which is all
    a lookup needs. Nothing it adds or changes is saved."""
    session: Session = _reading_factory(engine)()
    try:
        yield session
    finally:
        session.close()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on error: owned by services only."""
    session: Session = _factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

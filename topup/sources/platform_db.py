"""The connection to a platform's database: read-only, every statement bounded, failures named.

- MySQL / MariaDB through PyMySQL: a bounded connect and read (`connect_timeout`, `read_timeout`), the session set
  read-only, and a server-side statement limit (MariaDB `max_statement_time`, MySQL `max_execution_time`);
- PostgreSQL through psycopg2 (acg-faka ships a PostgreSQL schema): `statement_timeout` and
  `default_transaction_read_only`.

A platform stores its times as local wall-clock times (naive, in the shop's zone): `to_utc` turns them into the
naive UTC the rest of the assistant reads.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import TextClause

from topup.sources import SourceUnavailable

logger = logging.getLogger(__name__)


def make_source_engine(url: str, statement_timeout_ms: int, connect_timeout_s: int = 3, pool_size: int = 5) -> Engine:
    """An engine on the platform's database (nothing connects yet)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    args: dict[str, Any] = {}
    if backend == "mysql":
        seconds = max(1, math.ceil(statement_timeout_ms / 1000))
        args = {"connect_timeout": connect_timeout_s, "read_timeout": seconds + 1, "write_timeout": seconds + 1}
        if "charset" not in parsed.query:
            args["charset"] = "utf8mb4"
    elif backend == "postgresql":
        args = {"connect_timeout": connect_timeout_s,
                "options": f"-c statement_timeout={statement_timeout_ms} -c default_transaction_read_only=on"}
    engine = create_engine(url, future=True, pool_size=pool_size, max_overflow=pool_size, pool_timeout=5,
                           pool_recycle=1800, pool_pre_ping=True, connect_args=args)
    if backend == "mysql":

        @event.listens_for(engine, "connect")
        def _bounded(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            try:
                cursor.execute("SELECT VERSION()")
                version = str(cursor.fetchone()[0])
                if "mariadb" in version.lower():
                    cursor.execute(f"SET SESSION max_statement_time = {statement_timeout_ms / 1000:.3f}")
                else:
                    cursor.execute(f"SET SESSION max_execution_time = {int(statement_timeout_ms)}")
                cursor.execute("SET SESSION TRANSACTION READ ONLY")
            finally:
                cursor.close()

    return engine


def fetch(engine: Engine, statement: str | TextClause, params: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    """The rows of one read, as mappings; SourceUnavailable when the database is down, slow or refuses."""
    statement = text(statement) if isinstance(statement, str) else statement
    try:
        with engine.connect() as connection:
            rows = connection.execute(statement, dict(params)).mappings().all()
            connection.rollback()
            return rows
    except SQLAlchemyError as exc:
        logger.error("order source: %s", exc.__class__.__name__)
        raise SourceUnavailable(exc.__class__.__name__) from exc


def to_utc(value: datetime | str | None, zone: ZoneInfo) -> datetime | None:
    """A platform's local time (naive, or a 'Y-m-d H:i:s' string) as naive UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def cents(amount: object) -> int:
    """A decimal amount (yuan) as cents."""
    try:
        return int(round(float(amount) * 100))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0

"""Schema changes through Alembic (migrations/ at the repo root): the only way real databases get their tables.

``upgrade()`` brings a database to the newest revision. It adopts a database made earlier by ``create_all``
(tables, no alembic_version): stamped as the newest revision when it already matches the schema, else as
``0001_initial``, then upgraded. One migrator at a time: a PostgreSQL advisory lock, a lock file for SQLite, so
several processes starting at once wait for each other instead of racing to create the same tables.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.pool import NullPool

from topup.db.engine import connect_args
from topup.db.schema import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
INITIAL = "0001_initial"
VERSION_TABLE = "alembic_version"
# pg_advisory_lock key shared by every migrator of this project ("topupmig" as a big-endian bigint).
ADVISORY_LOCK_KEY = int.from_bytes(b"topupmig", "big") & 0x7FFF_FFFF_FFFF_FFFF


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """The Config the alembic command line would build from topup/db/migrations/alembic.ini, made in code."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolates '%': escape it (URL-encoded passwords contain it).
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head() -> str | None:
    """The newest revision in topup/db/migrations/versions."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def upgrade(url: str, connect_timeout_s: int = 3) -> None:
    """Bring the database to head; safe to run repeatedly and from several processes at once."""
    with migration_connection(url, connect_timeout_s) as conn:
        cfg = alembic_config(url, conn)
        legacy_revision = _legacy_revision(conn)
        if legacy_revision is not None:
            command.stamp(cfg, legacy_revision)
            _end_transaction(conn)
        command.upgrade(cfg, "head")
        _end_transaction(conn)


def current(url: str) -> str | None:
    """The revision the database is at; None for a database Alembic has never touched (or downgraded to base)."""
    engine = create_engine(url, future=True, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def schema_differences(connection: Connection) -> list[Any]:
    """What autogenerate would change to make the database match topup.db.schema (empty when it matches)."""
    context = MigrationContext.configure(connection, opts={"compare_type": True, "target_metadata": Base.metadata})
    return list(compare_metadata(context, Base.metadata))


@contextmanager
def migration_connection(url: str, connect_timeout_s: int = 3) -> Iterator[Connection]:
    """A connection holding the project's migration lock; the lock goes when the connection closes.

    Bounded connect, but no statement timeout: a migration may legitimately take longer than a request."""
    parsed = make_url(url)
    engine = create_engine(parsed, future=True, poolclass=NullPool,
                           connect_args=connect_args(parsed, connect_timeout_s))
    try:
        with _sqlite_file_lock(parsed), engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
            yield conn
            # On an error the unlock is skipped: closing the connection (NullPool) releases the lock anyway.
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                conn.commit()
    finally:
        engine.dispose()


def _legacy_revision(conn: Connection) -> str | None:
    """The revision to stamp a create_all database with; None when Alembic already manages it (or it is empty)."""
    tables = set(inspect(conn).get_table_names())
    _end_transaction(conn)
    if VERSION_TABLE in tables or not tables & set(Base.metadata.tables):
        return None
    differences = schema_differences(conn)
    _end_transaction(conn)
    return "head" if not differences else INITIAL


def _end_transaction(conn: Connection) -> None:
    """Alembic treats a connection already in a transaction as someone else's and never commits it: end ours."""
    if conn.in_transaction():
        conn.commit()


@contextmanager
def _sqlite_file_lock(parsed: URL) -> Iterator[None]:
    """SQLite has no advisory locks: an exclusive flock on a file next to the database does the same job."""
    database = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    path = Path(database)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".migrate-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

"""Engine and session factory, created on first use (nothing connects at import time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from topup import config
from topup.db.schema import Base


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """One engine per URL for the process; SQLite gets WAL and a busy timeout, servers a bounded pool."""
    url = url or config.database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
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
        pool_size=config.db_pool_size(),
        max_overflow=config.db_max_overflow(),
        pool_timeout=config.db_pool_timeout(),
        pool_recycle=config.db_pool_recycle(),
        pool_pre_ping=True,
        connect_args=_connect_args(parsed),
    )


def _connect_args(parsed: URL) -> dict[str, Any]:
    """PostgreSQL (psycopg2): a bounded connect and a statement timeout, so a down or hung server fails fast.

    Anything the URL's query string already sets (``?connect_timeout=``, ``?options=``) wins.
    """
    if parsed.get_backend_name() != "postgresql" or parsed.get_driver_name() != "psycopg2":
        return {}
    args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        args["connect_timeout"] = config.db_connect_timeout()
    statement_timeout = config.db_statement_timeout_ms()
    if statement_timeout > 0 and "options" not in parsed.query:
        args["options"] = f"-c statement_timeout={statement_timeout}"
    return args


def create_schema(engine: Engine) -> None:
    """Tests only (in-memory or throwaway SQLite): real databases get their schema from topup.db.migrate."""
    Base.metadata.create_all(engine)


@lru_cache(maxsize=8)
def _factory(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@lru_cache(maxsize=8)
def _reading_factory(engine: Engine) -> sessionmaker:
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(bind=engine, future=True, expire_on_commit=False)


@contextmanager
def reading(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reads alone. On PostgreSQL it runs in autocommit: no BEGIN and no COMMIT, two round trips
    of five for an order lookup (reports/bench/FINDINGS.md). Each statement sees its own snapshot, which is all
    a lookup needs. Nothing it adds or changes is saved."""
    session: Session = _reading_factory(engine or get_engine())()
    try:
        yield session
    finally:
        session.close()


@contextmanager
def unit_of_work(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error: owned by services only."""
    session: Session = _factory(engine or get_engine())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

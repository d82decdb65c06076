"""Fixtures: a demo database per test, an empty one, and several kinds of broken one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DEMO_ORDERS
from sqlalchemy.engine import Engine

from topup.db.engine import create_schema, get_engine
from topup.demo import load_demo
from topup.services.console import touch_presence


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No shell setting leaks in, nothing falls back to var/, no engine outlives a test."""
    for name in ("TOPUP_MAX_VERIFY_ATTEMPTS", "TOPUP_TIMEZONE", "TOPUP_CUSTOMER_TOKEN_SECRET",
                 "TOPUP_CLIENT_MAX_FAILED_LOOKUPS", "TOPUP_LOOKUP_COOLDOWN_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TOPUP_BUSINESS_HOURS", "00:00-23:59")  # handoff tests don't depend on the clock
    monkeypatch.setenv("TOPUP_DATABASE_URL", f"sqlite:///{tmp_path}/default-unused.db")
    get_engine.cache_clear()
    yield
    get_engine.cache_clear()


def _fresh_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
    monkeypatch.setenv("TOPUP_DATABASE_URL", f"sqlite:///{tmp_path}/t.db")
    get_engine.cache_clear()
    engine = get_engine()
    create_schema(engine)
    return engine


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """The demo orders and notice, loaded relative to now."""
    engine = _fresh_engine(monkeypatch, tmp_path)
    load_demo(DEMO_ORDERS, engine)
    touch_presence("xiaowang", engine)  # an agent is online unless a test says otherwise
    yield engine
    engine.dispose()
    get_engine.cache_clear()


@pytest.fixture
def empty_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Engine]:
    """The schema with no orders, notices or tickets."""
    engine = _fresh_engine(monkeypatch, tmp_path)
    yield engine
    engine.dispose()
    get_engine.cache_clear()


@pytest.fixture(params=["sqlite_under_a_file", "sqlite_without_schema", "postgres_refused"])
def db_down(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """TOPUP_DATABASE_URL points at a database nothing can be read from or written to."""
    if request.param == "sqlite_under_a_file":
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("x")
        url = f"sqlite:///{blocker}/x.db"
    elif request.param == "sqlite_without_schema":
        url = f"sqlite:///{tmp_path}/no-tables.db"
    else:
        url = "postgresql://nobody:nothing@127.0.0.1:1/nodb?connect_timeout=2"
    monkeypatch.setenv("TOPUP_DATABASE_URL", url)
    get_engine.cache_clear()
    yield url
    get_engine.cache_clear()

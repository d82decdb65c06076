"""Fixtures: an application object per test on a demo database, an empty one, or one of several broken ones.

Each is installed as the process's application object, which is what the actions use (TopupAction.app).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import DEMO_ORDERS

from tests.appkit import installed, make_app
from topup.app import App
from topup.demo import load_demo


@pytest.fixture
def db(tmp_path: Path) -> Iterator[App]:
    """The demo orders and notice, loaded relative to now; an agent is online unless a test says otherwise."""
    app = make_app(tmp_path)
    load_demo(DEMO_ORDERS, app.engine)
    app.console.touch_presence("xiaowang")
    with installed(app):
        yield app
    app.close()


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[App]:
    """The schema with no orders, notices or tickets."""
    app = make_app(tmp_path)
    with installed(app):
        yield app
    app.close()


@pytest.fixture(params=["sqlite_under_a_file", "sqlite_without_schema", "postgres_refused"])
def db_down(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    """The database the application object points at cannot be read from or written to."""
    if request.param == "sqlite_under_a_file":
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("x")
        url = f"sqlite:///{blocker}/x.db"
    elif request.param == "sqlite_without_schema":
        url = f"sqlite:///{tmp_path}/no-tables.db"
    else:
        url = "postgresql://nobody:nothing@127.0.0.1:1/nodb?connect_timeout=2"
    app = make_app(tmp_path, schema=False, TOPUP_DATABASE_URL=url)
    with installed(app):
        yield app
    app.close()

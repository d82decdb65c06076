"""Settings and application objects for tests: built from a dict of settings, never from the shell's environment.

    settings = make_settings(tmp_path, TOPUP_MAX_VERIFY_ATTEMPTS="2")
    app = make_app(tmp_path, clock=FixedClock(NOW))           # SQLite under tmp_path, schema created
    with installed(app): ...                                    # what actions and channels see as App.current()
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine

from topup import app as app_module
from topup import settings as settings_module
from topup.app import App
from topup.clock import Clock
from topup.db.schema import Base
from topup.settings import Settings

# Agents are "on duty" whenever the suite runs, so handoff paths do not depend on the clock.
TEST_DEFAULTS = {"TOPUP_BUSINESS_HOURS": "00:00-23:59"}


def make_settings(state_dir: Path, **env: str) -> Settings:
    """The embedded defaults on `state_dir` (databases, secrets, outbox all there), with `env` on top."""
    return settings_module.load({"TOPUP_STATE_DIR": str(state_dir), **TEST_DEFAULTS, **env})


def make_app(state_dir: Path, clock: Clock | None = None, engine: Engine | None = None, schema: bool = True,
             **env: str) -> App:
    """An application object on its own SQLite file under `state_dir` (its schema made unless schema=False)."""
    app = App.build(make_settings(state_dir, **env), clock=clock, engine=engine)
    if schema:
        create_schema(app.engine)
    return app


def create_schema(engine: Engine) -> None:
    """Tables straight from the schema, for throwaway test databases; real ones get theirs from the migrations."""
    Base.metadata.create_all(engine)


@contextmanager
def installed(app: App) -> Iterator[App]:
    """`app` is the process's application object (and its settings the process's) for the block."""
    previous_app = app_module.install(app)
    previous_settings = settings_module._current
    settings_module.install(app.settings)
    try:
        yield app
    finally:
        app_module.install(previous_app)
        settings_module.install(previous_settings)


def rebuilt(app: App, **env: str) -> App:
    """The same database, clock and state folder with some settings changed (given as their variables, so
    they are checked as a start would check them)."""
    settings = settings_module.load({**app.settings.environment(), **env})
    return App.build(settings, clock=app.clock, engine=app.engine)

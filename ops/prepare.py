"""Get the databases ready before any server starts: python -m ops.prepare [--demo]

Several Rasa servers starting at once on an empty PostgreSQL would race to create the tracker database and
its tables, so this creates them once, first: the orders/tickets database and Rasa's tracker store database
and tables, as the settings name them. Then it applies the migrations to the orders database and, when
TOPUP_DEMO_ORDERS is on (or with --demo), loads the demo orders. With the embedded SQLite default the files
are simply created. The launcher runs this before it starts the servers.
"""

from __future__ import annotations

import argparse
import logging

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from topup import settings as settings_module
from topup.db import migrate
from topup.db.engine import make_engine
from topup.demo import load_demo
from topup.settings import Settings

logger = logging.getLogger("topup.prepare")


def ensure_postgres_database(url: str | URL) -> bool:
    """Create the database `url` names if it does not exist; True when it was created."""
    parsed = make_url(url)
    if not parsed.get_backend_name().startswith("postgresql"):
        return False
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            if exists.scalar():
                return False
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
            return True
    finally:
        admin.dispose()


def create_tracker_tables(url: str) -> None:
    """Rasa's own events table, made by Rasa's own code (SQLTrackerStore creates it on construction)."""
    from rasa.core.tracker_store import SQLTrackerStore

    store = SQLTrackerStore(host=url)
    store.engine.dispose()


def prepare(settings: Settings, demo: bool | None = None) -> list[str]:
    """Databases, tables, migrations and (optionally) the demo orders; what was done, for the log."""
    done = []
    if ensure_postgres_database(settings.database_url):
        done.append("created the orders database")
    if ensure_postgres_database(settings.tracker_url):
        done.append("created the tracker database")
    if settings.scaled:  # several Rasa servers would race to create them; one server makes its own
        create_tracker_tables(settings.tracker_url)
    migrate.upgrade(settings.database_url, settings.db_connect_timeout)
    where = make_url(settings.database_url).render_as_string(hide_password=True)
    done.append(f"orders database at revision {migrate.current(settings.database_url)} ({where})")
    if settings.demo_orders if demo is None else demo:
        engine = make_engine(settings.database_url)
        try:
            orders, notices = load_demo(settings.demo_data, engine)
        finally:
            engine.dispose()
        done.append(f"demo data loaded: {orders} orders, {notices} notice(s)")
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.prepare", description=__doc__.splitlines()[0])
    parser.add_argument("--demo", action="store_true", default=None, help="load the demo orders (default: "
                        "TOPUP_DEMO_ORDERS)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s - %(message)s")
    settings = settings_module.start("prepare")
    for line in prepare(settings, args.demo):
        logger.info(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Get the shared databases ready before any server starts: python -m serving.prepare

Several Rasa servers starting at once on an empty PostgreSQL would race to create the tracker
database and its tables, so this creates them once, first: the orders/tickets database (then the run
command applies the migrations to it) and Rasa's tracker store database and tables, exactly as
endpoints.yml describes them. With the embedded SQLite default there is nothing to do.
"""

from __future__ import annotations

import logging
import os

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from topup import config

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


def tracker_url() -> URL | None:
    """The tracker store's PostgreSQL URL: endpoints.yml gives Rasa TRACKER_HOST as the whole URL."""
    if os.environ.get("TRACKER_DIALECT", "sqlite") != "postgresql":
        return None
    host = os.environ.get("TRACKER_HOST", "")
    if "://" in host:
        return make_url(host)
    return URL.create("postgresql", host=host or None, database=os.environ.get("TRACKER_DB"))


def create_tracker_tables(url: URL) -> None:
    """Rasa's own events table, made by Rasa's own code (SQLTrackerStore creates it on construction)."""
    from rasa.core.tracker_store import SQLTrackerStore

    store = SQLTrackerStore(
        dialect="postgresql", host=url.host, port=url.port, db=url.database,
        username=url.username, password=url.password,
    )
    store.engine.dispose()


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s - %(message)s")
    if ensure_postgres_database(config.database_url()):
        logger.info("created the orders database")
    tracker = tracker_url()
    if tracker is not None:
        if ensure_postgres_database(tracker):
            logger.info("created the tracker database")
        create_tracker_tables(tracker)
        logger.info("tracker store ready on %s", tracker.render_as_string(hide_password=True))


if __name__ == "__main__":
    main()

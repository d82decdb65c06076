"""Alembic environment for the orders/tickets database.

The URL is the Config's ``sqlalchemy.url`` when the caller set one (topup.db.migrate does), otherwise
TOPUP_DATABASE_URL as topup.settings reads it. topup.db.migrate may hand over an already locked connection in
``config.attributes["connection"]``; otherwise (the alembic command line) this takes the same lock itself, so two
migrators never run at once. SQLite gets batch mode, so future ALTERs autogenerate as table rebuilds there.
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy.engine import Connection

from topup import settings as topup_settings
from topup.db.migrate import migration_connection
from topup.db.schema import Base

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or topup_settings.load().database_url


def _run_offline() -> None:
    """`alembic upgrade --sql`: print the DDL instead of running it."""
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=url.startswith("sqlite"),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.in_transaction():
        connection.commit()


def _run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    with migration_connection(_url()) as locked:
        _run(locked)


if context.is_offline_mode():
    _run_offline()
else:
    _run_online()

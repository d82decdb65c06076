"""Command line for operators and support staff.

  python -m topup.cli migrate                apply the database migrations (migrations/) up to the newest
  python -m topup.cli init-db [--demo]       migrate; (re)load the demo orders
  python -m topup.cli tickets [--status S]   print tickets as JSON (open ones by default)
  python -m topup.cli hash-password          hash an agent password for console_agents.yml
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from topup import settings as settings_module
from topup.app import App
from topup.db import migrate
from topup.demo import load_demo


def _migrate(app: App, args: argparse.Namespace) -> int:
    url = app.settings.database_url
    migrate.upgrade(url, app.settings.db_connect_timeout)
    where = app.engine.url.render_as_string(hide_password=True)
    print(f"database at revision {migrate.current(url)} ({where})")
    return 0


def _init_db(app: App, args: argparse.Namespace) -> int:
    migrate.upgrade(app.settings.database_url, app.settings.db_connect_timeout)
    if args.demo:
        orders, notices = load_demo(app.settings.demo_data, app.engine)
        where = app.engine.url.render_as_string(hide_password=True)
        print(f"demo data loaded: {orders} orders, {notices} notices ({where})")
    return 0


def _tickets(app: App, args: argparse.Namespace) -> int:
    migrate.upgrade(app.settings.database_url, app.settings.db_connect_timeout)
    tickets = app.handoffs.list_tickets(args.status or None)
    payload = [
        {
            **asdict(t),
            "priority": t.priority.value,
            "status": t.status.value,
            "created_at": t.created_at.isoformat() + "Z",
        }
        for t in tickets
    ]
    json.dump(payload, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _hash_password(app: App | None, args: argparse.Namespace) -> int:
    import getpass

    from topup.agents import hash_password

    print(hash_password(args.password or getpass.getpass("password: ")))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m topup.cli", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate", help="apply the database migrations").set_defaults(handler=_migrate)
    init = commands.add_parser("init-db", help="migrate the database, optionally load demo data")
    init.add_argument("--demo", action="store_true", help="(re)load demo/orders.yml with times relative to now")
    init.set_defaults(handler=_init_db)
    tickets = commands.add_parser("tickets", help="print tickets as JSON for support staff")
    tickets.add_argument(
        "--status", action="append", choices=["open", "in_progress", "resolved"], help="repeatable; default open"
    )
    tickets.set_defaults(handler=_tickets)
    hashing = commands.add_parser("hash-password", help="hash an agent password for console_agents.yml")
    hashing.add_argument("--password", help="(prompted when omitted)")
    hashing.set_defaults(handler=_hash_password)
    args = parser.parse_args(argv)
    if args.handler is _hash_password:  # needs no settings (an operator may be preparing the first deployment)
        return _hash_password(None, args)
    try:
        settings = settings_module.load()
    except settings_module.SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    app = App.build(settings)
    try:
        return int(args.handler(app, args))
    finally:
        app.close()


if __name__ == "__main__":
    raise SystemExit(main())

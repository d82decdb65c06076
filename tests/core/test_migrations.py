"""Alembic migrations (topup/db/migrations/) against SQLite and PostgreSQL, and the server engine's pool and timeouts.

The migrations are compared with whatever topup/db/schema.py holds, so a model change without its migration fails
here. PostgreSQL cases skip when no server is reachable, unless TOPUP_REQUIRE_SERVICES=1 (tests/services.py).
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from tests.appkit import make_app
from tests.services import postgres_url, require_services, temporary_postgres_database
from topup.db import migrate
from topup.db.engine import make_engine
from topup.db.schema import Base, OrderRow, TicketRow

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 28, 8, 0, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/migrations.db"
        return
    require_services(postgres=True)
    with temporary_postgres_database("topup_migrations") as database_url:
        yield database_url


@pytest.fixture
def db(url: str) -> Iterator[Engine]:
    """A plain engine on the same database, for looking at it (NullPool: nothing left open at drop time)."""
    engine = create_engine(url, future=True, poolclass=NullPool)
    yield engine
    engine.dispose()


def differences(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return migrate.schema_differences(conn)


def our_tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) & set(Base.metadata.tables)


def add_rows(engine: Engine) -> None:
    """An order and a ticket, with the JSON columns filled in."""
    with Session(engine, future=True) as s, s.begin():
        s.add(
            OrderRow(
                order_no="KM20261127004215",
                phone="13800003821",
                product_type="话费",
                product_name="话费 100元",
                account="13800003821",
                amount_cents=10000,
                payment_method="alipay",
                status="processing",
                created_at=T0,
                status_changed_at=T0,
            )
        )
        # Core, with the columns of the 0001 era only: the ORM would write columns later revisions add.
        s.execute(
            insert(TicketRow.__table__).values(
                ticket_no="T1",
                conversation_id="conv-1",
                dedupe_key="conv-1|KM20261127004215",
                complaint="recharge_stuck",
                handoff_reason="request_human",
                priority="high",
                priority_reasons=["processing over 30 minutes"],
                steps=[{"step": "refresh", "helped": False}],
                transcript=[{"role": "customer", "text": "还没到账"}],
                verified=False,
                customer_description="",
                status="open",
                created_at=T0,
                updated_at=T0,
            )
        )


def assert_rows_kept(engine: Engine) -> None:
    with Session(engine, future=True) as s:
        assert s.get(OrderRow, "KM20261127004215") is not None
        ticket = s.execute(select(TicketRow)).scalar_one()
        assert ticket.steps == [{"step": "refresh", "helped": False}]
        assert ticket.transcript == [{"role": "customer", "text": "还没到账"}]


# --- migrations -----------------------------------------------------------------------------------------------


def test_migrations_build_exactly_the_schema(url: str, db: Engine) -> None:
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert differences(db) == []
    assert our_tables(db) == set(Base.metadata.tables)
    inspector = inspect(db)
    assert "uq_tickets_conversation_order" in {c["name"] for c in inspector.get_unique_constraints("tickets")}
    assert {"ix_tickets_status_priority", "ix_tickets_conversation_id"} <= {
        i["name"] for i in inspector.get_indexes("tickets")
    }


def test_chain_starts_at_the_fixed_initial_revision() -> None:
    revisions = list(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).walk_revisions())
    assert revisions[-1].revision == migrate.INITIAL and revisions[-1].down_revision is None
    assert len({r.revision for r in revisions}) == len(revisions)
    assert migrate.head() == revisions[0].revision


def test_upgrade_is_idempotent(url: str, db: Engine) -> None:
    migrate.upgrade(url)
    add_rows(db)
    migrate.upgrade(url)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert differences(db) == []
    assert_rows_kept(db)


def test_create_all_database_is_adopted_without_losing_rows(url: str, db: Engine) -> None:
    Base.metadata.create_all(db)
    add_rows(db)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert differences(db) == []
    assert_rows_kept(db)


def test_database_from_before_later_revisions_is_stamped_initial_and_upgraded(url: str, db: Engine) -> None:
    """A create_all database of the 0001 era: the 0001 tables, no version table. Later revisions must run."""
    with db.connect() as conn:
        command.upgrade(migrate.alembic_config(url, conn), migrate.INITIAL)
        conn.commit()
    with db.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    add_rows(db)
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert differences(db) == []
    assert_rows_kept(db)


def test_tickets_of_before_the_agent_side_keep_their_conversation_and_tail(url: str, db: Engine) -> None:
    """0004 links each existing ticket to its own conversation and takes its phone tail from the snapshot."""
    with db.connect() as conn:
        command.upgrade(migrate.alembic_config(url, conn), "0003_platforms")
        conn.commit()
    add_rows(db)
    with db.begin() as conn:
        conn.execute(text("UPDATE tickets SET order_snapshot = :snap"),
                     {"snap": json.dumps({"order_no": "KM20261127004215", "phone_masked": "*******3821"})})
    migrate.upgrade(url)
    with db.connect() as conn:
        assert conn.execute(text("SELECT phone_tail FROM tickets")).scalar_one() == "3821"
        linked = conn.execute(text("SELECT ticket_no, conversation_id FROM ticket_conversations")).all()
    assert [tuple(r) for r in linked] == [("T1", "conv-1")]


def test_downgrade_to_base_and_upgrade_again(url: str, db: Engine) -> None:
    migrate.upgrade(url)
    with db.connect() as conn:
        command.downgrade(migrate.alembic_config(url, conn), "base")
        conn.commit()
    assert our_tables(db) == set()
    assert migrate.current(url) is None
    migrate.upgrade(url)
    assert migrate.current(url) == migrate.head()
    assert differences(db) == []


def test_processes_migrating_at_once_all_succeed(url: str, db: Engine) -> None:
    code = "import sys; from topup.db.migrate import upgrade; upgrade(sys.argv[1])"
    starts = [subprocess.Popen([sys.executable, "-c", code, url], cwd=ROOT, stderr=subprocess.PIPE) for _ in range(3)]
    for process in starts:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    assert migrate.current(url) == migrate.head()
    assert differences(db) == []


def test_alembic_command_line_uses_the_configured_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    # TOPUP_STATE_DIR too: reading the settings makes the embedded secrets, and they must not land in var/.
    env = {"PATH": str(Path(sys.executable).parent), "TOPUP_DATABASE_URL": url, "HOME": str(tmp_path),
           "TOPUP_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "topup/db/migrations/alembic.ini", "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert migrate.current(url) == migrate.head()
    assert (tmp_path / "state" / "secrets.env").is_file() and not (tmp_path / "state" / "topup.db").exists()


# --- server engine: pool and timeouts -------------------------------------------------------------------------


def _pool_of(engine: Engine) -> tuple[object, ...]:
    pool = engine.pool
    return pool.size(), pool._max_overflow, pool._timeout, pool._recycle, pool._pre_ping  # type: ignore[attr-defined]


def test_server_engine_pool_defaults(tmp_path: Path) -> None:
    engine = make_engine(postgres_url("nowhere"))
    assert _pool_of(engine) == (5, 10, 5, 1800, True)
    app = make_app(tmp_path, schema=False, TOPUP_DATABASE_URL=postgres_url("nowhere"))  # nothing connects yet
    assert _pool_of(app.engine) == (5, 10, 5, 1800, True)


def test_server_engine_pool_from_the_settings(tmp_path: Path) -> None:
    pool = {"POOL_SIZE": "7", "MAX_OVERFLOW": "3", "POOL_TIMEOUT": "2.5", "POOL_RECYCLE": "600"}
    app = make_app(tmp_path, schema=False, TOPUP_DATABASE_URL=postgres_url("nowhere"),
                   **{f"TOPUP_DB_{name}": value for name, value in pool.items()})
    assert _pool_of(app.engine) == (7, 3, 2.5, 600, True)


def test_postgres_connections_carry_the_statement_timeout(tmp_path: Path) -> None:
    require_services(postgres=True)
    app = make_app(tmp_path, schema=False, TOPUP_DATABASE_URL=postgres_url())
    try:
        with app.engine.connect() as conn:
            assert conn.execute(text("SHOW statement_timeout")).scalar_one() == "5s"
    finally:
        app.close()
    app = make_app(tmp_path, schema=False, TOPUP_DATABASE_URL=postgres_url(), TOPUP_DB_STATEMENT_TIMEOUT_MS="200")
    try:
        with app.engine.connect() as conn, pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(3)"))
    finally:
        app.close()


def test_down_server_fails_fast() -> None:
    engine = make_engine("postgresql+psycopg2://postgres@127.0.0.1:1/postgres")
    started = time.monotonic()
    with pytest.raises(OperationalError), engine.connect():
        pass
    assert time.monotonic() - started < 10


def test_hung_server_fails_fast(tmp_path: Path) -> None:
    """A server that accepts TCP connections and never answers: connect_timeout ends the wait."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql+psycopg2://postgres@127.0.0.1:{silent.getsockname()[1]}/postgres"
        app = make_app(tmp_path, schema=False, TOPUP_DATABASE_URL=url, TOPUP_DB_CONNECT_TIMEOUT="2")
        started = time.monotonic()
        with pytest.raises(OperationalError), app.engine.connect():
            pass
        assert time.monotonic() - started < 10

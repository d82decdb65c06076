"""Demo data loading and the operators' command line (split from test_services.py to stay short).

The command line is run as operators run it, `python -m topup.cli ...` in a process of its own, configured by
the environment it is started with (an explicit dict: TOPUP_STATE_DIR and TOPUP_DATABASE_URL, nothing of ours).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.appkit import make_app
from topup.agents import verify_password
from topup.app import App
from topup.clock import FixedClock
from topup.db import migrate
from topup.db.engine import make_engine
from topup.db.schema import NoticeRow, OrderRow, PaymentRow
from topup.demo import load_demo
from topup.diagnosis import Kind
from topup.model import Complaint, OrderStatus
from topup.services.handoff import HandoffRequest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "demo" / "orders.yml"

# What each demo order shows the customer right after loading (phone tail, diagnosis).
EXPECTED = {
    "KM20261127004215": ("3821", Kind.PROCESSING_OVERDUE),
    "KM20261128000107": ("2233", Kind.PROCESSING_RECENT),
    "KM20261128000233": ("5566", Kind.PROCESSING_OVERDUE),
    "KM20261127003390": ("7788", Kind.DELIVERED),
    "KM20261128000415": ("1234", Kind.UNPAID),
    "KM20261128000522": ("4321", Kind.PAYMENT_FAILED),
    "KM20261126002001": ("6666", Kind.FAILED_REFUNDING),
    "KM20261127001888": ("8888", Kind.FAILED_NO_REFUND),
    "KM20261125000999": ("9999", Kind.REFUNDED),
    "KM20261128000648": ("4455", Kind.UNDER_REVIEW),
    "KM20261128000777": ("7777", Kind.DUPLICATE_CHARGE),
    "KM20261128000808": ("8080", Kind.PROCESSING_NOTICE),
}


def counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine, future=True) as s:
        return tuple(  # type: ignore[return-value]
            int(s.execute(select(func.count()).select_from(t)).scalar_one()) for t in (OrderRow, PaymentRow, NoticeRow)
        )


def test_demo_file_exists() -> None:
    assert DEMO.is_file()


def test_load_demo_covers_the_whole_lifecycle(engine: Engine, now: datetime) -> None:
    assert load_demo(DEMO, engine, now) == (12, 1)
    with Session(engine, future=True) as s:
        statuses = set(s.execute(select(OrderRow.status)).scalars())
    # every status but the one only a platform marks (dujiaoka 6 异常: tests/platforms)
    assert statuses == {s.value for s in OrderStatus} - {OrderStatus.ABNORMAL.value}


def test_demo_45_minute_order_is_45_minutes_old(engine: Engine, now: datetime) -> None:
    load_demo(DEMO, engine, now)
    with Session(engine, future=True) as s:
        row = s.get(OrderRow, "KM20261127004215")
        assert row is not None
        assert row.status == "processing"
        assert row.paid_at == now - timedelta(minutes=45)
        assert [p.status for p in row.payments] == ["debited"]
        assert row.amount_cents == 10000


@pytest.mark.parametrize(("order_no", "expected"), sorted(EXPECTED.items()))
def test_demo_orders_diagnose_as_documented(
    app: App, engine: Engine, now: datetime, order_no: str, expected: tuple[str, Kind]
) -> None:
    tail, kind = expected
    load_demo(DEMO, engine, now)
    result = app.lookups.look_up(order_no, tail, Complaint.RECHARGE_STUCK, now=now)
    assert result.verified is True
    assert result.diagnosis is not None and result.diagnosis.kind is kind


def test_reload_replaces_rather_than_duplicates(engine: Engine, now: datetime) -> None:
    load_demo(DEMO, engine, now)
    before = counts(engine)
    later = now + timedelta(hours=2)
    assert load_demo(DEMO, engine, later) == (12, 1)
    assert counts(engine) == before
    assert before[0] == 12 and before[2] == 1
    with Session(engine, future=True) as s:
        row = s.get(OrderRow, "KM20261127004215")
        assert row is not None and row.paid_at == later - timedelta(minutes=45)
        notice = s.execute(select(NoticeRow)).scalar_one()
        assert notice.starts_at == later - timedelta(minutes=90)


def test_tickets_survive_a_reload(app: App, engine: Engine, now: datetime) -> None:
    load_demo(DEMO, engine, now)
    request = HandoffRequest("conv-1", "KM20261127004215", True, Complaint.RECHARGE_STUCK, "没到账", "request_human")
    result = app.handoffs.hand_off(request, now=now)
    load_demo(DEMO, engine, now + timedelta(minutes=1))
    view = app.handoffs.get_ticket(result.ticket_no)
    assert view is not None and view.order_no == "KM20261127004215"


# --- CLI --------------------------------------------------------------------------------------


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m topup.cli ARGS` from the checkout, with exactly `env` as its environment."""
    return subprocess.run(
        [sys.executable, "-m", "topup.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
    )


def base_env(tmp_path: Path) -> dict[str, str]:
    """An operator's shell with nothing of the assistant's set yet, except where its state lives."""
    return {
        "PATH": str(Path(sys.executable).parent),
        "HOME": str(tmp_path),
        "PYTHONIOENCODING": "utf-8",
        "TOPUP_STATE_DIR": str(tmp_path / "state"),
    }


@pytest.fixture
def cli_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


@pytest.fixture
def cli_env(tmp_path: Path, cli_db: str) -> dict[str, str]:
    return {**base_env(tmp_path), "TOPUP_DATABASE_URL": cli_db}


def test_cli_tickets_prints_json(tmp_path: Path, cli_db: str, cli_env: dict[str, str], now: datetime) -> None:
    done = cli("tickets", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []

    request = HandoffRequest("conv-1", None, False, Complaint.DUPLICATE_CHARGE, "扣了两次", "request_human")
    app = make_app(tmp_path / "state", clock=FixedClock(now), schema=False, TOPUP_DATABASE_URL=cli_db)
    try:
        created = app.handoffs.hand_off(request, now=now)
    finally:
        app.close()
    done = cli("tickets", env=cli_env)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert isinstance(payload, list) and len(payload) == 1
    (item,) = payload
    assert item["ticket_no"] == created.ticket_no
    assert item["priority"] == "high" and item["status"] == "open"
    assert item["created_at"] == now.isoformat() + "Z"
    assert item["details"]["customer_description"] == "扣了两次"

    done = cli("tickets", "--status", "resolved", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_cli_init_db_demo_uses_the_configured_database(tmp_path: Path, cli_db: str, cli_env: dict[str, str]) -> None:
    done = cli("init-db", "--demo", env=cli_env)
    assert done.returncode == 0, done.stderr
    assert "12 orders, 1 notices" in done.stdout
    engine = make_engine(cli_db)
    try:
        assert counts(engine)[0] == 12
    finally:
        engine.dispose()
    assert not (tmp_path / "state" / "topup.db").exists()  # not the state folder's default database


def test_cli_migrate_reports_the_revision(tmp_path: Path) -> None:
    """Without TOPUP_DATABASE_URL the database is the one in the state folder."""
    env = {**base_env(tmp_path), "TOPUP_STATE_DIR": str(tmp_path / "var")}
    url = f"sqlite:///{tmp_path}/var/topup.db"
    done = cli("migrate", env=env)
    assert done.returncode == 0, done.stderr
    assert f"database at revision {migrate.head()}" in done.stdout
    done = cli("init-db", "--demo", env=env)
    assert done.returncode == 0, done.stderr
    assert migrate.current(url) == migrate.head()


def test_cli_hash_password_needs_no_settings(tmp_path: Path) -> None:
    """An operator preparing a first deployment hashes passwords before any setting is right; the other
    commands refuse settings that are wrong, naming the variable."""
    env = {**base_env(tmp_path), "TOPUP_DATABASE_URL": "not-a-database"}
    done = cli("hash-password", "--password", "a-new-agent-pass", env=env)
    assert done.returncode == 0, done.stderr
    stored = done.stdout.strip()
    assert stored.startswith("pbkdf2-sha256$") and "a-new-agent-pass" not in stored
    assert verify_password("a-new-agent-pass", stored) and not verify_password("demo-agent-pass", stored)
    assert not (tmp_path / "state").exists()  # no settings read: no secrets made

    refused = cli("tickets", env=env)
    assert refused.returncode == 2
    assert "TOPUP_DATABASE_URL=not-a-database" in refused.stderr

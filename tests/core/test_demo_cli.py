"""Demo data loading and the operators' command line (split from test_services.py to stay short)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from topup.cli import main
from topup.db.engine import get_engine
from topup.db.schema import NoticeRow, OrderRow, PaymentRow
from topup.demo import load_demo
from topup.diagnosis import Kind
from topup.model import Complaint, OrderStatus
from topup.services.handoff import HandoffRequest, get_ticket, hand_off
from topup.services.lookup import look_up

DEMO = Path(__file__).resolve().parents[2] / "demo" / "orders.yml"

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
    assert statuses == {s.value for s in OrderStatus}


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
    engine: Engine, now: datetime, order_no: str, expected: tuple[str, Kind]
) -> None:
    tail, kind = expected
    load_demo(DEMO, engine, now)
    result = look_up(order_no, tail, Complaint.RECHARGE_STUCK, now=now, engine=engine)
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


def test_tickets_survive_a_reload(engine: Engine, now: datetime) -> None:
    load_demo(DEMO, engine, now)
    request = HandoffRequest("conv-1", "KM20261127004215", True, Complaint.RECHARGE_STUCK, "没到账", "request_human")
    result = hand_off(request, now=now, engine=engine)
    load_demo(DEMO, engine, now + timedelta(minutes=1))
    view = get_ticket(result.ticket_no, engine=engine)
    assert view is not None and view.order_no == "KM20261127004215"


# --- CLI --------------------------------------------------------------------------------------


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("TOPUP_DATABASE_URL", url)
    monkeypatch.delenv("TOPUP_DEMO_DATA", raising=False)
    get_engine.cache_clear()
    return url


def test_cli_tickets_prints_json(cli_db: str, capsys: pytest.CaptureFixture[str], now: datetime) -> None:
    assert main(["tickets"]) == 0
    assert json.loads(capsys.readouterr().out) == []

    request = HandoffRequest("conv-1", None, False, Complaint.DUPLICATE_CHARGE, "扣了两次", "request_human")
    created = hand_off(request, now=now, engine=get_engine(cli_db))
    assert main(["tickets"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert isinstance(payload, list) and len(payload) == 1
    (item,) = payload
    assert item["ticket_no"] == created.ticket_no
    assert item["priority"] == "high" and item["status"] == "open"
    assert item["created_at"] == now.isoformat() + "Z"
    assert item["details"]["customer_description"] == "扣了两次"

    assert main(["tickets", "--status", "resolved"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_cli_init_db_demo_uses_the_configured_database(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init-db", "--demo"]) == 0
    assert "12 orders, 1 notices" in capsys.readouterr().out
    assert counts(get_engine(cli_db))[0] == 12

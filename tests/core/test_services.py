"""Services own the unit of work: verified lookup and the handoff ticket."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from topup.app import App
from topup.db.schema import TicketRow
from topup.diagnosis import Kind
from topup.model import Complaint, Priority, StepRecord, TicketStatus
from topup.services.handoff import HandoffRequest, HandoffResult
from topup.services.lookup import LookupResult

ORDER = "KM20261127004215"
TRANSCRIPT = [
    {"role": "customer", "text": "话费一直在充值", "at": "2026-11-28T07:58:00Z", "intent": "recharge_stuck"},
    {"role": "assistant", "text": "请提供订单号", "at": "2026-11-28T07:58:01Z"},
]


def request(
    conversation_id: str = "conv-1",
    order_no: str | None = ORDER,
    complaint: Complaint = Complaint.RECHARGE_STUCK,
    frustration: int = 0,
    steps: list[StepRecord] | None = None,
) -> HandoffRequest:
    return HandoffRequest(
        conversation_id=conversation_id,
        order_no=order_no,
        verified=order_no is not None,
        complaint=complaint,
        customer_description="钱扣了，话费一直没到账",
        reason="selfhelp_failed",
        steps=steps if steps is not None else [StepRecord("refresh_relogin", "not_helped")],
        transcript=TRANSCRIPT,
        claims_debit=True,
        frustration=frustration,
    )


def rows(engine: Engine) -> list[TicketRow]:
    with Session(engine, future=True) as s:
        return list(s.execute(select(TicketRow).order_by(TicketRow.id)).scalars())


# --- look_up ----------------------------------------------------------------------------------


def test_lookup_right_tail_is_verified_with_diagnosis(
    app: App, add_order: Callable[..., str], now: datetime
) -> None:
    add_order(paid_minutes_ago=45)
    result = app.lookups.look_up(ORDER, "3821", Complaint.RECHARGE_STUCK, now=now)
    assert result.verified is True
    assert result.order is not None and result.order.order_no == ORDER
    assert result.diagnosis is not None
    assert result.diagnosis.kind is Kind.PROCESSING_OVERDUE
    assert result.diagnosis.minutes_since_paid == 45


def test_lookup_uses_notices_active_now(
    app: App, add_order: Callable[..., str], add_notice: Callable[..., None], now: datetime
) -> None:
    add_order(paid_minutes_ago=45, product_type="游戏币")
    add_notice("游戏币维护", now - timedelta(hours=1), now + timedelta(hours=2), product_type="游戏币")
    result = app.lookups.look_up(ORDER, "3821", Complaint.RECHARGE_STUCK, now=now)
    assert result.diagnosis is not None
    assert result.diagnosis.kind is Kind.PROCESSING_NOTICE
    later = app.lookups.look_up(ORDER, "3821", Complaint.RECHARGE_STUCK, now=now + timedelta(hours=3))
    assert later.diagnosis is not None and later.diagnosis.kind is Kind.PROCESSING_OVERDUE


def test_lookup_passes_the_customers_debit_claim(app: App, add_order: Callable[..., str], now: datetime) -> None:
    add_order(status="unpaid", paid_minutes_ago=None, payments=())
    plain = app.lookups.look_up(ORDER, "3821", Complaint.RECHARGE_STUCK, now=now)
    claimed = app.lookups.look_up(ORDER, "3821", Complaint.RECHARGE_STUCK, claims_debit=True, now=now)
    assert plain.diagnosis is not None and plain.diagnosis.kind is Kind.UNPAID
    assert claimed.diagnosis is not None and claimed.diagnosis.kind is Kind.DEBIT_NOT_RECORDED


@pytest.mark.parametrize("tail", ["3822", "", "0000", "13800003821", "821"])
def test_wrong_tail_and_unknown_order_are_indistinguishable(
    app: App, add_order: Callable[..., str], now: datetime, tail: str
) -> None:
    add_order()
    wrong_tail = app.lookups.look_up(ORDER, tail, Complaint.RECHARGE_STUCK, now=now)
    unknown = app.lookups.look_up("KM20261127999999", "3821", Complaint.RECHARGE_STUCK, now=now)
    unknown_zero = app.lookups.look_up("KM20261127999999", "0000", Complaint.RECHARGE_STUCK, now=now)
    assert wrong_tail == unknown == unknown_zero == LookupResult(verified=False)
    assert wrong_tail.order is None and wrong_tail.diagnosis is None


# --- hand_off ---------------------------------------------------------------------------------


def test_handoff_creates_a_complete_ticket(app: App, add_order: Callable[..., str], now: datetime) -> None:
    add_order(paid_minutes_ago=45)
    steps = [StepRecord("refresh_relogin", "not_helped"), StepRecord("check_account", "pending")]
    result = app.handoffs.hand_off(request(steps=steps), now=now)
    assert isinstance(result, HandoffResult)
    assert result.created is True
    assert re.fullmatch(r"TK20261128\d{6}", result.ticket_no)
    assert result.priority is Priority.HIGH
    assert result.wait_minutes == 3  # high priority, nobody ahead

    view = app.handoffs.get_ticket(result.ticket_no)
    assert view is not None
    assert view.ticket_no == result.ticket_no
    assert view.conversation_id == "conv-1"
    assert view.order_no == ORDER
    assert view.status is TicketStatus.OPEN
    assert view.priority is Priority.HIGH
    assert view.created_at == now
    d = view.details
    assert d["verified"] is True
    assert d["complaint"] == "recharge_stuck"
    assert d["customer_description"] == "钱扣了，话费一直没到账"
    assert d["handoff_reason"] == "selfhelp_failed"
    assert d["priority_reasons"] == ["debited_processing_30min"]
    assert d["steps"] == [
        {"step": "refresh_relogin", "outcome": "not_helped"},
        {"step": "check_account", "outcome": "pending"},
    ]
    assert d["transcript"] == TRANSCRIPT
    snap = d["order"]
    assert snap["order_no"] == ORDER
    assert snap["phone_masked"] == "*******3821"
    assert "13800003821" not in str(view)
    assert snap["product_type"] == "话费" and snap["product_name"]
    assert snap["amount_cents"] == 10000 and snap["amount_yuan"] == "100"
    assert snap["payment_method"] == "alipay"
    assert snap["status"] == "processing"
    assert snap["debit_status"] == "debited"
    assert snap["diagnosis"] == "processing_overdue"
    assert snap["paid_at"] == (now - timedelta(minutes=45)).isoformat() + "Z"
    assert snap["created_at"].endswith("Z") and snap["status_changed_at"].endswith("Z")
    assert snap["refund_started_at"] is None
    assert [p["status"] for p in snap["payments"]] == ["debited"]


def test_handoff_twice_keeps_one_ticket(app: App, engine: Engine, add_order: Callable[..., str], now: datetime) -> None:
    add_order()
    first = app.handoffs.hand_off(request(), now=now)
    later = now + timedelta(minutes=5)
    more_steps = [StepRecord("refresh_relogin", "not_helped"), StepRecord("check_account", "not_helped")]
    second = app.handoffs.hand_off(request(steps=more_steps), now=later)
    assert first.created is True and second.created is False
    assert second.ticket_no == first.ticket_no
    (row,) = rows(engine)
    assert row.created_at == now and row.updated_at == later
    assert [s["step"] for s in row.steps] == ["refresh_relogin", "check_account"]


def test_handoff_different_order_same_conversation_is_a_second_ticket(
    app: App, engine: Engine, add_order: Callable[..., str], now: datetime
) -> None:
    add_order()
    add_order(order_no="KM20261128000107", phone="13911112233", paid_minutes_ago=8)
    a = app.handoffs.hand_off(request(), now=now)
    b = app.handoffs.hand_off(request(order_no="KM20261128000107"), now=now)
    assert a.created and b.created
    assert a.ticket_no != b.ticket_no
    assert {r.order_no for r in rows(engine)} == {ORDER, "KM20261128000107"}


def test_handoff_without_an_order(app: App, engine: Engine, now: datetime) -> None:
    result = app.handoffs.hand_off(request(order_no=None, steps=[]), now=now)
    again = app.handoffs.hand_off(request(order_no=None, steps=[]), now=now)
    assert result.created is True and again.created is False and again.ticket_no == result.ticket_no
    assert result.priority is Priority.NORMAL
    assert result.wait_minutes == 8
    (row,) = rows(engine)
    assert row.order_no is None and row.order_snapshot is None and row.verified is False
    assert row.dedupe_key == "conv-1:-"


def test_handoff_for_an_unknown_order_has_no_snapshot(app: App, now: datetime) -> None:
    result = app.handoffs.hand_off(request(order_no="KM20261127999999"), now=now)
    view = app.handoffs.get_ticket(result.ticket_no)
    assert view is not None and view.details["order"] is None and view.order_no == "KM20261127999999"


@pytest.mark.parametrize(
    ("paid_minutes_ago", "payments", "complaint", "frustration", "priority", "reasons"),
    [
        (10, ("debited",), Complaint.RECHARGE_STUCK, 0, Priority.NORMAL, []),
        (10, ("debited",), Complaint.RECHARGE_STUCK, 1, Priority.NORMAL, []),
        (10, ("debited",), Complaint.RECHARGE_STUCK, 2, Priority.HIGH, ["very_frustrated"]),
        (10, ("debited",), Complaint.RECHARGE_STUCK, 5, Priority.HIGH, ["very_frustrated"]),
        (30, ("debited",), Complaint.RECHARGE_STUCK, 0, Priority.HIGH, ["debited_processing_30min"]),
        (45, ("debited",), Complaint.RECHARGE_STUCK, 0, Priority.HIGH, ["debited_processing_30min"]),
        (10, ("debited", "debited"), Complaint.RECHARGE_STUCK, 0, Priority.HIGH, ["duplicate_charge"]),
        (10, ("debited",), Complaint.DUPLICATE_CHARGE, 0, Priority.HIGH, ["duplicate_charge"]),
        (45, ("debited",), Complaint.RECHARGE_STUCK, 3, Priority.HIGH, ["debited_processing_30min", "very_frustrated"]),
    ],
)
def test_handoff_priority(
    app: App,
    engine: Engine,
    add_order: Callable[..., str],
    now: datetime,
    paid_minutes_ago: int,
    payments: tuple[str, ...],
    complaint: Complaint,
    frustration: int,
    priority: Priority,
    reasons: list[str],
) -> None:
    add_order(paid_minutes_ago=paid_minutes_ago, payments=payments)
    result = app.handoffs.hand_off(request(complaint=complaint, frustration=frustration), now=now)
    assert result.priority is priority
    (row,) = rows(engine)
    assert row.priority == priority.value
    assert row.priority_reasons == reasons


def test_duplicate_charge_complaint_without_order_is_high(app: App, now: datetime) -> None:
    result = app.handoffs.hand_off(request(order_no=None, complaint=Complaint.DUPLICATE_CHARGE), now=now)
    assert result.priority is Priority.HIGH


def test_dedupe_key_is_unique_in_the_database(app: App, engine: Engine, now: datetime) -> None:
    names = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("tickets")}
    assert ("dedupe_key",) in names
    app.handoffs.hand_off(request(order_no=None), now=now)
    with Session(engine, future=True) as s:
        s.add(
            TicketRow(
                ticket_no="TK20261128999999",
                conversation_id="conv-1",
                dedupe_key="conv-1:-",
                complaint="recharge_stuck",
                handoff_reason="request_human",
                priority="normal",
                created_at=now,
                updated_at=now,
            )
        )
        with pytest.raises(IntegrityError):
            s.commit()
    assert len(rows(engine)) == 1


def test_concurrent_handoffs_create_one_ticket(
    app: App, engine: Engine, add_order: Callable[..., str], now: datetime
) -> None:
    add_order()
    barrier = threading.Barrier(8)
    results: list[HandoffResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(app.handoffs.hand_off(request(), now=now))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(results) == 8
    assert len({r.ticket_no for r in results}) == 1
    assert sum(r.created for r in results) == 1
    with Session(engine, future=True) as s:
        assert s.execute(select(func.count()).select_from(TicketRow)).scalar_one() == 1


def test_list_tickets_and_get_ticket(app: App, add_order: Callable[..., str], now: datetime) -> None:
    add_order(paid_minutes_ago=10)
    normal = app.handoffs.hand_off(request(conversation_id="a"), now=now - timedelta(minutes=9))
    high = app.handoffs.hand_off(request(conversation_id="b", order_no=None, frustration=2), now=now)
    assert normal.priority is Priority.NORMAL and high.priority is Priority.HIGH
    assert [t.ticket_no for t in app.handoffs.list_tickets()] == [high.ticket_no, normal.ticket_no]
    assert app.handoffs.list_tickets(["resolved"]) == []
    assert app.handoffs.get_ticket("TK00000000000000") is None
    found = app.handoffs.get_ticket(normal.ticket_no)
    assert found is not None and found.conversation_id == "a"

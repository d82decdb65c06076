"""Repositories against a real SQLite file: what they read, and that they never commit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from topup.db.repositories import NoticeRepository, OrderRepository, TicketRepository
from topup.db.schema import PaymentRow, TicketRow
from topup.model import OrderFacts, OrderStatus, PaymentStatus, Priority, TicketStatus


def ticket(
    n: int,
    created_at: datetime,
    priority: Priority = Priority.NORMAL,
    status: TicketStatus = TicketStatus.OPEN,
) -> TicketRow:
    return TicketRow(
        ticket_no=f"TK20261128{n:06d}",
        conversation_id=f"conv-{n}",
        dedupe_key=f"conv-{n}:-",
        complaint="recharge_stuck",
        handoff_reason="request_human",
        priority=priority.value,
        status=status.value,
        created_at=created_at,
        updated_at=created_at,
    )


def count_tickets(engine: Engine) -> int:
    with Session(engine, future=True) as s:
        return int(s.execute(select(func.count()).select_from(TicketRow)).scalar_one())


# --- orders -----------------------------------------------------------------------------------


def test_order_get_returns_facts_with_payments_in_order(
    session: Session, add_order: Callable[..., str], now: datetime
) -> None:
    add_order(status="processing", payments=("failed", "debited", "debited"), paid_minutes_ago=45)
    facts = OrderRepository(session).get("KM20261127004215")
    assert isinstance(facts, OrderFacts)
    assert facts.order_no == "KM20261127004215"
    assert facts.phone_tail == "3821"
    assert facts.status is OrderStatus.PROCESSING
    assert facts.amount_cents == 10000
    assert facts.product_type == "话费"
    assert facts.payment_method == "alipay"
    assert facts.paid_at == now - timedelta(minutes=45)
    assert facts.refund_started_at is None
    assert [p.status for p in facts.payments] == [PaymentStatus.FAILED, PaymentStatus.DEBITED, PaymentStatus.DEBITED]
    times = [p.created_at for p in facts.payments]
    assert times == sorted(times) and len(set(times)) == 3
    assert facts.debits == 2


def test_order_payments_ordered_by_time_not_insertion(session: Session, add_order: Callable[..., str]) -> None:
    add_order(payments=("debited",))
    facts = OrderRepository(session).get("KM20261127004215")
    assert facts is not None
    earlier = facts.payments[0].created_at - timedelta(minutes=5)
    session.add(
        PaymentRow(order_no=facts.order_no, amount_cents=1, method="alipay", status="failed", created_at=earlier)
    )
    session.flush()
    session.expire_all()
    again = OrderRepository(session).get("KM20261127004215")
    assert again is not None
    assert [p.status for p in again.payments] == [PaymentStatus.FAILED, PaymentStatus.DEBITED]


def test_order_get_unknown_is_none(session: Session, add_order: Callable[..., str]) -> None:
    add_order()
    assert OrderRepository(session).get("KM20261127999999") is None
    assert OrderRepository(session).get("") is None


def test_order_without_payments(session: Session, add_order: Callable[..., str]) -> None:
    add_order(order_no="KM20261128000415", status="unpaid", paid_minutes_ago=None, payments=())
    facts = OrderRepository(session).get("KM20261128000415")
    assert facts is not None
    assert facts.payments == ()
    assert facts.paid_at is None
    assert facts.status is OrderStatus.UNPAID


# --- notices ----------------------------------------------------------------------------------


def test_notice_active_only_at_the_time(session: Session, add_notice: Callable[..., None], now: datetime) -> None:
    hour = timedelta(hours=1)
    add_notice("current", now - hour, now + hour, product_type="游戏币")
    add_notice("expired", now - 3 * hour, now - hour)
    add_notice("future", now + hour, now + 2 * hour)
    add_notice("ends_now", now - hour, now)
    add_notice("starts_now", now, now + hour, payment_method="wechat")
    active = NoticeRepository(session).active(now)
    assert [n.title for n in active] == ["current", "starts_now"]  # ordered by start
    current = active[0]
    assert current.product_type == "游戏币" and current.payment_method is None
    assert current.kind == "maintenance"
    assert current.starts_at == now - hour and current.ends_at == now + hour
    assert active[1].payment_method == "wechat"
    assert [n.title for n in NoticeRepository(session).active(now + 90 * timedelta(minutes=1))] == ["future"]
    assert NoticeRepository(session).active(now + 10 * hour) == []


# --- tickets ----------------------------------------------------------------------------------


def test_open_ahead_of_counts_open_tickets(session: Session, now: datetime) -> None:
    repo = TicketRepository(session)
    assert repo.open_ahead_of(Priority.NORMAL) == 0
    assert repo.open_ahead_of(Priority.HIGH) == 0
    repo.add(ticket(1, now, Priority.HIGH))
    repo.add(ticket(2, now, Priority.NORMAL))
    repo.add(ticket(3, now, Priority.NORMAL))
    repo.add(ticket(4, now, Priority.HIGH, TicketStatus.RESOLVED))
    repo.add(ticket(5, now, Priority.NORMAL, TicketStatus.IN_PROGRESS))
    # A high-priority case only waits behind other high-priority cases; a normal one behind every open case.
    assert repo.open_ahead_of(Priority.HIGH) == 1
    assert repo.open_ahead_of(Priority.NORMAL) == 3


def test_list_by_status_high_priority_first_then_oldest(session: Session, now: datetime) -> None:
    repo = TicketRepository(session)
    minute = timedelta(minutes=1)
    repo.add(ticket(1, now - 1 * minute, Priority.NORMAL))
    repo.add(ticket(2, now - 5 * minute, Priority.NORMAL))
    repo.add(ticket(3, now - 2 * minute, Priority.HIGH))
    repo.add(ticket(4, now - 9 * minute, Priority.HIGH))
    repo.add(ticket(5, now - 60 * minute, Priority.HIGH, TicketStatus.RESOLVED))
    repo.add(ticket(6, now - 30 * minute, Priority.NORMAL, TicketStatus.IN_PROGRESS))
    open_ = repo.list_by_status([TicketStatus.OPEN.value])
    assert [t.ticket_no[-1] for t in open_] == ["4", "3", "2", "1"]
    assert [t.priority for t in open_] == [Priority.HIGH, Priority.HIGH, Priority.NORMAL, Priority.NORMAL]
    assert all(t.status is TicketStatus.OPEN for t in open_)
    both = repo.list_by_status([TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value])
    assert [t.ticket_no[-1] for t in both] == ["4", "3", "6", "2", "1"]
    assert [t.ticket_no[-1] for t in repo.list_by_status([TicketStatus.RESOLVED.value])] == ["5"]
    assert repo.list_by_status([]) == []


def test_ticket_view_details(session: Session, now: datetime) -> None:
    repo = TicketRepository(session)
    row = ticket(1, now, Priority.HIGH)
    row.priority_reasons = ["duplicate_charge"]
    row.steps = [{"step": "refresh_relogin", "outcome": "not_helped"}]
    repo.add(row)
    (view,) = repo.list_by_status(["open"])
    assert view.conversation_id == "conv-1"
    assert view.order_no is None
    assert view.created_at == now
    assert view.details["priority_reasons"] == ["duplicate_charge"]
    assert view.details["steps"] == [{"step": "refresh_relogin", "outcome": "not_helped"}]
    assert view.details["verified"] is False
    assert view.details["updated_at"] == now.isoformat()


def test_by_key(session: Session, now: datetime) -> None:
    repo = TicketRepository(session)
    repo.add(ticket(1, now))
    found = repo.by_key("conv-1:-")
    assert found is not None and found.ticket_no == "TK20261128000001"
    assert repo.by_key("conv-2:-") is None


def test_add_flushes_but_does_not_commit(engine: Engine, session: Session, now: datetime) -> None:
    row = TicketRepository(session).add(ticket(1, now))
    assert row.id is not None  # flushed: the database assigned the id
    assert TicketRepository(session).by_key("conv-1:-") is not None
    assert count_tickets(engine) == 0  # another connection does not see it: not committed
    session.rollback()
    assert TicketRepository(session).by_key("conv-1:-") is None
    assert count_tickets(engine) == 0


def test_reads_do_not_commit_pending_work(engine: Engine, session: Session, now: datetime) -> None:
    session.add(ticket(1, now))
    TicketRepository(session).open_ahead_of(Priority.NORMAL)
    TicketRepository(session).list_by_status(["open"])
    OrderRepository(session).get("KM20261127004215")
    NoticeRepository(session).active(now)
    session.rollback()
    assert count_tickets(engine) == 0

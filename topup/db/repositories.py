"""Repositories: queries over one session. They never commit; services own the unit of work."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from topup.conversation import tapped_title
from topup.db.schema import NoticeRow, OrderRow, SecurityEventRow, TicketConversationRow, TicketRow
from topup.model import (
    Notice,
    OrderFacts,
    OrderStatus,
    Payment,
    PaymentStatus,
    Priority,
    TicketStatus,
    TicketView,
)


def _facts(row: OrderRow) -> OrderFacts:
    return OrderFacts(
        order_no=row.order_no,
        phone_tail=row.phone[-4:],
        product_type=row.product_type,
        product_name=row.product_name,
        amount_cents=row.amount_cents,
        payment_method=row.payment_method,
        status=OrderStatus(row.status),
        created_at=row.created_at,
        paid_at=row.paid_at,
        status_changed_at=row.status_changed_at,
        refund_started_at=row.refund_started_at,
        refunded_at=row.refunded_at,
        payments=tuple(
            Payment(p.amount_cents, p.method, PaymentStatus(p.status), p.created_at) for p in row.payments
        ),
    )


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, order_no: str) -> OrderFacts | None:
        # One round trip: the order with its payments joined (a separate SELECT for them cost a second one).
        statement = select(OrderRow).options(joinedload(OrderRow.payments)).where(OrderRow.order_no == order_no)
        row = self.session.execute(statement).unique().scalar_one_or_none()
        return None if row is None else _facts(row)

    def latest_for_phone(self, phone: str) -> str | None:
        """The most recent order placed with this phone number (for customers signed in at the shop)."""
        return self.session.execute(
            select(OrderRow.order_no).where(OrderRow.phone == phone).order_by(OrderRow.created_at.desc()).limit(1)
        ).scalar_one_or_none()


class NoticeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def active(self, at: datetime) -> list[Notice]:
        rows = self.session.execute(
            select(NoticeRow)
            .where(NoticeRow.starts_at <= at, NoticeRow.ends_at > at)
            .order_by(NoticeRow.starts_at)
        ).scalars()
        return [
            Notice(r.id, r.kind, r.title, r.starts_at, r.ends_at, r.product_type, r.payment_method) for r in rows
        ]


def in_words(line: dict) -> dict:
    """A transcript line as the customer saw it: an old ticket's tapped payload ("/deny") shown as its title."""
    text = line.get("text") if isinstance(line, dict) else None
    if line.get("role") != "customer" or not isinstance(text, str) or not text.startswith("/"):
        return line
    title = tapped_title(text)
    return line if title is None else {**line, "text": title, "payload": text}


def ticket_view(row: TicketRow) -> TicketView:
    return TicketView(
        ticket_no=row.ticket_no,
        conversation_id=row.conversation_id,
        order_no=row.order_no,
        priority=Priority(row.priority),
        status=TicketStatus(row.status),
        created_at=row.created_at,
        details={
            "verified": row.verified,
            "complaint": row.complaint,
            "customer_description": row.customer_description,
            "handoff_reason": row.handoff_reason,
            "priority_reasons": list(row.priority_reasons or []),
            "order": row.order_snapshot,
            "steps": list(row.steps or []),
            "transcript": [in_words(line) for line in row.transcript or []],
            "updated_at": row.updated_at.isoformat(),
            "assigned_agent": row.assigned_agent,
            "claimed_at": row.claimed_at.isoformat() if row.claimed_at else None,
            "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
            "resolution": row.resolution,
            "rating": row.rating,
            "rating_comment": row.rating_comment,
            "first_reply_at": row.first_reply_at.isoformat() if row.first_reply_at else None,
        },
    )


class TicketRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_key(self, dedupe_key: str) -> TicketRow | None:
        return self.session.execute(select(TicketRow).where(TicketRow.dedupe_key == dedupe_key)).scalar_one_or_none()

    def add(self, row: TicketRow) -> TicketRow:
        self.session.add(row)
        self.session.flush()
        return row

    def open_for_order(self, order_no: str, other_than: str) -> TicketRow | None:
        """The order's open case from another conversation (a customer coming back in a new chat joins it)."""
        return self.session.execute(
            select(TicketRow).where(TicketRow.order_no == order_no, TicketRow.conversation_id != other_than,
                                    TicketRow.status.in_([TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value]))
            .order_by(TicketRow.created_at).limit(1)
        ).scalars().first()

    def link(self, ticket_no: str, conversation_id: str, now: datetime, transcript: list[dict]) -> bool:
        """The conversation is one of the ticket's (True if it was not yet)."""
        if self.session.get(TicketConversationRow, (ticket_no, conversation_id)) is not None:
            return False
        self.session.add(TicketConversationRow(ticket_no=ticket_no, conversation_id=conversation_id, joined_at=now,
                                               transcript=transcript))
        return True

    def conversations(self, ticket_no: str) -> list[TicketConversationRow]:
        return list(self.session.execute(
            select(TicketConversationRow).where(TicketConversationRow.ticket_no == ticket_no)
            .order_by(TicketConversationRow.joined_at)).scalars())

    def open_ahead_of(self, priority: Priority) -> int:
        """How many open tickets an agent will take before a new one of this priority."""
        query = select(func.count()).select_from(TicketRow).where(TicketRow.status == TicketStatus.OPEN.value)
        if priority is Priority.HIGH:
            query = query.where(TicketRow.priority == Priority.HIGH.value)
        return int(self.session.execute(query).scalar_one())

    def list_by_status(self, statuses: list[str]) -> list[TicketView]:
        rows = self.session.execute(
            select(TicketRow)
            .where(TicketRow.status.in_(statuses))
            .order_by((TicketRow.priority == Priority.HIGH.value).desc(), TicketRow.created_at)
        ).scalars()
        return [ticket_view(r) for r in rows]


class SecurityEventRepository:
    """Security events (failed and refused lookups) per client key."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: SecurityEventRow) -> SecurityEventRow:
        self.session.add(row)
        self.session.flush()
        return row

    def count_since(self, client_key: str, kind: str, since: datetime) -> int:
        """How many events of this kind the client caused at or after ``since`` (uses ix_security_events_client)."""
        query = (
            select(func.count())
            .select_from(SecurityEventRow)
            .where(
                SecurityEventRow.client_key == client_key,
                SecurityEventRow.kind == kind,
                SecurityEventRow.created_at >= since,
            )
        )
        return int(self.session.execute(query).scalar_one())

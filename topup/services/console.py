"""What the agent console and the takeover actions do to tickets: claim, relay, reply, resolve, rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from topup.db.engine import unit_of_work
from topup.db.repositories import OrderRepository, ticket_view
from topup.db.schema import AgentPresenceRow, TicketMessageRow, TicketRow
from topup.model import Priority, TicketStatus, TicketView
from topup.pii import mask_pii
from topup.presentation import order_snapshot, utcnow

ONLINE_WITHIN = timedelta(seconds=60)


class TicketConflict(Exception):
    """The ticket is not in a state that allows this (claimed by someone else, already resolved...)."""


class TicketNotFound(Exception):
    pass


@dataclass(frozen=True)
class LiveMessage:
    id: int
    ticket_no: str
    role: str
    author: str
    text: str
    created_at: datetime

    def as_dict(self) -> dict:
        return {"id": self.id, "ticket_no": self.ticket_no, "role": self.role, "author": self.author,
                "text": self.text, "created_at": self.created_at.isoformat() + "Z"}


def _live(row: TicketMessageRow) -> LiveMessage:
    return LiveMessage(row.id, row.ticket_no, row.role, row.author, row.text, row.created_at)


def _ticket(session, ticket_no: str) -> TicketRow:  # noqa: ANN001
    row = session.execute(select(TicketRow).where(TicketRow.ticket_no == ticket_no)).scalar_one_or_none()
    if row is None:
        raise TicketNotFound(ticket_no)
    return row


def queue(engine: Engine | None = None) -> list[TicketView]:
    """Open and in-progress tickets: high priority first, then the longest waiting."""
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(TicketRow)
            .where(TicketRow.status.in_([TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value]))
            .order_by((TicketRow.priority == Priority.HIGH.value).desc(), TicketRow.created_at)
        ).scalars()
        return [ticket_view(r) for r in rows]


def detail(ticket_no: str, engine: Engine | None = None) -> dict:
    """The case, the order's current record and the live messages."""
    with unit_of_work(engine) as session:
        row = _ticket(session, ticket_no)
        order = OrderRepository(session).get(row.order_no) if row.order_no else None
        messages = session.execute(
            select(TicketMessageRow).where(TicketMessageRow.ticket_no == ticket_no).order_by(TicketMessageRow.id)
        ).scalars()
        return {
            "ticket": ticket_view(row),
            "current_order": order_snapshot(order) if order else None,
            "messages": [_live(m) for m in messages],
        }


def claim(ticket_no: str, agent: str, engine: Engine | None = None, now: datetime | None = None) -> TicketView:
    now = now or utcnow()
    with unit_of_work(engine) as session:
        row = _ticket(session, ticket_no)
        if row.status == TicketStatus.RESOLVED.value:
            raise TicketConflict("already resolved")
        if row.assigned_agent and row.assigned_agent != agent:
            raise TicketConflict(f"claimed by {row.assigned_agent}")
        # Compare-and-set, so two agents clicking at once cannot both win.
        won = session.execute(
            update(TicketRow)
            .where(TicketRow.id == row.id, (TicketRow.assigned_agent.is_(None)) | (TicketRow.assigned_agent == agent))
            .values(status=TicketStatus.IN_PROGRESS.value, assigned_agent=agent, claimed_at=row.claimed_at or now,
                    updated_at=now)
        ).rowcount
        if not won:
            raise TicketConflict("claimed by someone else")
        session.refresh(row)
        return ticket_view(row)


def _add_message(session, row: TicketRow, role: str, author: str, text: str, delivered: bool) -> LiveMessage:  # noqa: ANN001
    message = TicketMessageRow(ticket_no=row.ticket_no, conversation_id=row.conversation_id, role=role,
                               author=author, text=text, delivered=delivered, created_at=utcnow())
    session.add(message)
    session.flush()
    return _live(message)


def post_agent_message(ticket_no: str, agent: str, text: str, engine: Engine | None = None) -> LiveMessage:
    """Queue an agent reply for delivery to the customer (action_deliver_agent_messages shows it)."""
    with unit_of_work(engine) as session:
        row = _ticket(session, ticket_no)
        if row.status != TicketStatus.IN_PROGRESS.value or row.assigned_agent != agent:
            raise TicketConflict("claim the ticket first")
        # An agent pasting a customer's card or phone number must not put it in the ticket or the chat.
        return _add_message(session, row, "agent", agent, mask_pii(text), delivered=False)


def take_undelivered(conversation_id: str, engine: Engine | None = None) -> list[LiveMessage]:
    """Agent replies not yet shown to the customer, marked delivered in the same unit of work."""
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(TicketMessageRow)
            .where(TicketMessageRow.conversation_id == conversation_id, TicketMessageRow.delivered.is_(False))
            .order_by(TicketMessageRow.id)
            .with_for_update()
        ).scalars().all()
        for row in rows:
            row.delivered = True
        return [_live(r) for r in rows]


def _held_by_agent(session, conversation_id: str) -> TicketRow | None:  # noqa: ANN001
    """The conversation's ticket an agent is working on, if any."""
    return session.execute(
        select(TicketRow)
        .where(TicketRow.conversation_id == conversation_id, TicketRow.status == TicketStatus.IN_PROGRESS.value)
        .order_by(TicketRow.claimed_at.desc())
    ).scalars().first()


def active_takeover(conversation_id: str, engine: Engine | None = None) -> TicketView | None:
    with unit_of_work(engine) as session:
        row = _held_by_agent(session, conversation_id)
        return None if row is None else ticket_view(row)


def relay_customer_message(conversation_id: str, text: str, engine: Engine | None = None) -> LiveMessage | None:
    """A customer message during a takeover, for the agent's view; None if no agent holds the conversation."""
    with unit_of_work(engine) as session:
        row = _held_by_agent(session, conversation_id)
        return None if row is None else _add_message(session, row, "customer", "", mask_pii(text), delivered=True)


def resolve(ticket_no: str, agent: str, resolution: str, engine: Engine | None = None) -> TicketView:
    now, resolution = utcnow(), mask_pii(resolution)
    with unit_of_work(engine) as session:
        row = _ticket(session, ticket_no)
        if row.status == TicketStatus.RESOLVED.value:
            raise TicketConflict("already resolved")
        if row.assigned_agent not in (None, agent):
            raise TicketConflict(f"claimed by {row.assigned_agent}")
        row.status, row.resolution, row.resolved_at, row.updated_at = TicketStatus.RESOLVED.value, resolution, now, now
        row.assigned_agent = agent
        _add_message(session, row, "system", agent, f"已解决：{resolution}", delivered=True)
        return ticket_view(row)


def rate(conversation_id: str, rating: int, engine: Engine | None = None) -> str | None:
    """Store a 1–5 rating on the conversation's latest resolved ticket that has none; its number."""
    if not 1 <= rating <= 5:
        raise ValueError("rating is 1 to 5")
    with unit_of_work(engine) as session:
        row = session.execute(
            select(TicketRow)
            .where(TicketRow.conversation_id == conversation_id, TicketRow.status == TicketStatus.RESOLVED.value,
                   TicketRow.rating.is_(None))
            .order_by(TicketRow.resolved_at.desc())
        ).scalars().first()
        if row is None:
            return None
        row.rating = rating
        return row.ticket_no


def messages_since(after_id: int, engine: Engine | None = None) -> list[LiveMessage]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(TicketMessageRow).where(TicketMessageRow.id > after_id).order_by(TicketMessageRow.id).limit(500)
        ).scalars()
        return [_live(r) for r in rows]


def touch_presence(agent: str, engine: Engine | None = None) -> None:
    with unit_of_work(engine) as session:
        row = session.get(AgentPresenceRow, agent)
        if row is None:
            session.add(AgentPresenceRow(username=agent, last_seen=utcnow()))
        else:
            row.last_seen = utcnow()


def agents_online(engine: Engine | None = None, now: datetime | None = None) -> int:
    cutoff = (now or utcnow()) - ONLINE_WITHIN
    with unit_of_work(engine) as session:
        return len(session.execute(select(AgentPresenceRow).where(AgentPresenceRow.last_seen >= cutoff)).all())

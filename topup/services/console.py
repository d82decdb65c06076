"""What the agent console and the takeover actions do to tickets: claim, relay, reply, resolve, rate."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from topup.clock import Clock
from topup.db.engine import unit_of_work
from topup.db.repositories import OrderRepository, in_words, ticket_view
from topup.db.schema import AgentPresenceRow, TicketConversationRow, TicketMessageRow, TicketRow
from topup.model import Priority, TicketStatus, TicketView
from topup.pii import Keep, mask_pii
from topup.presentation import order_snapshot
from topup.services.handoff import dedupe_key

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
    attachment: str | None = None  # an image's token (topup/services/attachments.py), shown with the text

    def as_dict(self) -> dict:
        return {"id": self.id, "ticket_no": self.ticket_no, "role": self.role, "author": self.author,
                "text": self.text, "created_at": self.created_at.isoformat() + "Z", "attachment": self.attachment}


def _live(row: TicketMessageRow) -> LiveMessage:
    return LiveMessage(row.id, row.ticket_no, row.role, row.author, row.text, row.created_at, row.attachment)


def _ticket(session: Session, ticket_no: str) -> TicketRow:
    row = session.execute(select(TicketRow).where(TicketRow.ticket_no == ticket_no)).scalar_one_or_none()
    if row is None:
        raise TicketNotFound(ticket_no)
    return row


def _add_message(session: Session, row: TicketRow, role: str, author: str, text: str, delivered: bool,
                 now: datetime, attachment: str | None = None) -> LiveMessage:
    message = TicketMessageRow(ticket_no=row.ticket_no, conversation_id=row.conversation_id, role=role,
                               author=author, text=text, attachment=attachment, delivered=delivered, created_at=now)
    session.add(message)
    session.flush()
    return _live(message)


def _of_conversation(conversation_id: str) -> ColumnElement[bool]:
    """Tickets of this conversation: its own, and the cases it joined (ticket_conversations)."""
    joined = select(TicketConversationRow.ticket_no).where(TicketConversationRow.conversation_id == conversation_id)
    return (TicketRow.conversation_id == conversation_id) | TicketRow.ticket_no.in_(joined)


def _held_by_agent(session: Session, conversation_id: str) -> TicketRow | None:
    """The conversation's ticket an agent is working on, if any."""
    return session.execute(
        select(TicketRow)
        .where(_of_conversation(conversation_id), TicketRow.status == TicketStatus.IN_PROGRESS.value)
        .order_by(TicketRow.claimed_at.desc())
    ).scalars().first()


class ConsoleService:
    """Tickets as agents work them, and the messages between them and customers."""

    def __init__(self, engine: Engine, clock: Clock, keep: Keep | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.keep = keep  # the order source's numbers, never masked as a card

    def queue(self) -> list[TicketView]:
        """Open and in-progress tickets: high priority first, then the longest waiting."""
        with unit_of_work(self.engine) as session:
            rows = session.execute(
                select(TicketRow)
                .where(TicketRow.status.in_([TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value]))
                .order_by((TicketRow.priority == Priority.HIGH.value).desc(), TicketRow.created_at)
            ).scalars()
            return [ticket_view(r) for r in rows]

    def detail(self, ticket_no: str) -> dict:
        """The case, the order's current record and the live messages."""
        with unit_of_work(self.engine) as session:
            row = _ticket(session, ticket_no)
            order = OrderRepository(session).get(row.order_no) if row.order_no else None
            messages = session.execute(
                select(TicketMessageRow).where(TicketMessageRow.ticket_no == ticket_no).order_by(TicketMessageRow.id)
            ).scalars()
            joined = session.execute(
                select(TicketConversationRow).where(TicketConversationRow.ticket_no == ticket_no)
                .order_by(TicketConversationRow.joined_at)).scalars().all()
            return {
                "ticket": ticket_view(row),
                "current_order": order_snapshot(order) if order else None,
                "messages": [_live(m) for m in messages],
                # every conversation of the case; the ones that joined later bring their own transcript
                "conversations": [{"conversation_id": c.conversation_id, "joined_at": c.joined_at,
                                   "transcript": [in_words(line) for line in c.transcript or []]} for c in joined],
            }

    def claim(self, ticket_no: str, agent: str, now: datetime | None = None) -> TicketView:
        now = now or self.clock.now()
        with unit_of_work(self.engine) as session:
            row = _ticket(session, ticket_no)
            if row.status == TicketStatus.RESOLVED.value:
                raise TicketConflict("already resolved")
            if row.assigned_agent and row.assigned_agent != agent:
                raise TicketConflict(f"claimed by {row.assigned_agent}")
            # Compare-and-set, so two agents clicking at once cannot both win.
            won = session.execute(
                update(TicketRow)
                .where(TicketRow.id == row.id,
                       (TicketRow.assigned_agent.is_(None)) | (TicketRow.assigned_agent == agent))
                .values(status=TicketStatus.IN_PROGRESS.value, assigned_agent=agent, claimed_at=row.claimed_at or now,
                        updated_at=now)
            ).rowcount
            if not won:
                raise TicketConflict("claimed by someone else")
            session.refresh(row)
            return ticket_view(row)

    def post_agent_message(self, ticket_no: str, agent: str, text: str, attachment: str | None = None) -> LiveMessage:
        """Queue an agent reply (or image: its attachment token) for delivery to the customer
        (action_deliver_agent_messages shows it)."""
        with unit_of_work(self.engine) as session:
            row = _ticket(session, ticket_no)
            if row.status != TicketStatus.IN_PROGRESS.value or row.assigned_agent != agent:
                raise TicketConflict("claim the ticket first")
            # An agent pasting a customer's card or phone number must not put it in the ticket or the chat.
            now = self.clock.now()
            row.first_reply_at = row.first_reply_at or now
            return _add_message(session, row, "agent", agent, mask_pii(text, self.keep), False, now, attachment)

    def take_undelivered(self, conversation_id: str) -> list[LiveMessage]:
        """Agent replies not yet shown to the customer, marked delivered in the same unit of work."""
        with unit_of_work(self.engine) as session:
            rows = session.execute(
                select(TicketMessageRow)
                .where(TicketMessageRow.conversation_id == conversation_id, TicketMessageRow.delivered.is_(False))
                .order_by(TicketMessageRow.id)
                .with_for_update()
            ).scalars().all()
            for row in rows:
                row.delivered = True
            return [_live(r) for r in rows]

    def active_takeover(self, conversation_id: str) -> TicketView | None:
        with unit_of_work(self.engine) as session:
            row = _held_by_agent(session, conversation_id)
            return None if row is None else ticket_view(row)

    def relay_customer_message(self, conversation_id: str, text: str) -> LiveMessage | None:
        """A customer message during a takeover, for the agent's view; None if no agent holds the conversation."""
        with unit_of_work(self.engine) as session:
            row = _held_by_agent(session, conversation_id)
            return None if row is None else _add_message(session, row, "customer", "", mask_pii(text, self.keep),
                                                                True, self.clock.now())

    def resolve(self, ticket_no: str, agent: str, resolution: str) -> TicketView:
        now, resolution = self.clock.now(), mask_pii(resolution, self.keep)
        with unit_of_work(self.engine) as session:
            row = _ticket(session, ticket_no)
            if row.status == TicketStatus.RESOLVED.value:
                raise TicketConflict("already resolved")
            if row.assigned_agent not in (None, agent):
                raise TicketConflict(f"claimed by {row.assigned_agent}")
            row.status, row.resolution = TicketStatus.RESOLVED.value, resolution
            row.resolved_at = row.updated_at = now
            row.assigned_agent = agent
            _add_message(session, row, "system", agent, f"已解决：{resolution}", True, now)
            return ticket_view(row)

    def rate(self, conversation_id: str, rating: int) -> str | None:
        """Store a 1–5 rating on the conversation's latest resolved ticket that has none; its number."""
        if not 1 <= rating <= 5:
            raise ValueError("rating is 1 to 5")
        with unit_of_work(self.engine) as session:
            row = session.execute(
                select(TicketRow)
                .where(_of_conversation(conversation_id), TicketRow.status == TicketStatus.RESOLVED.value,
                       TicketRow.rating.is_(None))
                .order_by(TicketRow.resolved_at.desc())
            ).scalars().first()
            if row is None:
                return None
            row.rating = rating
            return row.ticket_no

    def latest_message_id(self) -> int:
        """The newest live message's id (0 when there is none): one indexed max(), not a read of the table."""
        with unit_of_work(self.engine) as session:
            return int(session.execute(select(func.max(TicketMessageRow.id))).scalar() or 0)

    def messages_since(self, after_id: int) -> list[LiveMessage]:
        with unit_of_work(self.engine) as session:
            rows = session.execute(
                select(TicketMessageRow).where(TicketMessageRow.id > after_id).order_by(TicketMessageRow.id).limit(500)
            ).scalars()
            return [_live(r) for r in rows]

    def touch_presence(self, agent: str) -> None:
        with unit_of_work(self.engine) as session:
            row = session.get(AgentPresenceRow, agent)
            if row is None:
                session.add(AgentPresenceRow(username=agent, last_seen=self.clock.now()))
            else:
                row.last_seen = self.clock.now()

    def agents_online(self, now: datetime | None = None) -> int:
        cutoff = (now or self.clock.now()) - ONLINE_WITHIN
        with unit_of_work(self.engine) as session:
            return len(session.execute(select(AgentPresenceRow).where(AgentPresenceRow.last_seen >= cutoff)).all())

    # --- the customer's side of an open ticket (the conversation engine) ----------------------------------

    def ticket_state(self, ticket_no: str) -> TicketView | None:
        with unit_of_work(self.engine) as session:
            row = session.execute(select(TicketRow).where(TicketRow.ticket_no == ticket_no)).scalar_one_or_none()
            return None if row is None else ticket_view(row)

    def open_for_conversation(self, conversation_id: str) -> TicketView | None:
        """The conversation's newest ticket that is not resolved (a customer coming back finds it)."""
        with unit_of_work(self.engine) as session:
            row = session.execute(
                select(TicketRow)
                .where(_of_conversation(conversation_id),
                       TicketRow.status.in_([TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value]))
                .order_by(TicketRow.created_at.desc(), TicketRow.id.desc())
            ).scalars().first()
            return None if row is None else ticket_view(row)

    def add_customer_note(self, ticket_no: str, text: str, attachment: str | None = None) -> LiveMessage:
        """Something the customer said (or an image they sent: its attachment token) after the handoff, on the
        ticket where the agent sees it live."""
        with unit_of_work(self.engine) as session:
            row = _ticket(session, ticket_no)
            row.updated_at = self.clock.now()
            return _add_message(session, row, "customer", "", mask_pii(text, self.keep), True, self.clock.now(),
                                attachment)

    def add_system_note(self, ticket_no: str, text: str) -> LiveMessage:
        """A line from the system on the ticket (an order's status changed), for the agent only."""
        with unit_of_work(self.engine) as session:
            row = _ticket(session, ticket_no)
            row.updated_at = self.clock.now()
            return _add_message(session, row, "system", "", text, True, self.clock.now())

    def move_ticket(self, ticket_no: str, order_no: str, verified: bool) -> None:
        """After the handoff the customer switched to another order, or proved the ticket's order theirs: the
        ticket shows that order, with its facts once verified."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            row = _ticket(session, ticket_no)
            if row.order_no == order_no and (row.verified or not verified):
                return
            previous = row.order_no
            order = OrderRepository(session).get(order_no)
            row.order_no, row.verified, row.updated_at = order_no, verified, now
            row.order_snapshot = order_snapshot(order) if order is not None and verified else row.order_snapshot
            key = dedupe_key(row.conversation_id, order_no)
            taken = session.execute(select(TicketRow.id).where(TicketRow.dedupe_key == key)).first()
            if taken is None:  # a later handoff for this order finds this ticket
                row.dedupe_key = key
            if previous == order_no:
                note = f"客户已验证订单 {order_no}"
            else:
                note = f"客户改为咨询订单 {order_no}" + (f"（原订单 {previous}）" if previous else "")
            _add_message(session, row, "system", "", note, True, now)

    def close_by_customer(self, ticket_no: str) -> None:
        """The customer says it arrived and agrees to close: resolved, with that as the resolution."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            row = _ticket(session, ticket_no)
            if row.status == TicketStatus.RESOLVED.value:
                return
            row.status, row.resolution = TicketStatus.RESOLVED.value, "客户确认已到账，自行关闭"
            row.resolved_at = row.updated_at = now
            _add_message(session, row, "system", "", "客户确认已到账，工单已关闭", True, now)

"""What the agent console and the takeover actions do to tickets: claim, relay, reply, resolve, rate (the
customer's side of an open ticket: topup/services/customer_side.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from topup.clock import Clock
from topup.db.engine import unit_of_work
from topup.db.repositories import OrderRepository, in_words, ticket_view
from topup.db.schema import AgentPresenceRow, TicketConversationRow, TicketMessageRow, TicketRow
from topup.model import TicketStatus, TicketView
from topup.pii import Keep, mask_pii
from topup.presentation import order_snapshot
from topup.services.customer_side import CustomerSide
from topup.services.ticket_rows import (
    LiveMessage,
    TicketConflict,
    TicketNotFound,
    add_message,
    held_by_agent,
    live_message,
    of_conversation,
    ticket_row,
)

ONLINE_WITHIN = timedelta(seconds=60)
__all__ = ["ConsoleService", "LiveMessage", "TicketConflict", "TicketNotFound"]  # what callers import


class ConsoleService(CustomerSide):
    """Tickets as agents work them, and the messages between them and customers."""

    def __init__(self, engine: Engine, clock: Clock, keep: Keep | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.keep = keep  # the order source's numbers, never masked as a card

    def detail(self, ticket_no: str) -> dict:
        """The case, the order's current record and the live messages."""
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
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
                "messages": [live_message(m) for m in messages],
                # every conversation of the case; the ones that joined later bring their own transcript
                "conversations": [{"conversation_id": c.conversation_id, "joined_at": c.joined_at,
                                   "transcript": [in_words(line) for line in c.transcript or []]} for c in joined],
            }

    def claim(self, ticket_no: str, agent: str, now: datetime | None = None) -> TicketView:
        now = now or self.clock.now()
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
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
            row = ticket_row(session, ticket_no)
            if row.status != TicketStatus.IN_PROGRESS.value or row.assigned_agent != agent:
                raise TicketConflict("claim the ticket first")
            # An agent pasting a customer's card or phone number must not put it in the ticket or the chat.
            now = self.clock.now()
            row.first_reply_at = row.first_reply_at or now
            return add_message(session, row, "agent", agent, mask_pii(text, self.keep), False, now, attachment)

    def take_undelivered(self, conversation_id: str) -> list[LiveMessage]:
        """Agent replies not yet shown to the customer, marked delivered in the same unit of work."""
        with unit_of_work(self.engine) as session:
            rows = session.execute(
                select(TicketMessageRow)
                .where(TicketMessageRow.conversation_id == conversation_id, TicketMessageRow.delivered.is_(False),
                       TicketMessageRow.role == "agent")  # never a private note, whatever its flag says
                .order_by(TicketMessageRow.id)
                .with_for_update()
            ).scalars().all()
            for row in rows:
                row.delivered = True
            return [live_message(r) for r in rows]

    def active_takeover(self, conversation_id: str) -> TicketView | None:
        with unit_of_work(self.engine) as session:
            row = held_by_agent(session, conversation_id)
            return None if row is None else ticket_view(row)

    def relay_customer_message(self, conversation_id: str, text: str) -> LiveMessage | None:
        """A customer message during a takeover, for the agent's view; None if no agent holds the conversation."""
        with unit_of_work(self.engine) as session:
            row = held_by_agent(session, conversation_id)
            return None if row is None else add_message(session, row, "customer", "", mask_pii(text, self.keep),
                                                                True, self.clock.now())

    def resolve(self, ticket_no: str, agent: str, resolution: str) -> TicketView:
        now, resolution = self.clock.now(), mask_pii(resolution, self.keep)
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
            if row.status == TicketStatus.RESOLVED.value:
                raise TicketConflict("already resolved")
            if row.assigned_agent not in (None, agent):
                raise TicketConflict(f"claimed by {row.assigned_agent}")
            row.status, row.resolution = TicketStatus.RESOLVED.value, resolution
            row.resolved_at = row.updated_at = now
            row.assigned_agent = agent
            add_message(session, row, "system", agent, f"已解决：{resolution}", True, now)
            return ticket_view(row)

    def rate(self, conversation_id: str, rating: int) -> str | None:
        """Store a 1–5 rating on the conversation's latest resolved ticket that has none; its number."""
        if not 1 <= rating <= 5:
            raise ValueError("rating is 1 to 5")
        with unit_of_work(self.engine) as session:
            row = session.execute(
                select(TicketRow)
                .where(of_conversation(conversation_id), TicketRow.status == TicketStatus.RESOLVED.value,
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
            return [live_message(r) for r in rows]

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

"""Conversations as the reports and the console see them: how each one ended, and whether the customer is there.

The action server records every turn (`record`: started, about what, solved by the assistant alone or handed
off); the web app records the customer's page (`seen`: open, what it has shown, typing) and the agent's typing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from topup.clock import Clock
from topup.db.engine import unit_of_work
from topup.db.schema import ConversationRow, TicketMessageRow, TicketRow
from topup.model import Complaint, TicketStatus
from topup.services.ticket_rows import of_conversation

ONLINE_WITHIN = timedelta(seconds=45)  # the widget reports every 15 s while its page is open
TYPING_WITHIN = timedelta(seconds=6)  # a typing report holds this long unless renewed (every 3 s while typing)

OPEN, SOLVED, HANDED_OFF, DROPPED = "open", "solved", "handed_off", "dropped"
# An outcome only moves forward: a handed-off conversation stays one in the reports even if it is closed later.
_RANK = {OPEN: 0, DROPPED: 1, SOLVED: 2, HANDED_OFF: 3}


@dataclass(frozen=True)
class Presence:
    """The customer's side of a conversation, for the agent: page open, read up to, typing."""

    online: bool
    seen_at: datetime | None
    read_ts: float | None
    typing: bool
    agent_typing: bool

    def as_dict(self) -> dict:
        return {"online": self.online, "seen_at": self.seen_at.isoformat() + "Z" if self.seen_at else None,
                "read_ts": self.read_ts, "typing": self.typing, "agent_typing": self.agent_typing}


def _complaint(code: str | None) -> str | None:
    if not code:
        return None
    parsed = Complaint.parse(code)
    return parsed.value if parsed is not None else None


class ConversationService:
    def __init__(self, engine: object, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def _row(self, session: object, conversation_id: str, now: datetime) -> ConversationRow:
        row = session.get(ConversationRow, conversation_id)
        if row is None:
            row = ConversationRow(conversation_id=conversation_id, started_at=now, last_message_at=now, outcome=OPEN)
            session.add(row)
        return row

    def record(self, conversation_id: str, complaint: str | None, outcome: str, customer_sub: str | None = None,
               now: datetime | None = None) -> None:
        """One customer turn: the conversation exists from its first message; its complaint is the first one
        named; its outcome moves forward only (open → solved → handed off)."""
        now = now or self.clock.now()
        with unit_of_work(self.engine) as session:
            row = self._row(session, conversation_id, now)
            row.last_message_at = now
            if not row.complaint or row.complaint == Complaint.CHECK_ORDER_STATUS.value:  # a vaguer one is refined
                row.complaint = _complaint(complaint) or row.complaint
            row.customer_sub = customer_sub or row.customer_sub
            if _RANK.get(outcome, 0) > _RANK.get(row.outcome, 0):
                row.outcome = outcome
                row.closed_at = now if outcome != OPEN else None

    def last_resolution(self, conversation_id: str) -> tuple[str, str | None] | None:
        """The resolution the agent wrote on this conversation's latest resolved case, and who wrote it."""
        with unit_of_work(self.engine) as session:
            row = session.execute(
                select(TicketRow.resolution, TicketRow.assigned_agent)
                .where(of_conversation(conversation_id), TicketRow.status == TicketStatus.RESOLVED.value)
                .order_by(TicketRow.resolved_at.desc()).limit(1)
            ).first()
            return None if row is None or not row[0] else (row[0], row[1])

    def comment_rating(self, conversation_id: str, comment: str) -> str | None:
        """The customer's words with their rating, on the conversation's latest rated case; its number (None when
        they have not rated anything)."""
        with unit_of_work(self.engine) as session:
            row = session.execute(
                select(TicketRow).where(of_conversation(conversation_id), TicketRow.rating.is_not(None))
                .order_by(TicketRow.resolved_at.desc()).limit(1)
            ).scalars().first()
            if row is None:
                return None
            row.rating_comment = comment
            return row.ticket_no

    def last_agent_reply(self, ticket_no: str) -> float | None:
        """When the ticket's newest delivered agent reply was written (epoch seconds, the read receipts' scale)."""
        with unit_of_work(self.engine) as session:
            at = session.execute(
                select(func.max(TicketMessageRow.created_at)).where(
                    TicketMessageRow.ticket_no == ticket_no, TicketMessageRow.role == "agent")
            ).scalar()
            return None if at is None else at.replace(tzinfo=timezone.utc).timestamp()

    def waiting_replies(self, conversation_id: str) -> int:
        """Agent replies for this conversation that Rasa has not shown yet (it was down when they were sent)."""
        with unit_of_work(self.engine) as session:
            return int(session.execute(
                select(func.count()).select_from(TicketMessageRow).where(
                    TicketMessageRow.conversation_id == conversation_id, TicketMessageRow.delivered.is_(False),
                    TicketMessageRow.role == "agent")
            ).scalar() or 0)

    def latest_for_customer(self, customer_sub: str) -> str | None:
        """A signed-in shop customer's newest conversation (their other devices continue it)."""
        with unit_of_work(self.engine) as session:
            return session.execute(
                select(ConversationRow.conversation_id).where(ConversationRow.customer_sub == customer_sub)
                .order_by(ConversationRow.last_message_at.desc()).limit(1)
            ).scalar_one_or_none()

    def seen(self, conversation_id: str, read_ts: float | None, typing: bool) -> bool | None:
        """The customer's page is open; it has shown everything up to `read_ts` (server time of the newest message
        it showed while visible); the customer is typing. Whether the agent is typing (the page's answer), in the
        same unit of work; None for a conversation that never had a message (nothing is written for it)."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                return None
            row.seen_at = now
            if read_ts is not None and read_ts > (row.read_ts or 0):
                row.read_ts = read_ts
            row.typing_at = now if typing else None
            return row.agent_typing_at is not None and now - row.agent_typing_at <= TYPING_WITHIN

    def left(self, conversation_id: str) -> None:
        """The customer's page closed: not online, not typing (what it had read stays)."""
        with unit_of_work(self.engine) as session:
            row = session.get(ConversationRow, conversation_id)
            if row is not None and row.seen_at is not None:  # "last online" shown to the minute: ~45 s early
                row.seen_at = self.clock.now() - ONLINE_WITHIN - timedelta(seconds=1)
                row.typing_at = None

    def agent_typing(self, conversation_id: str, typing: bool) -> None:
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            row = session.get(ConversationRow, conversation_id)
            if row is not None:
                row.agent_typing_at = now if typing else None

    def presence(self, conversation_id: str) -> Presence:
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                return Presence(False, None, None, False, False)

            def recent(at: datetime | None, within: timedelta) -> bool:
                return at is not None and now - at <= within

            return Presence(recent(row.seen_at, ONLINE_WITHIN), row.seen_at, row.read_ts,
                            recent(row.typing_at, TYPING_WITHIN), recent(row.agent_typing_at, TYPING_WITHIN))

"""An agent's work on a case beside the conversation: private notes, handing the case to a colleague, putting it
back in the queue.

A note is a ticket message with role `note`: colleagues see it in the case view (and live, over the console's
event stream), the customer never does. It is stored as delivered, so the delivery of agent replies
(`ConsoleService.take_undelivered`) can never pick it up, and nothing the customer can fetch reads
ticket_messages.

Transfer and release are compare-and-set like the claim: only the agent holding the ticket may do either, and
of two clicks at once (the holder's two tabs, a transfer racing a release) exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from topup.agents import AgentDirectory
from topup.clock import Clock
from topup.db.engine import reading, unit_of_work
from topup.db.repositories import ticket_view
from topup.db.schema import AgentPresenceRow, TicketConversationRow, TicketRow
from topup.model import TicketStatus, TicketView
from topup.pii import Keep, mask_pii
from topup.services.console import ONLINE_WITHIN
from topup.services.ticket_rows import LiveMessage, TicketConflict, TicketNotFound, add_message, ticket_row

NOTE = "note"
MAX_NOTE = 2000

# TicketConflict reasons beside the console's own ("already resolved", "claimed by <username>").
NOT_CLAIMED = "not claimed"  # nobody holds it: claim it first
CHANGED = "changed meanwhile"  # the holder's other tab, or a transfer racing a release, got there first
TO_SELF = "transfer to self"


class UnknownAgent(LookupError):
    """The transfer's target is not an agent account."""


@dataclass(frozen=True)
class AgentStatus:
    username: str
    display_name: str
    online: bool

    def as_dict(self) -> dict:
        return {"username": self.username, "display_name": self.display_name, "online": self.online}


def _held(row: TicketRow, agent: str) -> None:
    """Refuse unless `agent` holds the ticket, with the reason the console words for the agent."""
    if row.status == TicketStatus.RESOLVED.value:
        raise TicketConflict("already resolved")
    if row.assigned_agent is None or row.status != TicketStatus.IN_PROGRESS.value:
        raise TicketConflict(NOT_CLAIMED)
    if row.assigned_agent != agent:
        raise TicketConflict(f"claimed by {row.assigned_agent}")


class CaseworkService:
    """Notes, transfer and release; each writes a line on the ticket that every console shows live."""

    def __init__(self, engine: Engine, clock: Clock, agents: AgentDirectory, keep: Keep | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.agents = agents
        self.keep = keep  # the order source's numbers, never masked as a card

    def add_note(self, ticket_no: str, agent: str, text: str) -> LiveMessage:
        """A private note on any ticket, by any signed-in agent (a hint for the holder, a remark after the
        case is closed). Stored delivered: it is never shown to the customer."""
        text = text.strip()
        if not text:
            raise ValueError("empty note")
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
            # The ticket's updated_at stays: a note is not news from the customer, and every console re-reading
            # the case for it would only flicker (the note itself arrives as a live message).
            return add_message(session, row, NOTE, agent, mask_pii(text[:MAX_NOTE], self.keep), True, self.clock.now())

    def transfer(self, ticket_no: str, agent: str, to: str, now: datetime | None = None) -> TicketView:
        """The holder hands the case to a colleague, who holds it from now on (the customer is told the new
        name by the console, through Rasa)."""
        if self.agents.get(to) is None:
            raise UnknownAgent(to)
        now = now or self.clock.now()
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
            _held(row, agent)
            if to == agent:
                raise TicketConflict(TO_SELF)
            self._swap(session, row, agent, {"assigned_agent": to, "updated_at": now})
            add_message(session, row, "system", agent, f"{self._name(agent)}把工单转给了{self._name(to)}", True, now)
            return ticket_view(row)

    def release(self, ticket_no: str, agent: str, now: datetime | None = None) -> TicketView:
        """The holder puts the case back in the queue: open, held by nobody, for the next agent to claim."""
        now = now or self.clock.now()
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
            _held(row, agent)
            self._swap(session, row, agent, {"status": TicketStatus.OPEN.value, "assigned_agent": None,
                                             "updated_at": now})
            add_message(session, row, "system", agent, f"{self._name(agent)}把工单放回了队列", True, now)
            return ticket_view(row)

    def agent_list(self, now: datetime | None = None) -> list[AgentStatus]:
        """Every agent account, with whether its console is open now (for the transfer picker): online first."""
        cutoff = (now or self.clock.now()) - ONLINE_WITHIN
        with reading(self.engine) as session:
            online = set(session.execute(
                select(AgentPresenceRow.username).where(AgentPresenceRow.last_seen >= cutoff)).scalars())
        accounts = self.agents.accounts().values()
        listed = [AgentStatus(a.username, a.display_name, a.username in online) for a in accounts]
        return sorted(listed, key=lambda a: (not a.online, a.display_name, a.username))

    def conversations(self, ticket_no: str) -> list[str]:
        """The ticket's conversations, its own first, then those that joined the case: everywhere the customer
        may be reading, so a transfer or a release is told in each."""
        with reading(self.engine) as session:
            own = session.execute(select(TicketRow.conversation_id).where(TicketRow.ticket_no == ticket_no)).scalar()
            if own is None:
                raise TicketNotFound(ticket_no)
            joined = session.execute(
                select(TicketConversationRow.conversation_id).where(TicketConversationRow.ticket_no == ticket_no)
                .order_by(TicketConversationRow.joined_at)).scalars()
            return [own] + [c for c in joined if c != own]

    # --- helpers ----------------------------------------------------------------------------------------------

    def _name(self, username: str) -> str:
        return self.agents.display_name(username, "同事")

    @staticmethod
    def _swap(session: Session, row: TicketRow, agent: str, values: dict) -> None:
        """Change the ticket only if `agent` still holds it; refuse the loser of a race."""
        won = session.execute(
            update(TicketRow)
            .where(TicketRow.id == row.id, TicketRow.status == TicketStatus.IN_PROGRESS.value,
                   TicketRow.assigned_agent == agent)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not won:
            raise TicketConflict(CHANGED)
        session.refresh(row)

"""What every ticket service shares: the conflicts, a live message, finding a ticket and writing a line on it,
and the tickets of a conversation (its own and the cases it joined)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from topup.db.schema import TicketConversationRow, TicketMessageRow, TicketRow
from topup.model import TicketStatus


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


def live_message(row: TicketMessageRow) -> LiveMessage:
    return LiveMessage(row.id, row.ticket_no, row.role, row.author, row.text, row.created_at, row.attachment)


def ticket_row(session: Session, ticket_no: str) -> TicketRow:
    row = session.execute(select(TicketRow).where(TicketRow.ticket_no == ticket_no)).scalar_one_or_none()
    if row is None:
        raise TicketNotFound(ticket_no)
    return row


def add_message(session: Session, row: TicketRow, role: str, author: str, text: str, delivered: bool,
                 now: datetime, attachment: str | None = None) -> LiveMessage:
    message = TicketMessageRow(ticket_no=row.ticket_no, conversation_id=row.conversation_id, role=role,
                               author=author, text=text, attachment=attachment, delivered=delivered, created_at=now)
    session.add(message)
    session.flush()
    return live_message(message)


def of_conversation(conversation_id: str) -> ColumnElement[bool]:
    """Tickets of this conversation: its own, and the cases it joined (ticket_conversations)."""
    joined = select(TicketConversationRow.ticket_no).where(TicketConversationRow.conversation_id == conversation_id)
    return (TicketRow.conversation_id == conversation_id) | TicketRow.ticket_no.in_(joined)


def held_by_agent(session: Session, conversation_id: str) -> TicketRow | None:
    """The conversation's ticket an agent is working on, if any."""
    return session.execute(
        select(TicketRow)
        .where(of_conversation(conversation_id), TicketRow.status == TicketStatus.IN_PROGRESS.value)
        .order_by(TicketRow.claimed_at.desc())
    ).scalars().first()

"""The customer's side of an open ticket, as the conversation engine asks for it: find the conversation's case, add
what the customer says to it, move it to another order, close it when the customer says it arrived."""

from __future__ import annotations

from sqlalchemy import select

from topup.db.engine import unit_of_work
from topup.db.repositories import OrderRepository, ticket_view
from topup.db.schema import TicketRow
from topup.model import TicketStatus, TicketView
from topup.pii import mask_pii
from topup.presentation import order_snapshot, phone_tail
from topup.services.handoff import dedupe_key
from topup.services.ticket_rows import LiveMessage, add_message, of_conversation, ticket_row


class CustomerSide:
    """Mixed into ConsoleService (topup/services/console.py), which gives it its engine, clock and kept numbers."""

    def ticket_state(self, ticket_no: str) -> TicketView | None:
        with unit_of_work(self.engine) as session:
            row = session.execute(select(TicketRow).where(TicketRow.ticket_no == ticket_no)).scalar_one_or_none()
            return None if row is None else ticket_view(row)

    def open_for_conversation(self, conversation_id: str) -> TicketView | None:
        """The conversation's newest ticket that is not resolved (a customer coming back finds it)."""
        with unit_of_work(self.engine) as session:
            row = session.execute(
                select(TicketRow)
                .where(of_conversation(conversation_id),
                       TicketRow.status.in_([TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value]))
                .order_by(TicketRow.created_at.desc(), TicketRow.id.desc())
            ).scalars().first()
            return None if row is None else ticket_view(row)

    def add_customer_note(self, ticket_no: str, text: str, attachment: str | None = None) -> LiveMessage:
        """Something the customer said (or an image they sent: its attachment token) after the handoff, on the
        ticket where the agent sees it live."""
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
            row.updated_at = self.clock.now()
            return add_message(session, row, "customer", "", mask_pii(text, self.keep), True, self.clock.now(),
                                attachment)

    def add_system_note(self, ticket_no: str, text: str) -> LiveMessage:
        """A line from the system on the ticket (an order's status changed), for the agent only."""
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
            row.updated_at = self.clock.now()
            return add_message(session, row, "system", "", text, True, self.clock.now())

    def move_ticket(self, ticket_no: str, order_no: str, verified: bool) -> None:
        """After the handoff the customer switched to another order, or proved the ticket's order theirs: the
        ticket shows that order, with its facts once verified."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
            if row.order_no == order_no and (row.verified or not verified):
                return
            previous = row.order_no
            order = OrderRepository(session).get(order_no)
            row.order_no, row.verified, row.updated_at = order_no, verified, now
            row.order_snapshot = order_snapshot(order) if order is not None and verified else row.order_snapshot
            row.phone_tail = phone_tail(row.order_snapshot)
            key = dedupe_key(row.conversation_id, order_no)
            taken = session.execute(select(TicketRow.id).where(TicketRow.dedupe_key == key)).first()
            if taken is None:  # a later handoff for this order finds this ticket
                row.dedupe_key = key
            if previous == order_no:
                note = f"客户已验证订单 {order_no}"
            else:
                note = f"客户改为咨询订单 {order_no}" + (f"（原订单 {previous}）" if previous else "")
            add_message(session, row, "system", "", note, True, now)

    def close_by_customer(self, ticket_no: str) -> None:
        """The customer says it arrived and agrees to close: resolved, with that as the resolution."""
        now = self.clock.now()
        with unit_of_work(self.engine) as session:
            row = ticket_row(session, ticket_no)
            if row.status == TicketStatus.RESOLVED.value:
                return
            row.status, row.resolution = TicketStatus.RESOLVED.value, "客户确认已到账，自行关闭"
            row.resolved_at = row.updated_at = now
            add_message(session, row, "system", "", "客户确认已到账，工单已关闭", True, now)

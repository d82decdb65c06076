"""Handoff: the case an agent receives, written once per conversation and order."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from topup.clock import Clock
from topup.db.engine import unit_of_work
from topup.db.repositories import NoticeRepository, OrderRepository, TicketRepository, ticket_view
from topup.db.schema import TicketMessageRow, TicketRow
from topup.diagnosis import diagnose
from topup.model import Complaint, DebitStatus, OrderFacts, Priority, StepRecord, TicketStatus, TicketView
from topup.pii import Keep, mask_pii
from topup.presentation import order_snapshot, phone_tail
from topup.sources import OrderSource, SourceUnavailable
from topup.sources.acg_tickets import AcgTickets
from topup.summary import case_summary

logger = logging.getLogger(__name__)

VERY_FRUSTRATED = 2  # frustrated messages that make a case high priority


@dataclass(frozen=True)
class HandoffRequest:
    conversation_id: str
    order_no: str | None
    verified: bool
    complaint: Complaint
    customer_description: str
    reason: str
    steps: list[StepRecord] = field(default_factory=list)
    transcript: list[dict] = field(default_factory=list)
    claims_debit: bool = False
    frustration: int = 0
    complained: bool = False  # the customer asked to complain
    angry: bool = False  # insults, "骗子", "报警"


@dataclass(frozen=True)
class HandoffResult:
    ticket_no: str
    created: bool
    priority: Priority
    wait_minutes: int


def dedupe_key(conversation_id: str, order_no: str | None) -> str:
    return f"{conversation_id}:{order_no or '-'}"


def estimate_wait(priority: Priority, ahead: int) -> int:
    """Minutes until an agent picks the case up: a few per case ahead, capped at an hour."""
    base = 3 if priority is Priority.HIGH else 8
    return min(60, base + 3 * ahead)


def _order(source: OrderSource | None, order_no: str, session: Session) -> OrderFacts | None:
    """The order for the ticket's snapshot: from the configured source; a platform that is down leaves the
    snapshot out (the ticket is written all the same, the agent looks the order up)."""
    if source is None:
        return OrderRepository(session).get(order_no)
    try:
        return source.get(order_no)
    except SourceUnavailable:
        logger.warning("order source down: ticket for %s written without the order's snapshot", order_no[:6])
        return None


def _assess(request: HandoffRequest, session: Session, now: datetime,
            source: OrderSource | None = None) -> tuple[dict | None, Priority, list[str]]:
    reasons: list[str] = []
    snapshot = None
    money_taken = request.claims_debit
    if request.order_no:
        order = _order(source, request.order_no, session)
        if order is not None:
            notices = NoticeRepository(session).active(now)
            diagnosis = diagnose(order, notices, request.complaint, now, request.claims_debit)
            snapshot = order_snapshot(order)
            snapshot["diagnosis"] = diagnosis.kind.value
            snapshot["notice"] = diagnosis.notice.title if diagnosis.notice else None
            reasons.extend(diagnosis.reasons)
            money_taken = money_taken or order.debit_status in (DebitStatus.DEBITED, DebitStatus.DUPLICATE)
    if request.complaint is Complaint.DUPLICATE_CHARGE and "duplicate_charge" not in reasons:
        reasons.append("duplicate_charge")
    if request.complained and money_taken:
        reasons.append("complaint_money_taken")
    if request.angry and money_taken:
        reasons.append("angry_money_taken")
    if request.frustration >= VERY_FRUSTRATED:
        reasons.append("very_frustrated")
    return snapshot, (Priority.HIGH if reasons else Priority.NORMAL), reasons


class HandoffService:
    def __init__(self, engine: Engine, clock: Clock, source: OrderSource | None = None,
                 platform_tickets: AcgTickets | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.source = source  # None: the built-in schema, read in the ticket's own session
        self.keep = source.order_format.keep if source is not None else None  # its numbers are never masked
        self.platform_tickets = platform_tickets  # acg-faka's own ticket table, for members' orders (optional)

    def _platform_ticket(self, row: TicketRow, priority: Priority, now: datetime) -> None:
        """A member's order on acg-faka: the platform's own ticket too; its number on our ticket's snapshot."""
        snapshot = row.order_snapshot or {}
        if self.platform_tickets is None or not (snapshot.get("platform") or {}).get("member"):
            return
        summary = f"{case_summary(ticket_view(row))}\n客户说：{row.customer_description}\n智能客服工单 {row.ticket_no}"
        number = self.platform_tickets.open(snapshot["platform"], row.order_no or "", snapshot.get("product_name", ""),
                                            summary, priority is Priority.HIGH, now)
        if number:
            row.order_snapshot = {**snapshot, "platform": {**snapshot["platform"], "ticket_no": number}}

    def hand_off(self, request: HandoffRequest, now: datetime | None = None) -> HandoffResult:
        """Create the ticket, or refresh the one this conversation already has for this order."""
        now = now or self.clock.now()
        key = dedupe_key(request.conversation_id, request.order_no)
        with unit_of_work(self.engine) as session:
            tickets = TicketRepository(session)
            snapshot, priority, reasons = _assess(request, session, now, self.source)
            row = tickets.by_key(key)
            joined = None if row is not None or not request.order_no or not request.verified else \
                tickets.open_for_order(request.order_no, request.conversation_id)
            if joined is not None:  # the same order's open case, from an earlier conversation: this one joins it
                return self._join(tickets, joined, request, snapshot, priority, reasons, now)
            created = row is None
            if row is None:
                ahead = tickets.open_ahead_of(priority)
                row = TicketRow(
                    ticket_no=f"tmp-{uuid.uuid4().hex[:28]}",  # fits String(32) (PostgreSQL enforces it)
                    conversation_id=request.conversation_id,
                    dedupe_key=key,
                    created_at=now,
                    status=TicketStatus.OPEN.value,
                )
                _fill(row, request, snapshot, priority, reasons, now, self.keep)
                try:
                    with session.begin_nested():
                        tickets.add(row)
                        row.ticket_no = f"TK{now:%Y%m%d}{row.id:06d}"
                except IntegrityError:  # a concurrent handoff for the same conversation and order won
                    row = tickets.by_key(key)
                    created = False
                    assert row is not None
                else:
                    tickets.link(row.ticket_no, request.conversation_id, now, [])
                    self._platform_ticket(row, priority, now)
            else:
                ahead = max(0, tickets.open_ahead_of(priority) - 1)
                if row.status == TicketStatus.RESOLVED.value:  # the problem is back: the same ticket, reopened
                    row.status, row.resolved_at, row.assigned_agent, row.claimed_at = (
                        TicketStatus.OPEN.value, None, None, None)
                    session.add(TicketMessageRow(ticket_no=row.ticket_no, conversation_id=row.conversation_id,
                                                 role="system", author="", text="客户再次求助，工单重新打开",
                                                 delivered=True, created_at=now))
                _fill(row, request, snapshot, priority, reasons, now, self.keep)
            return HandoffResult(row.ticket_no, created, Priority(row.priority), estimate_wait(priority, ahead))


    def _join(self, tickets: TicketRepository, row: TicketRow, request: HandoffRequest, snapshot: dict | None,
              priority: Priority, reasons: list[str], now: datetime) -> HandoffResult:
        """A verified second conversation about an order with an open case: one case, both conversations. The
        ticket keeps its first conversation's transcript and gets this one's beside it; replies go to the newest
        conversation (the customer is there now). An unverified one never joins: it could be anyone's chat."""
        keep = self.keep
        transcript = [{**line, "text": mask_pii(line["text"], keep)} if isinstance(line.get("text"), str) else line
                      for line in request.transcript]
        first = tickets.link(row.ticket_no, request.conversation_id, now, transcript)
        if first:
            said = mask_pii(request.customer_description, keep)
            row.customer_description = " / ".join(t for t in (row.customer_description, said) if t)[:4000]
            row.steps = list(row.steps or []) + [{"step": s.step, "outcome": s.outcome} for s in request.steps]
            session = tickets.session
            session.add(TicketMessageRow(ticket_no=row.ticket_no, conversation_id=request.conversation_id,
                                         role="system", author="", text="客户换了一个对话窗口，又来问这个订单",
                                         delivered=True, created_at=now))
        if priority is Priority.HIGH and row.priority != Priority.HIGH.value:
            row.priority = Priority.HIGH.value
        row.priority_reasons = sorted(set(row.priority_reasons or []) | set(reasons))
        row.order_snapshot = snapshot or row.order_snapshot
        row.phone_tail = phone_tail(row.order_snapshot)
        row.verified = True
        row.conversation_id = request.conversation_id
        row.updated_at = now
        ahead = max(0, tickets.open_ahead_of(Priority(row.priority)) - 1)
        return HandoffResult(row.ticket_no, False, Priority(row.priority), estimate_wait(Priority(row.priority), ahead))

    def list_tickets(self, statuses: list[str] | None = None) -> list[TicketView]:
        """Open tickets (or the given statuses), high priority and longest waiting first."""
        with unit_of_work(self.engine) as session:
            return TicketRepository(session).list_by_status(statuses or [TicketStatus.OPEN.value])

    def get_ticket(self, ticket_no: str) -> TicketView | None:
        with unit_of_work(self.engine) as session:
            row = session.execute(select(TicketRow).where(TicketRow.ticket_no == ticket_no)).scalar_one_or_none()
            return None if row is None else ticket_view(row)


def _fill(
    row: TicketRow,
    request: HandoffRequest,
    snapshot: dict | None,
    priority: Priority,
    reasons: list[str],
    now: datetime,
    keep: Keep | None = None,
) -> None:
    row.order_no = request.order_no
    row.verified = request.verified
    row.complaint = request.complaint.value
    # Masked again here although the channel guard already masked every message: tickets outlive chats.
    row.customer_description = mask_pii(request.customer_description, keep)
    row.handoff_reason = request.reason
    row.priority = priority.value
    row.priority_reasons = reasons
    row.order_snapshot = snapshot
    row.phone_tail = phone_tail(snapshot)
    row.steps = [{"step": s.step, "outcome": s.outcome} for s in request.steps]
    row.transcript = [{**line, "text": mask_pii(line["text"], keep)} if isinstance(line.get("text"), str) else line
                      for line in request.transcript]
    row.updated_at = now

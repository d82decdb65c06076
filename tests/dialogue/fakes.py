"""A fake of the engine's ports (topup.dialogue.ports): orders in a dict, tickets in a list, every call recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from topup.dialogue.engine import respond
from topup.dialogue.model import Case, Turn
from topup.dialogue.ports import Handoff, TicketState, Verification
from topup.dialogue.responses import render
from topup.dialogue.understand import read_message

FACTS = {
    "order_product": "中国移动话费 100 元", "order_product_type": "mobile_credit", "order_payment_method": "alipay",
    "order_amount": "100.00", "order_payment": "支付宝", "order_paid_at": "今天 14:05", "minutes_waiting": "42",
    "wait_until": "今天 14:35", "notice_title": "移动话费充值通道维护", "refund_time": "今天 15:10",
}
DEBITED = {"processing_recent", "processing_notice", "processing_overdue", "delivered", "failed_no_refund",
           "failed_refunding", "under_review", "duplicate_charge", "duplicate_claim", "refunded"}
OPEN = {"processing_recent", "processing_notice", "processing_overdue", "delivered", "failed_no_refund",
        "under_review", "duplicate_charge", "duplicate_claim", "debit_not_recorded"}


@dataclass(frozen=True)
class Order:
    tail: str
    diagnosis: str
    steps: tuple[str, ...] = ()
    escalate: bool = False


# One order per diagnosis, as topup.diagnosis decides them (steps and escalation included).
ORDERS = {
    "KM20261127004215": Order("3821", "processing_overdue", ("refresh_relogin", "check_account"), True),
    "KM20261127004216": Order("3821", "processing_recent"),
    "KM20261127004217": Order("4455", "delivered", ("refresh_relogin", "clear_cache", "check_account"), True),
    "KM20261127004218": Order("4455", "unpaid"),
    "KM20261127004219": Order("5566", "payment_failed"),
    "KM20261127004220": Order("5566", "failed_refunding"),
    "KM20261127004221": Order("6677", "failed_no_refund", (), True),
    "KM20261127004222": Order("6677", "refunded", ("check_debit",), True),
    "KM20261127004223": Order("7788", "under_review", (), True),
    "KM20261127004224": Order("7788", "duplicate_charge", (), True),
    "KM20261127004225": Order("8899", "processing_notice"),
}
OVERDUE, RECENT, DELIVERED, UNPAID, PAYMENT_FAILED = (
    "KM20261127004215", "KM20261127004216", "KM20261127004217", "KM20261127004218", "KM20261127004219")
REFUNDING, NO_REFUND, REFUNDED, REVIEW, DUPLICATE, NOTICE = (
    "KM20261127004220", "KM20261127004221", "KM20261127004222", "KM20261127004223", "KM20261127004224",
    "KM20261127004225")


@dataclass
class Ticket:
    ticket_no: str
    order_no: str | None
    verified: bool
    reason: str
    steps: list[dict[str, str]]
    complained: bool
    claims_debit: bool
    status: str = "open"
    agent_name: str | None = None
    waited_minutes: int = 3
    notes: list[str] = field(default_factory=list)
    handoffs: int = 1


class FakePorts:
    max_attempts = 3

    def __init__(self, orders: dict[str, Order] | None = None, *, signed: str | None = None,
                 lookup: str = "ok", handoff: str = "created", contact_phone: str = "") -> None:
        self.orders = ORDERS if orders is None else orders
        self.signed = signed
        self.signed_in = signed is not None
        self.lookup = lookup  # ok | error | client_locked | order_locked
        self.handoff_status = handoff  # created | offhours | no_agent | queued | failed
        self.contact_phone = contact_phone
        self.tickets: list[Ticket] = []
        self.verifications: list[tuple[str, str]] = []
        self.calls: list[str] = []

    # --- orders ---
    def signed_order(self) -> str | None:
        return self.signed

    def verify(self, order_no: str, tail: str, complaint: str | None, claims_debit: bool) -> Verification:
        self.calls.append("verify")
        self.verifications.append((order_no, tail))
        if self.lookup != "ok":
            return Verification(self.lookup)
        order = self.orders.get(order_no)
        if order is None or order.tail != tail:
            return Verification("not_verified")
        diagnosis = order.diagnosis
        if diagnosis in ("unpaid", "payment_failed") and claims_debit:
            diagnosis = "debit_not_recorded"
        escalate = order.escalate or diagnosis == "debit_not_recorded"
        return Verification("verified", dict(FACTS), diagnosis, order.steps, escalate, diagnosis in DEBITED,
                            diagnosis in ("processing_overdue", "under_review", "duplicate_charge",
                                          "debit_not_recorded"))

    def notices(self, product_type: str | None, payment_method: str | None) -> tuple[str, dict[str, Any]]:
        return "utter_notice_none", {}

    # --- tickets ---
    def hand_off(self, case: Case, reason: str) -> Handoff:
        self.calls.append("hand_off")
        status = self.handoff_status
        if status in ("queued", "failed"):
            return Handoff(status)
        existing = next((t for t in self.tickets if t.order_no == case.order_no and t.status != "resolved"), None)
        if existing is not None:  # the ticket service refreshes the conversation's ticket for the same order
            existing.handoffs += 1
            existing.complained, existing.claims_debit = case.complained, case.claims_debit
            return Handoff(status, existing.ticket_no, {"ticket_wait": "8", "opening_time": "明天 09:00"})
        ticket = Ticket(f"TK20261204{len(self.tickets) + 1:06d}", case.order_no, case.verified, reason,
                        [dict(s) for s in case.steps if s.get("outcome") != "pending"], case.complained,
                        case.claims_debit)
        self.tickets.append(ticket)
        return Handoff(status, ticket.ticket_no, {"ticket_wait": "8", "opening_time": "明天 09:00"})

    def _find(self, ticket_no: str) -> Ticket | None:
        return next((t for t in self.tickets if t.ticket_no == ticket_no), None)

    def ticket(self, ticket_no: str) -> TicketState | None:
        ticket = self._find(ticket_no)
        if ticket is None:
            return None
        return TicketState(ticket.ticket_no, ticket.status, ticket.order_no, ticket.agent_name, ticket.waited_minutes)

    def open_ticket(self) -> TicketState | None:
        ticket = next((t for t in reversed(self.tickets) if t.status != "resolved"), None)
        return None if ticket is None else self.ticket(ticket.ticket_no)

    def note(self, ticket_no: str, text: str) -> None:
        ticket = self._find(ticket_no)
        if ticket is not None:
            ticket.notes.append(text)

    def move_ticket(self, ticket_no: str, order_no: str, verified: bool) -> None:
        ticket = self._find(ticket_no)
        if ticket is not None:
            ticket.order_no, ticket.verified = order_no, verified

    def close_ticket(self, ticket_no: str) -> None:
        ticket = self._find(ticket_no)
        if ticket is not None:
            ticket.status = "resolved"

    def contact(self) -> dict[str, Any]:
        return {"contact_phone": self.contact_phone, "contact_hours": "每天 09:00–22:00"}


class Chat:
    """One conversation with the engine: say things, read the answers (response names and rendered text)."""

    def __init__(self, ports: FakePorts | None = None, case: Case | None = None) -> None:
        self.ports = ports or FakePorts()
        self.case = case or Case()
        self.turns: list[Turn] = []
        self.lines: list[str] = []

    def __call__(self, text: str, intent: str | None = None) -> list[str]:
        """Send one message (with the intent the NLU would give it); the responses the assistant chose."""
        message = read_message(text, intent)
        turn = respond(self.case, message, self.ports)
        self.case = turn.case
        self.turns.append(turn)
        self.lines.append(f"客户: {text}  [{intent} -> {message.kind.value}]")
        self.lines += [f"小卡: {render(s.response, s.values, strict=True)}  ({s.response})" for s in turn.says]
        return turn.responses

    @property
    def transcript(self) -> str:
        return "\n".join(self.lines)

    @property
    def texts(self) -> list[str]:
        return [render(s.response, s.values, strict=True) for t in self.turns for s in t.says]

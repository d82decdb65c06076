"""What the conversation engine asks of the rest of the system, and the answers it gets back.

The engine (topup.dialogue.engine) only talks to a `Ports` object, so its decisions are tested with a fake one and
run for real with `ServicePorts` (the application object's services, for one conversation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from topup.diagnosis import Kind as DiagnosisKind
from topup.dialogue.model import Case
from topup.model import DebitStatus

# Diagnoses after which the customer's problem is still unresolved (money taken, nothing arrived yet, a person
# needed): the case stays open whatever the customer says until it is solved or handed off.
OPEN_DIAGNOSES = frozenset(kind.value for kind in (
    DiagnosisKind.PROCESSING_RECENT, DiagnosisKind.PROCESSING_NOTICE, DiagnosisKind.PROCESSING_OVERDUE,
    DiagnosisKind.DELIVERED, DiagnosisKind.FAILED_NO_REFUND, DiagnosisKind.UNDER_REVIEW, DiagnosisKind.ABNORMAL,
    DiagnosisKind.DUPLICATE_CHARGE, DiagnosisKind.DUPLICATE_CLAIM, DiagnosisKind.DEBIT_NOT_RECORDED,
))


@dataclass(frozen=True)
class Verification:
    """The answer to "is this order theirs, and what is going on with it"."""

    status: str  # verified | not_verified | order_locked | client_locked | error
    facts: dict[str, Any] = field(default_factory=dict)  # what the responses show (order_product, wait_until…)
    diagnosis: str | None = None  # topup.diagnosis.Kind value
    steps: tuple[str, ...] = ()
    escalate: bool = False
    debited: bool = False  # the record shows money taken and not (yet) given back
    priority_high: bool = False

    @property
    def open(self) -> bool:
        return self.diagnosis in OPEN_DIAGNOSES


@dataclass(frozen=True)
class Handoff:
    status: str  # created | offhours | no_agent | queued | failed
    ticket_no: str | None = None
    values: dict[str, Any] = field(default_factory=dict)  # ticket_wait, opening_time…


@dataclass(frozen=True)
class TicketState:
    ticket_no: str
    status: str  # open | in_progress | resolved
    order_no: str | None
    agent_name: str | None
    waited_minutes: int


class Ports(Protocol):
    max_attempts: int
    signed_in: bool  # the shop vouches for the customer (a signed token): their phone proves their orders

    def verify(self, order_no: str, tail: str, complaint: str | None, claims_debit: bool) -> Verification: ...
    def signed_order(self) -> str | None: ...
    def notices(self, product_type: str | None, payment_method: str | None) -> tuple[str, dict[str, Any]]: ...
    def hand_off(self, case: Case, reason: str) -> Handoff: ...
    def ticket(self, ticket_no: str) -> TicketState | None: ...
    def open_ticket(self) -> TicketState | None: ...
    def note(self, ticket_no: str, text: str) -> None: ...
    def move_ticket(self, ticket_no: str, order_no: str, verified: bool) -> None: ...
    def close_ticket(self, ticket_no: str) -> None: ...
    def contact(self) -> dict[str, Any]: ...


def debited(debit_status: DebitStatus) -> bool:
    return debit_status in (DebitStatus.DEBITED, DebitStatus.DUPLICATE)

"""The diagnosis: from an order's facts, the notices and the customer's claim, what to say and do.

Pure and deterministic (``now`` is passed in), so every row of the order lifecycle (docs/ARCHITECTURE.md,
"The order lifecycle") is a unit test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from topup.model import (
    Complaint,
    DebitStatus,
    Notice,
    OrderFacts,
    OrderStatus,
    Priority,
    SelfHelpStep,
)

WAIT_LIMIT = timedelta(minutes=30)

# Complaints in which the customer says money left their account.
_CLAIMS_DEBIT = {Complaint.CHARGED_NOT_RECEIVED, Complaint.DUPLICATE_CHARGE}


class Kind(str, Enum):
    """Which explanation the customer gets; each has a response ``utter_diagnosis_<kind>``."""

    UNPAID = "unpaid"
    PAYMENT_FAILED = "payment_failed"
    DEBIT_NOT_RECORDED = "debit_not_recorded"
    PROCESSING_RECENT = "processing_recent"
    PROCESSING_NOTICE = "processing_notice"
    PROCESSING_OVERDUE = "processing_overdue"
    DELIVERED = "delivered"
    FAILED_REFUNDING = "failed_refunding"
    FAILED_NO_REFUND = "failed_no_refund"
    REFUNDED = "refunded"
    UNDER_REVIEW = "under_review"
    ABNORMAL = "abnormal"
    DUPLICATE_CHARGE = "duplicate_charge"
    DUPLICATE_CLAIM = "duplicate_claim"


class NextMove(str, Enum):
    """What the dialogue does after explaining (a categorical slot in the domain)."""

    SELFHELP = "selfhelp"
    HANDOFF = "handoff"
    DONE = "done"


@dataclass(frozen=True)
class Diagnosis:
    kind: Kind
    steps: tuple[SelfHelpStep, ...]
    escalate: bool
    priority: Priority
    reasons: tuple[str, ...]
    minutes_since_paid: int | None
    notice: Notice | None
    wait_until: datetime | None

    @property
    def next_move(self) -> NextMove:
        if self.steps:
            return NextMove.SELFHELP
        return NextMove.HANDOFF if self.escalate else NextMove.DONE


def _minutes(since: datetime | None, now: datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds() // 60))


def diagnose(
    order: OrderFacts,
    notices: list[Notice],
    complaint: Complaint,
    now: datetime,
    claims_debit: bool = False,
) -> Diagnosis:
    """Decide the explanation, the self-help steps and whether a person is needed."""
    claims_debit = claims_debit or complaint in _CLAIMS_DEBIT
    notice = next((n for n in notices if n.covers(order, now)), None)
    minutes = _minutes(order.paid_at, now)
    debit = order.debit_status

    def result(
        kind: Kind,
        steps: tuple[SelfHelpStep, ...] = (),
        escalate: bool = False,
        high: tuple[str, ...] = (),
        wait_until: datetime | None = None,
    ) -> Diagnosis:
        return Diagnosis(
            kind=kind,
            steps=steps,
            escalate=escalate or bool(high),
            priority=Priority.HIGH if high else Priority.NORMAL,
            reasons=high,
            minutes_since_paid=minutes,
            notice=notice,
            wait_until=wait_until,
        )

    if debit is DebitStatus.DUPLICATE:
        return result(Kind.DUPLICATE_CHARGE, high=("duplicate_charge",))
    if order.status is OrderStatus.UNDER_REVIEW:
        return result(Kind.UNDER_REVIEW, high=("risk_hold",))
    if order.status is OrderStatus.ABNORMAL:  # the platform itself says a person must look (dujiaoka 6 异常)
        money_taken = debit in (DebitStatus.DEBITED, DebitStatus.DUPLICATE)
        return result(Kind.ABNORMAL, escalate=True, high=("platform_abnormal",) if money_taken else ())
    if order.status in (OrderStatus.UNPAID, OrderStatus.PAYMENT_FAILED):
        if claims_debit:
            return result(Kind.DEBIT_NOT_RECORDED, high=("claim_record_mismatch",))
        return result(Kind.UNPAID if order.status is OrderStatus.UNPAID else Kind.PAYMENT_FAILED)
    if complaint is Complaint.DUPLICATE_CHARGE:
        return result(Kind.DUPLICATE_CLAIM, steps=(SelfHelpStep.CHECK_DEBIT,), high=("duplicate_charge",))
    if order.status is OrderStatus.PROCESSING:
        if notice is not None:
            return result(Kind.PROCESSING_NOTICE, wait_until=notice.ends_at)
        paid_at = order.paid_at or order.status_changed_at
        if now - paid_at < WAIT_LIMIT:
            return result(Kind.PROCESSING_RECENT, wait_until=paid_at + WAIT_LIMIT)
        return result(
            Kind.PROCESSING_OVERDUE,
            steps=(SelfHelpStep.REFRESH_RELOGIN, SelfHelpStep.CHECK_ACCOUNT),
            high=("debited_processing_30min",),
        )
    if order.status is OrderStatus.DELIVERED:
        return result(
            Kind.DELIVERED,
            steps=(SelfHelpStep.REFRESH_RELOGIN, SelfHelpStep.CLEAR_CACHE, SelfHelpStep.CHECK_ACCOUNT),
            escalate=True,
        )
    if order.status is OrderStatus.FAILED:
        if order.refund_started_at is not None:
            return result(Kind.FAILED_REFUNDING)
        return result(Kind.FAILED_NO_REFUND, escalate=True)
    # refunded
    return result(Kind.REFUNDED, steps=(SelfHelpStep.CHECK_DEBIT,), escalate=True)


# What the customer's problem is, from what the record showed, when their words named none or only "查一下订单"
# (a first message that is an order number reads as check_order_status): the queue's filter and the reports
# count by it.
_COMPLAINT_OF = {
    Kind.PROCESSING_RECENT: Complaint.RECHARGE_STUCK, Kind.PROCESSING_NOTICE: Complaint.RECHARGE_STUCK,
    Kind.PROCESSING_OVERDUE: Complaint.RECHARGE_STUCK, Kind.UNDER_REVIEW: Complaint.RECHARGE_STUCK,
    Kind.ABNORMAL: Complaint.RECHARGE_STUCK, Kind.DELIVERED: Complaint.CHARGED_NOT_RECEIVED,
    Kind.DEBIT_NOT_RECORDED: Complaint.CHARGED_NOT_RECEIVED, Kind.FAILED_REFUNDING: Complaint.REFUND_REQUEST,
    Kind.FAILED_NO_REFUND: Complaint.REFUND_REQUEST, Kind.REFUNDED: Complaint.REFUND_REQUEST,
    Kind.DUPLICATE_CHARGE: Complaint.DUPLICATE_CHARGE, Kind.DUPLICATE_CLAIM: Complaint.DUPLICATE_CHARGE,
}


def complaint_of(said: str | None, diagnosis: str | None, claims_debit: bool = False) -> Complaint:
    """The case's complaint: what the customer named, unless that was nothing or only a status question and the
    diagnosis tells more (an unpaid or failed payment is 支付失败, or 扣款未到账 when they say money was taken)."""
    named = Complaint.parse(said)
    if said and named is not Complaint.CHECK_ORDER_STATUS:
        return named
    try:
        kind = Kind(diagnosis) if diagnosis else None
    except ValueError:
        kind = None
    if kind in (Kind.UNPAID, Kind.PAYMENT_FAILED):
        return Complaint.CHARGED_NOT_RECEIVED if claims_debit else Complaint.PAYMENT_FAILED
    return _COMPLAINT_OF.get(kind, named) if kind is not None else named

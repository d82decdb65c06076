"""Domain types shared by the diagnosis, the repositories and the services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class OrderStatus(str, Enum):
    """The order lifecycle (docs/ARCHITECTURE.md)."""

    UNPAID = "unpaid"
    PAYMENT_FAILED = "payment_failed"
    PROCESSING = "processing"
    DELIVERED = "delivered"
    FAILED = "failed"
    REFUNDED = "refunded"
    UNDER_REVIEW = "under_review"
    ABNORMAL = "abnormal"  # the platform marked the order as needing a person (dujiaoka 6 异常)


class PaymentStatus(str, Enum):
    """What happened to one payment attempt at the gateway."""

    DEBITED = "debited"
    FAILED = "failed"
    REVERSED = "reversed"
    REFUNDED = "refunded"


class DebitStatus(str, Enum):
    """The order's money, summarised for the customer and the agent."""

    NOT_DEBITED = "not_debited"
    DEBITED = "debited"
    DUPLICATE = "duplicate"
    REFUNDING = "refunding"
    REFUNDED = "refunded"


class Complaint(str, Enum):
    """What the customer says is wrong (the complaint intents)."""

    RECHARGE_STUCK = "recharge_stuck"
    CHARGED_NOT_RECEIVED = "charged_not_received"
    PAYMENT_FAILED = "payment_failed"
    DUPLICATE_CHARGE = "duplicate_charge"
    REFUND_REQUEST = "refund_request"
    CHECK_ORDER_STATUS = "check_order_status"

    @classmethod
    def parse(cls, value: str | None) -> Complaint:
        try:
            return cls(value or cls.CHECK_ORDER_STATUS.value)
        except ValueError:
            return cls.CHECK_ORDER_STATUS


class SelfHelpStep(str, Enum):
    """Self-help steps, in the platform's recommended order."""

    REFRESH_RELOGIN = "refresh_relogin"
    CHECK_NETWORK = "check_network"
    CHECK_DEBIT = "check_debit"
    CLEAR_CACHE = "clear_cache"
    CHECK_ACCOUNT = "check_account"
    OFFICIAL_APP = "official_app"


class Priority(str, Enum):
    NORMAL = "normal"
    HIGH = "high"


class TicketStatus(str, Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Payment:
    amount_cents: int
    method: str
    status: PaymentStatus
    created_at: datetime


@dataclass(frozen=True)
class OrderFacts:
    """Everything the diagnosis reads about one order (never an ORM row)."""

    order_no: str
    phone_tail: str
    product_type: str
    product_name: str
    amount_cents: int
    payment_method: str
    status: OrderStatus
    created_at: datetime
    paid_at: datetime | None
    status_changed_at: datetime
    refund_started_at: datetime | None = None
    refunded_at: datetime | None = None
    payments: tuple[Payment, ...] = ()
    # What a platform's record adds, for the agent (topup/sources): its own status ("3 处理中"), the account the
    # customer asked to top up (their form input, masked), the gateway's transaction number, the member account.
    platform: dict = field(default_factory=dict, compare=False)

    @property
    def debits(self) -> int:
        return sum(1 for p in self.payments if p.status is PaymentStatus.DEBITED)

    @property
    def debit_status(self) -> DebitStatus:
        if self.debits > 1:  # two charges still standing, whatever the order status says
            return DebitStatus.DUPLICATE
        if self.status is OrderStatus.REFUNDED or any(p.status is PaymentStatus.REFUNDED for p in self.payments):
            return DebitStatus.REFUNDED
        if self.refund_started_at is not None:
            return DebitStatus.REFUNDING
        if self.debits == 1:
            return DebitStatus.DEBITED
        return DebitStatus.NOT_DEBITED


@dataclass(frozen=True)
class Notice:
    """A platform notice: maintenance window, channel or supplier delay, peak load."""

    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    product_type: str | None = None
    payment_method: str | None = None

    def covers(self, order: OrderFacts, at: datetime) -> bool:
        """Active at ``at`` and about this order's product and payment channel."""
        return self.starts_at <= at < self.ends_at and self.applies_to(order.product_type, order.payment_method)

    def applies_to(self, product_type: str | None, payment_method: str | None) -> bool:
        """About this product and payment channel (a notice without one covers all)."""
        product_ok = self.product_type is None or self.product_type == product_type
        channel_ok = self.payment_method is None or self.payment_method == payment_method
        return product_ok and channel_ok


@dataclass(frozen=True)
class StepRecord:
    """A self-help step offered to the customer and what came of it."""

    step: str
    outcome: str  # "helped", "not_helped" or "pending"


@dataclass(frozen=True)
class TicketView:
    """A ticket as support staff see it."""

    ticket_no: str
    conversation_id: str
    order_no: str | None
    priority: Priority
    status: TicketStatus
    created_at: datetime
    details: dict = field(default_factory=dict)

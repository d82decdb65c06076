"""Domain objects for the diagnosis and model tests, built directly (no database), at a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta

from topup.model import Notice, OrderFacts, OrderStatus, Payment, PaymentStatus

NOW = datetime(2026, 11, 28, 8, 0, 0)


def pay(status: PaymentStatus = PaymentStatus.DEBITED, minutes_ago: int = 45) -> Payment:
    return Payment(10000, "alipay", status, NOW - timedelta(minutes=minutes_ago))


def order(
    status: OrderStatus = OrderStatus.PROCESSING,
    paid_minutes_ago: float | None = 45,
    payments: tuple[Payment, ...] | None = None,
    refund_started_at: datetime | None = None,
    product_type: str = "话费",
    payment_method: str = "alipay",
) -> OrderFacts:
    paid_at = None if paid_minutes_ago is None else NOW - timedelta(minutes=paid_minutes_ago)
    if payments is None:
        payments = (pay(),) if paid_at is not None else ()
    return OrderFacts(
        order_no="KM20261127004215",
        phone_tail="3821",
        product_type=product_type,
        product_name="中国移动话费",
        amount_cents=10000,
        payment_method=payment_method,
        status=status,
        created_at=NOW - timedelta(hours=1),
        paid_at=paid_at,
        status_changed_at=paid_at or NOW - timedelta(hours=1),
        refund_started_at=refund_started_at,
        payments=payments,
    )


def notice(
    product_type: str | None = "话费",
    payment_method: str | None = None,
    started_minutes_ago: int = 60,
    ends_in_minutes: int = 90,
) -> Notice:
    return Notice(
        id=1,
        kind="maintenance",
        title="话费通道维护",
        starts_at=NOW - timedelta(minutes=started_minutes_ago),
        ends_at=NOW + timedelta(minutes=ends_in_minutes),
        product_type=product_type,
        payment_method=payment_method,
    )

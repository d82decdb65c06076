"""OrderFacts.debit_status, Notice.covers and Complaint.parse: the facts the diagnosis reads."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from core_factories import NOW, notice, order, pay

from topup.model import Complaint, DebitStatus, OrderStatus, Payment, PaymentStatus

TWO_DEBITS = (pay(minutes_ago=45), pay(minutes_ago=44))


# --- OrderFacts.debit_status and Notice.covers ------------------------------------------------


@pytest.mark.parametrize(
    ("status", "payments", "refund", "expected"),
    [
        (OrderStatus.UNPAID, (), None, DebitStatus.NOT_DEBITED),
        (OrderStatus.PAYMENT_FAILED, (pay(PaymentStatus.FAILED),), None, DebitStatus.NOT_DEBITED),
        (OrderStatus.PAYMENT_FAILED, (pay(PaymentStatus.REVERSED),), None, DebitStatus.NOT_DEBITED),
        (OrderStatus.PROCESSING, (pay(),), None, DebitStatus.DEBITED),
        (OrderStatus.PROCESSING, (pay(PaymentStatus.FAILED), pay()), None, DebitStatus.DEBITED),
        (OrderStatus.PROCESSING, TWO_DEBITS, None, DebitStatus.DUPLICATE),
        (OrderStatus.FAILED, (pay(),), NOW, DebitStatus.REFUNDING),
        (OrderStatus.FAILED, TWO_DEBITS, NOW, DebitStatus.DUPLICATE),
        (OrderStatus.REFUNDED, (pay(),), NOW, DebitStatus.REFUNDED),
        (OrderStatus.FAILED, (pay(PaymentStatus.REFUNDED),), NOW, DebitStatus.REFUNDED),
    ],
)
def test_debit_status(
    status: OrderStatus, payments: tuple[Payment, ...], refund: datetime | None, expected: DebitStatus
) -> None:
    assert order(status, 45, payments=payments, refund_started_at=refund).debit_status is expected


def test_debits_counts_only_debited_payments() -> None:
    o = order(payments=(pay(PaymentStatus.FAILED), pay(), pay(PaymentStatus.REVERSED)))
    assert o.debits == 1


def test_notice_covers_boundaries() -> None:
    n = notice(product_type=None)
    o = order()
    assert n.covers(o, n.starts_at) is True
    assert n.covers(o, n.ends_at - timedelta(microseconds=1)) is True
    assert n.covers(o, n.ends_at) is False  # ends_at is exclusive
    assert n.covers(o, n.starts_at - timedelta(microseconds=1)) is False


def test_notice_covers_product_and_channel() -> None:
    o = order(product_type="Q币", payment_method="wechat")
    assert notice(product_type="Q币").covers(o, NOW)
    assert notice(product_type=None, payment_method="wechat").covers(o, NOW)
    assert notice(product_type=None, payment_method=None).covers(o, NOW)
    assert not notice(product_type="话费").covers(o, NOW)
    assert not notice(product_type="Q币", payment_method="alipay").covers(o, NOW)


def test_complaint_parse_defaults_to_check_order_status() -> None:
    assert Complaint.parse("duplicate_charge") is Complaint.DUPLICATE_CHARGE
    assert Complaint.parse(None) is Complaint.CHECK_ORDER_STATUS
    assert Complaint.parse("greet") is Complaint.CHECK_ORDER_STATUS

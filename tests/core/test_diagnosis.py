"""The diagnosis, one order lifecycle row at a time (docs/ARCHITECTURE.md), with a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from core_factories import NOW, notice, order, pay

from topup.diagnosis import WAIT_LIMIT, Diagnosis, Kind, NextMove, diagnose
from topup.model import (
    Complaint,
    DebitStatus,
    Notice,
    OrderStatus,
    PaymentStatus,
    Priority,
    SelfHelpStep,
)

S = SelfHelpStep


_DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
_RESPONSES = yaml.safe_load(_DOMAIN.read_text(encoding="utf-8"))["responses"]


def tells_to_pay_again(d: Diagnosis) -> bool:
    """What the customer reads for this diagnosis invites them to pay again (only safe with no money taken)."""
    texts = " ".join(v["text"] for v in _RESPONSES[f"utter_diagnosis_{d.kind.value}"])
    return "重新付款" in texts


# --- unpaid / payment_failed ------------------------------------------------------------------

NO_DEBIT = {
    OrderStatus.UNPAID: (None, ()),
    OrderStatus.PAYMENT_FAILED: (None, (pay(PaymentStatus.FAILED),)),
}


@pytest.mark.parametrize(
    ("status", "kind"), [(OrderStatus.UNPAID, Kind.UNPAID), (OrderStatus.PAYMENT_FAILED, Kind.PAYMENT_FAILED)]
)
@pytest.mark.parametrize(
    "complaint", [Complaint.RECHARGE_STUCK, Complaint.PAYMENT_FAILED, Complaint.CHECK_ORDER_STATUS]
)
def test_no_debit_and_no_claim_is_safe_to_pay_again(status: OrderStatus, kind: Kind, complaint: Complaint) -> None:
    paid, payments = NO_DEBIT[status]
    d = diagnose(order(status, paid, payments), [], complaint, NOW)
    assert d.kind is kind
    assert tells_to_pay_again(d) is True
    assert d.next_move is NextMove.DONE
    assert d.priority is Priority.NORMAL
    assert d.steps == () and d.reasons == () and d.escalate is False
    assert d.minutes_since_paid is None


@pytest.mark.parametrize("status", [OrderStatus.UNPAID, OrderStatus.PAYMENT_FAILED])
@pytest.mark.parametrize(
    ("complaint", "claims_debit"),
    [
        (Complaint.RECHARGE_STUCK, True),
        (Complaint.CHARGED_NOT_RECEIVED, False),
        (Complaint.DUPLICATE_CHARGE, False),
    ],
    ids=["claims_debit_flag", "charged_not_received", "duplicate_charge_complaint"],
)
def test_claimed_debit_against_no_debit_record_is_high_handoff(
    status: OrderStatus, complaint: Complaint, claims_debit: bool
) -> None:
    paid, payments = NO_DEBIT[status]
    d = diagnose(order(status, paid, payments), [], complaint, NOW, claims_debit=claims_debit)
    assert d.kind is Kind.DEBIT_NOT_RECORDED
    assert d.priority is Priority.HIGH
    assert d.reasons == ("claim_record_mismatch",)
    assert d.escalate is True
    assert d.next_move is NextMove.HANDOFF
    assert tells_to_pay_again(d) is False


# --- processing -------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, 10, 29, 29.99])
def test_processing_recent_means_wait(minutes: float) -> None:
    o = order(paid_minutes_ago=minutes)
    d = diagnose(o, [], Complaint.RECHARGE_STUCK, NOW)
    assert d.kind is Kind.PROCESSING_RECENT
    assert o.paid_at is not None
    assert d.wait_until == o.paid_at + timedelta(minutes=30)
    assert d.next_move is NextMove.DONE
    assert tells_to_pay_again(d) is False
    assert d.priority is Priority.NORMAL
    assert d.minutes_since_paid == int(minutes)


@pytest.mark.parametrize("minutes", [30, 45, 600])
def test_processing_30_minutes_or_more_is_overdue(minutes: int) -> None:
    d = diagnose(order(paid_minutes_ago=minutes), [], Complaint.RECHARGE_STUCK, NOW)
    assert WAIT_LIMIT == timedelta(minutes=30)
    assert d.kind is Kind.PROCESSING_OVERDUE
    assert d.steps == (S.REFRESH_RELOGIN, S.CHECK_ACCOUNT)
    assert d.priority is Priority.HIGH
    assert d.reasons == ("debited_processing_30min",)
    assert d.escalate is True
    assert d.next_move is NextMove.SELFHELP
    assert tells_to_pay_again(d) is False
    assert d.wait_until is None
    assert d.minutes_since_paid == minutes


def test_processing_without_paid_at_falls_back_to_status_change() -> None:
    o = replace(order(paid_minutes_ago=None, payments=(pay(),)), status_changed_at=NOW - timedelta(minutes=40))
    assert diagnose(o, [], Complaint.RECHARGE_STUCK, NOW).kind is Kind.PROCESSING_OVERDUE


@pytest.mark.parametrize("minutes", [10, 45])
def test_processing_with_active_notice_waits_for_the_notice(minutes: int) -> None:
    n = notice(product_type="话费", ends_in_minutes=90)
    d = diagnose(order(paid_minutes_ago=minutes), [n], Complaint.RECHARGE_STUCK, NOW)
    assert d.kind is Kind.PROCESSING_NOTICE
    assert d.notice == n
    assert d.wait_until == n.ends_at
    assert d.next_move is NextMove.DONE
    assert tells_to_pay_again(d) is False


@pytest.mark.parametrize(
    "n",
    [
        notice(product_type="Q币"),
        notice(product_type=None, payment_method="wechat"),
        notice(product_type="话费", payment_method="wechat"),
        notice(started_minutes_ago=120, ends_in_minutes=-1),
        notice(started_minutes_ago=120, ends_in_minutes=0),
        notice(started_minutes_ago=-5, ends_in_minutes=60),
    ],
    ids=["other_product", "other_channel", "right_product_other_channel", "expired", "ends_now", "not_started"],
)
def test_notices_that_do_not_cover_the_order_are_ignored(n: Notice) -> None:
    d = diagnose(order(paid_minutes_ago=45), [n], Complaint.RECHARGE_STUCK, NOW)
    assert d.notice is None
    assert d.kind is Kind.PROCESSING_OVERDUE


@pytest.mark.parametrize(
    "n",
    [
        notice(product_type=None),
        notice(product_type=None, payment_method="alipay"),
        notice(product_type="话费", payment_method="alipay"),
        notice(started_minutes_ago=0),
    ],
    ids=["all_products", "this_channel", "product_and_channel", "starts_now"],
)
def test_notices_that_cover_the_order(n: Notice) -> None:
    d = diagnose(order(paid_minutes_ago=45), [n], Complaint.RECHARGE_STUCK, NOW)
    assert d.kind is Kind.PROCESSING_NOTICE
    assert d.notice == n


def test_first_covering_notice_wins() -> None:
    other = notice(product_type="Q币")
    covering = replace(notice(product_type=None, ends_in_minutes=15), id=2)
    later = replace(notice(product_type=None, ends_in_minutes=300), id=3)
    d = diagnose(order(paid_minutes_ago=45), [other, covering, later], Complaint.RECHARGE_STUCK, NOW)
    assert d.notice == covering
    assert d.wait_until == NOW + timedelta(minutes=15)


# --- after processing -------------------------------------------------------------------------


def test_delivered_means_stale_page() -> None:
    d = diagnose(order(OrderStatus.DELIVERED, 120), [], Complaint.RECHARGE_STUCK, NOW)
    assert d.kind is Kind.DELIVERED
    assert d.steps == (S.REFRESH_RELOGIN, S.CLEAR_CACHE, S.CHECK_ACCOUNT)
    assert d.escalate is True
    assert d.priority is Priority.NORMAL
    assert d.next_move is NextMove.SELFHELP
    assert tells_to_pay_again(d) is False


def test_failed_with_refund_started_is_done() -> None:
    o = order(OrderStatus.FAILED, 1500, refund_started_at=NOW - timedelta(minutes=1430))
    d = diagnose(o, [], Complaint.RECHARGE_STUCK, NOW)
    assert d.kind is Kind.FAILED_REFUNDING
    assert d.next_move is NextMove.DONE
    assert d.priority is Priority.NORMAL
    assert tells_to_pay_again(d) is False


def test_failed_without_refund_goes_to_a_person() -> None:
    d = diagnose(order(OrderStatus.FAILED, 190), [], Complaint.REFUND_REQUEST, NOW)
    assert d.kind is Kind.FAILED_NO_REFUND
    assert d.next_move is NextMove.HANDOFF
    assert d.escalate is True
    assert d.priority is Priority.NORMAL
    assert d.reasons == ()


def test_refunded_asks_to_check_the_debit() -> None:
    o = order(OrderStatus.REFUNDED, 4399, payments=(pay(PaymentStatus.REFUNDED, 4399),))
    d = diagnose(o, [], Complaint.REFUND_REQUEST, NOW)
    assert d.kind is Kind.REFUNDED
    assert d.steps == (S.CHECK_DEBIT,)
    assert d.escalate is True
    assert d.next_move is NextMove.SELFHELP
    assert tells_to_pay_again(d) is False


@pytest.mark.parametrize("complaint", [Complaint.RECHARGE_STUCK, Complaint.CHARGED_NOT_RECEIVED])
def test_under_review_is_a_high_priority_risk_hold(complaint: Complaint) -> None:
    d = diagnose(order(OrderStatus.UNDER_REVIEW, 39), [], complaint, NOW)
    assert d.kind is Kind.UNDER_REVIEW
    assert d.priority is Priority.HIGH
    assert d.reasons == ("risk_hold",)
    assert d.next_move is NextMove.HANDOFF
    assert tells_to_pay_again(d) is False


# --- duplicates -------------------------------------------------------------------------------

TWO_DEBITS = (pay(minutes_ago=45), pay(minutes_ago=44))


@pytest.mark.parametrize("status", [s for s in OrderStatus if s is not OrderStatus.REFUNDED])
@pytest.mark.parametrize("complaint", [Complaint.RECHARGE_STUCK, Complaint.DUPLICATE_CHARGE])
def test_two_debits_are_a_duplicate_charge_whatever_the_status(status: OrderStatus, complaint: Complaint) -> None:
    o = order(status, 45, payments=TWO_DEBITS)
    assert o.debit_status is DebitStatus.DUPLICATE
    d = diagnose(o, [notice(product_type=None)], complaint, NOW)
    assert d.kind is Kind.DUPLICATE_CHARGE
    assert d.priority is Priority.HIGH
    assert d.reasons == ("duplicate_charge",)
    assert d.next_move is NextMove.HANDOFF
    assert tells_to_pay_again(d) is False


def test_two_debits_on_a_refunded_order_are_still_a_duplicate_charge() -> None:
    d = diagnose(order(OrderStatus.REFUNDED, 45, payments=TWO_DEBITS), [], Complaint.RECHARGE_STUCK, NOW)
    assert d.kind is Kind.DUPLICATE_CHARGE


@pytest.mark.parametrize(
    ("status", "extra"),
    [
        (OrderStatus.PROCESSING, {}),
        (OrderStatus.DELIVERED, {}),
        (OrderStatus.FAILED, {}),
        (OrderStatus.FAILED, {"refund_started_at": NOW - timedelta(minutes=5)}),
    ],
)
def test_duplicate_claim_with_one_debit(status: OrderStatus, extra: dict) -> None:
    o = replace(order(status, 10), **extra)
    assert o.debits == 1
    d = diagnose(o, [], Complaint.DUPLICATE_CHARGE, NOW)
    assert d.kind is Kind.DUPLICATE_CLAIM
    assert d.steps == (S.CHECK_DEBIT,)
    assert d.priority is Priority.HIGH
    assert d.reasons == ("duplicate_charge",)
    assert d.next_move is NextMove.SELFHELP


def test_claims_debit_flag_does_not_change_a_debited_order() -> None:
    plain = diagnose(order(paid_minutes_ago=10), [], Complaint.RECHARGE_STUCK, NOW)
    claimed = diagnose(order(paid_minutes_ago=10), [], Complaint.RECHARGE_STUCK, NOW, claims_debit=True)
    assert plain == claimed


def test_the_complaint_of_a_case_whose_words_named_none() -> None:
    """"km2026 1127 004215 话费没到" reads as a status question; the record says what the problem is (the queue's
    filter and the reports count by it). A complaint the customer named stays theirs."""
    from topup.diagnosis import complaint_of

    assert complaint_of(None, "processing_overdue") is Complaint.RECHARGE_STUCK
    assert complaint_of("check_order_status", "failed_no_refund") is Complaint.REFUND_REQUEST
    assert complaint_of("check_order_status", "delivered") is Complaint.CHARGED_NOT_RECEIVED
    assert complaint_of(None, "unpaid") is Complaint.PAYMENT_FAILED
    assert complaint_of(None, "unpaid", claims_debit=True) is Complaint.CHARGED_NOT_RECEIVED
    assert complaint_of(None, "duplicate_claim") is Complaint.DUPLICATE_CHARGE
    assert complaint_of("payment_failed", "processing_overdue") is Complaint.PAYMENT_FAILED  # their words first
    assert complaint_of(None, None) is Complaint.CHECK_ORDER_STATUS
    assert complaint_of(None, "no-such-kind") is Complaint.CHECK_ORDER_STATUS

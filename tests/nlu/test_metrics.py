"""The held-out scores, on cases whose answer is known by hand."""

from __future__ import annotations

from ops.nlu_eval.metrics import Case, complaint_family, intent_scores


def case(intent: str, predicted: str) -> Case:
    return Case(f"{intent}->{predicted}", intent, [], predicted_intent=predicted)


def test_the_complaint_family_reads_the_six_complaints_as_one() -> None:
    cases = [case("recharge_stuck", "charged_not_received"), case("refund_request", "refund_request"),
             case("payment_failed", "greet"), case("inform", "check_order_status"), case("greet", "greet")]
    family = complaint_family(cases)
    assert family["support"] == 3
    assert family["recall"] == 2 / 3 and family["precision"] == 2 / 3
    assert family["missed"] == ["payment_failed->greet"]
    assert family["taken_for_complaints"] == ["inform->check_order_status"]
    scores = intent_scores(cases)
    assert scores["accuracy"] == 2 / 5 and scores["complaint_as_social"] == ["payment_failed->greet"]


def test_a_perfect_reading_scores_one() -> None:
    family = complaint_family([case("duplicate_charge", "duplicate_charge"), case("thank", "thank")])
    assert (family["recall"], family["precision"]) == (1.0, 1.0)

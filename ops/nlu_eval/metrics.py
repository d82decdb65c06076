"""Scores from (expected, predicted) pairs: intents, entities, order numbers. Pure Python."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

COMPLAINTS = {
    "recharge_stuck", "charged_not_received", "payment_failed",
    "duplicate_charge", "refund_request", "check_order_status",
}
SOCIAL = {"greet", "thank", "affirm"}


@dataclass
class Case:
    text: str
    intent: str
    entities: list[tuple[str, str]]  # (entity, canonical value)
    predicted_intent: str = ""
    confidence: float = 0.0
    predicted_entities: list[tuple[str, str]] = field(default_factory=list)


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def intent_scores(cases: list[Case]) -> dict:
    labels = sorted({c.intent for c in cases})
    per_intent = {}
    for label in labels:
        tp = sum(1 for c in cases if c.intent == label and c.predicted_intent == label)
        fp = sum(1 for c in cases if c.intent != label and c.predicted_intent == label)
        fn = sum(1 for c in cases if c.intent == label and c.predicted_intent != label)
        p, r, f = _prf(tp, fp, fn)
        per_intent[label] = {"precision": p, "recall": r, "f1": f, "support": tp + fn}
    correct = sum(1 for c in cases if c.intent == c.predicted_intent)
    complaint_as_social = [
        c.text for c in cases if c.intent in COMPLAINTS and c.predicted_intent in SOCIAL
    ]
    return {
        "accuracy": correct / len(cases) if cases else 0.0,
        "macro_f1": sum(v["f1"] for v in per_intent.values()) / len(per_intent) if per_intent else 0.0,
        "per_intent": per_intent,
        "complaint_family": complaint_family(cases),
        "complaint_as_social": complaint_as_social,
        "errors": [
            {"text": c.text, "expected": c.intent, "predicted": c.predicted_intent, "confidence": c.confidence}
            for c in cases if c.intent != c.predicted_intent
        ],
    }


def complaint_family(cases: list[Case]) -> dict:
    """The six complaint intents read as one label: a complaint read as another complaint still opens the case
    (the engine asks for the order either way), a complaint read as anything else does not. Recall: complaints
    read as complaints; precision: what was read as a complaint that was one."""
    tp = sum(1 for c in cases if c.intent in COMPLAINTS and c.predicted_intent in COMPLAINTS)
    fn = sum(1 for c in cases if c.intent in COMPLAINTS and c.predicted_intent not in COMPLAINTS)
    fp = sum(1 for c in cases if c.intent not in COMPLAINTS and c.predicted_intent in COMPLAINTS)
    p, r, f = _prf(tp, fp, fn)
    return {"precision": p, "recall": r, "f1": f, "support": tp + fn,
            "missed": [c.text for c in cases if c.intent in COMPLAINTS and c.predicted_intent not in COMPLAINTS],
            "taken_for_complaints": [c.text for c in cases
                                     if c.intent not in COMPLAINTS and c.predicted_intent in COMPLAINTS]}


def entity_scores(cases: list[Case]) -> dict:
    counts: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        expected, predicted = Counter(case.entities), Counter(case.predicted_entities)
        for (name, _value), n in (expected & predicted).items():
            counts[name]["tp"] += n
        for (name, _value), n in (predicted - expected).items():
            counts[name]["fp"] += n
        for (name, _value), n in (expected - predicted).items():
            counts[name]["fn"] += n
    per_entity = {}
    for name, c in sorted(counts.items()):
        p, r, f = _prf(c["tp"], c["fp"], c["fn"])
        per_entity[name] = {"precision": p, "recall": r, "f1": f, "support": c["tp"] + c["fn"]}
    total = sum(counts.values(), Counter())
    p, r, f = _prf(total["tp"], total["fp"], total["fn"])
    return {"micro_f1": f, "precision": p, "recall": r, "per_entity": per_entity}


def order_number_scores(cases: list[Case]) -> dict:
    """Of the messages with an order number, how many yield exactly that number (canonical)."""
    with_order = [c for c in cases if any(name == "order_id" for name, _ in c.entities)]
    missed = [
        c.text for c in with_order
        if {v for n, v in c.entities if n == "order_id"} - {v for n, v in c.predicted_entities if n == "order_id"}
    ]
    found = len(with_order) - len(missed)
    return {"messages": len(with_order), "extracted": found,
            "rate": found / len(with_order) if with_order else 1.0, "missed": missed}

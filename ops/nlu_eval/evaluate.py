"""Evaluate a trained model on the held-out set; write the report; optionally enforce the CI thresholds.

    python -m ops.nlu_eval.evaluate --model models/topup.tar.gz [--out reports/nlu] [--check]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

import yaml

from ops.nlu_eval.metrics import Case, entity_scores, intent_scores, order_number_scores
from ops.nlu_eval.plots import confidence_histogram, confusion_matrix
from rasa_plugins.nlu_zh.normalise import normalise_entity
from topup.settings import ROOT

HELDOUT = ROOT / "tests" / "nlu" / "heldout.yml"
THRESHOLDS = Path(__file__).resolve().parent / "thresholds.yml"


def load_cases(path: Path = HELDOUT) -> list[Case]:
    from rasa.shared.nlu.training_data.loading import load_data

    cases = []
    for message in load_data(str(path)).training_examples:
        entities = [
            (e["entity"], str(normalise_entity(e["entity"], str(e.get("value", e.get("text", ""))))))
            for e in message.get("entities") or []
        ]
        cases.append(Case(message.get("text"), message.get("intent"), entities))
    return cases


async def predict(model: Path, cases: list[Case]) -> list[Case]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    for case in cases:
        parsed = await agent.parse_message(case.text)
        case.predicted_intent = parsed["intent"]["name"]
        case.confidence = float(parsed["intent"].get("confidence") or 0.0)
        case.predicted_entities = [(e["entity"], str(e["value"])) for e in parsed.get("entities") or []]
    return cases


def evaluate(model: Path, out: Path | None) -> dict:
    cases = asyncio.run(predict(model, load_cases()))
    report = {
        "model": str(model),
        "messages": len(cases),
        "intents": intent_scores(cases),
        "entities": entity_scores(cases),
        "order_numbers": order_number_scores(cases),
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "heldout_report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        confusion_matrix(cases, out / "intent_confusion_matrix.png")
        confidence_histogram(cases, out / "intent_confidence_histogram.png")
    return report


def check(report: dict) -> list[str]:
    """The ways the report falls below the thresholds CI holds the NLU to."""
    limits = yaml.safe_load(THRESHOLDS.read_text(encoding="utf-8"))
    failures = []
    if report["intents"]["accuracy"] < limits["intent_accuracy"]:
        failures.append(f"intent accuracy {report['intents']['accuracy']:.3f} < {limits['intent_accuracy']}")
    if report["intents"]["macro_f1"] < limits["intent_macro_f1"]:
        failures.append(f"macro F1 {report['intents']['macro_f1']:.3f} < {limits['intent_macro_f1']}")
    if report["order_numbers"]["rate"] < limits["order_number_extraction"]:
        orders = report["order_numbers"]
        failures.append(f"order numbers {orders['rate']:.3f}: missed {orders['missed']}")
    family = report["intents"]["complaint_family"]
    for side in ("recall", "precision"):
        if family[side] < limits[f"complaint_family_{side}"]:
            failures.append(f"complaint family {side} {family[side]:.3f} < {limits[f'complaint_family_{side}']}: "
                            f"missed {family['missed']}, taken for complaints {family['taken_for_complaints']}")
    if len(report["intents"]["complaint_as_social"]) > limits["complaints_as_social"]:
        failures.append(f"complaints read as greet/thank/affirm: {report['intents']['complaint_as_social']}")
    return failures


def summary(report: dict) -> str:
    i, e, o = report["intents"], report["entities"], report["order_numbers"]
    return (
        f"held-out messages {report['messages']}: intent accuracy {i['accuracy']:.3f}, macro F1 {i['macro_f1']:.3f}, "
        f"complaint family recall {i['complaint_family']['recall']:.3f} precision "
        f"{i['complaint_family']['precision']:.3f}, "
        f"entity F1 {e['micro_f1']:.3f}, order numbers {o['extracted']}/{o['messages']}, "
        f"complaints read as greet/thank/affirm {len(i['complaint_as_social'])}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "topup.tar.gz")
    parser.add_argument("--out", type=Path, default=None, help="write the JSON report and the plots here")
    parser.add_argument("--check", action="store_true", help="exit 1 below ops/nlu_eval/thresholds.yml")
    args = parser.parse_args(argv)
    from rasa.utils.log_utils import configure_structlog

    logging.getLogger("rasa").setLevel(logging.WARNING)
    configure_structlog(logging.WARNING)  # Rasa logs every parse at debug level otherwise
    report = evaluate(args.model, args.out)
    print(summary(report))
    if args.check:
        failures = check(report)
        for failure in failures:
            print("FAIL:", failure, file=sys.stderr)
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

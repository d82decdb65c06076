"""The markdown report of `make eval-nlu`."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def write_report(results: list[dict], path: Path) -> None:
    chosen = next(r for r in results if r["chosen"])
    best = max(results, key=lambda r: (r["report"]["intents"]["accuracy"], -r["train_seconds"]))
    rep = chosen["report"]
    lines = [
        "# NLU on the held-out set",
        "",
        f"Generated {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `make eval-nlu`: each pipeline is trained on",
        f"`data/nlu/` and evaluated on `tests/nlu/heldout.yml` ({rep['messages']} messages never used for training).",
        "",
        "## Pipelines compared",
        "",
        "| pipeline | intent accuracy | macro F1 | entity F1 | order numbers | training |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        i, e, o = r["report"]["intents"], r["report"]["entities"], r["report"]["order_numbers"]
        name = f"**{r['name']}** (shipped)" if r["chosen"] else r["name"]
        lines.append(
            f"| {name}: {r['description']} | {_pct(i['accuracy'])} | {i['macro_f1']:.3f} | {e['micro_f1']:.3f} "
            f"| {o['extracted']}/{o['messages']} | {r['train_seconds']:.0f} s |"
        )
    lines += [
        "",
        "Training time is `rasa train nlu` wall-clock on this 2-core machine, NLU only (the full model adds the",
        "rule policy, a few seconds). Entities come from the same spaCy entity ruler in every pipeline, so entity",
        "figures differ only through text normalisation; the intent columns are what the pipelines change.",
        "",
        f"Most accurate here: `{best['name']}`. Shipped: `{chosen['name']}`. " + _why(chosen, best),
        "",
        "## The shipped pipeline in detail",
        "",
        "| intent | precision | recall | F1 | support |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, s in rep["intents"]["per_intent"].items():
        lines.append(f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |")
    lines += ["", "| entity | precision | recall | F1 | support |", "| --- | --- | --- | --- | --- |"]
    for name, s in rep["entities"]["per_entity"].items():
        lines.append(f"| {name} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f} | {s['support']} |")
    o = rep["order_numbers"]
    lines += [
        "",
        f"Order numbers: {o['extracted']} of {o['messages']} held-out messages that contain one yield exactly that",
        "number, normalised to KM + 14 digits. Complaints read as greet/thank/affirm: "
        f"{len(rep['intents']['complaint_as_social'])}.",
        "",
        "![confusion matrix](intent_confusion_matrix.png)",
        "",
        "![confidence histogram](intent_confidence_histogram.png)",
        "",
        "## Misclassified held-out messages (shipped pipeline)",
        "",
        "| message | expected | predicted | confidence |",
        "| --- | --- | --- | --- |",
    ]
    for err in rep["intents"]["errors"]:
        text = err["text"].replace("|", "\\|")
        lines.append(f"| {text} | {err['expected']} | {err['predicted']} | {err['confidence']:.2f} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _why(chosen: dict, best: dict) -> str:
    if chosen is best:
        return "It is the most accurate and among the fastest to train."
    gap = best["report"]["intents"]["accuracy"] - chosen["report"]["intents"]["accuracy"]
    return (
        f"The most accurate one is {100 * gap:.1f} points better on intents but trains in "
        f"{best['train_seconds']:.0f} s instead of {chosen['train_seconds']:.0f} s; within that margin the faster, "
        "simpler pipeline is kept."
    )

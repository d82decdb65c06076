"""The two plots of the NLU report: intent confusion matrix and confidence histogram (PNG)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from ops.nlu_eval.metrics import Case  # noqa: E402


def confusion_matrix(cases: list[Case], path: Path) -> None:
    labels = sorted({c.intent for c in cases} | {c.predicted_intent for c in cases})
    index = {label: i for i, label in enumerate(labels)}
    grid = [[0] * len(labels) for _ in labels]
    for case in cases:
        grid[index[case.intent]][index[case.predicted_intent]] += 1
    fig, ax = plt.subplots(figsize=(11, 9))
    ax.imshow(grid, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=70, ha="right", fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for i, row in enumerate(grid):
        for j, value in enumerate(row):
            if value:
                ax.text(j, i, value, ha="center", va="center", fontsize=7, color="white" if i == j else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    ax.set_title("Intent confusion matrix (held-out set)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def confidence_histogram(cases: list[Case], path: Path) -> None:
    right = [c.confidence for c in cases if c.intent == c.predicted_intent]
    wrong = [c.confidence for c in cases if c.intent != c.predicted_intent]
    fig, ax = plt.subplots(figsize=(8, 5))
    bins = [i / 20 for i in range(21)]
    ax.hist([right, wrong], bins=bins, label=[f"correct ({len(right)})", f"wrong ({len(wrong)})"],
            color=["#3a7", "#d44"], stacked=True)
    ax.set_xlabel("intent confidence")
    ax.set_ylabel("messages")
    ax.set_title("Intent confidence on the held-out set")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

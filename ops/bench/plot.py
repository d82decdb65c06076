"""The report's plot: reply latency (p50, p95) and messages/s against paced customers, ours against the stock bot."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import ScalarFormatter  # noqa: E402

STYLE = {"ours": ("#c33", "topup assistant"), "workers": ("#e90", "topup, 2 workers + Redis locks"),
         "stock": ("#37a", "stock bot (rasa init)")}


def _paced(results: dict, side: str) -> list[dict]:
    runs = (results.get(side) or {}).get("runs", [])
    return sorted((r for r in runs if r["name"].startswith("paced_")), key=lambda r: r["customers"])


def latency_plot(results: dict, path: Path) -> None:
    fig, (lat, rate) = plt.subplots(1, 2, figsize=(12, 5))
    for side, (colour, label) in STYLE.items():
        runs = [r for r in _paced(results, side) if r["latency"]["n"]]
        if not runs:
            continue
        xs = [r["customers"] for r in runs]
        lat.plot(xs, [r["latency"]["p50_ms"] for r in runs], "o-", color=colour, label=f"{label} p50")
        lat.plot(xs, [r["latency"]["p95_ms"] for r in runs], "s--", color=colour, label=f"{label} p95")
        rate.plot(xs, [r["messages_per_s"] for r in runs], "o-", color=colour, label=label)
    for limit, text in ((150, "30-customer p95 target"), (500, "100-customer p95 target")):
        lat.axhline(limit, color="#999", linewidth=0.8, linestyle=":")
        lat.annotate(text, (0.01, limit), xycoords=("axes fraction", "data"), fontsize=7, color="#666",
                     va="bottom")
    pause = next((r["pause_s"] for r in _paced(results, "ours")), 2)
    lat.set_xlabel(f"simulated customers ({pause:g} s pause between messages)")
    lat.set_ylabel("reply latency (ms, log scale)")
    lat.set_yscale("log")
    lat.yaxis.set_major_formatter(ScalarFormatter())
    lat.yaxis.set_minor_formatter(ScalarFormatter())
    lat.tick_params(axis="y", which="minor", labelsize=7)
    lat.set_title("Reply latency against load (REST channel)")
    if lat.get_legend_handles_labels()[0]:
        lat.legend(fontsize=8)
    rate.set_xlabel("simulated customers")
    rate.set_ylabel("messages/s answered")
    rate.set_title("Throughput")
    rate.set_ylim(bottom=0)
    if rate.get_legend_handles_labels()[0]:
        rate.legend(fontsize=8)
    xs = sorted({r["customers"] for side in STYLE for r in _paced(results, side)})
    for ax in (lat, rate):
        ax.grid(True, alpha=0.3)
        if xs:
            ax.set_xticks(xs)
    if results.get("meta", {}).get("quick"):
        fig.suptitle("QUICK RUN: harness check only, not a measurement", color="#c33")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

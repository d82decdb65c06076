"""Load benchmark: ours against the stock Rasa bot, NLU, training, order lookup at scale, a long conversation.

    python -m ops.bench [--quick] [--out DIR] [--sections ...]      (make bench)
Writes REPORT.md, results.json and latency.png into --out. Sends traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path

from ops.bench import load, orders, servers, training
from ops.bench.plot import latency_plot
from ops.bench.report import write_report
from ops.bench.targets import evaluate

SECTIONS = ("training", "ours", "workers", "stock", "orders")


@dataclass(frozen=True)
class Plan:
    """How big each section is; --quick shrinks everything to check the harness in a few minutes."""

    quick: bool
    customers: tuple[int, ...] = (10, 30, 100)
    pause_s: float = 2.0
    run_s: float = 60.0
    max_conversations: int = 5000
    saturation_customers: int = 10
    nlu_requests: int = 400
    long_turns: int = 200
    long_probes: tuple[int, ...] = (10, 200)
    orders: int = 1_000_000
    lookups: int = 2000
    deadline_s: float = 45 * 60
    sections: tuple[str, ...] = SECTIONS


FULL = Plan(quick=False)
QUICK = Plan(quick=True, customers=(3, 6), run_s=10.0, max_conversations=40, saturation_customers=3, nlu_requests=30,
             long_turns=20, long_probes=(10, 20), orders=10_000, lookups=200, deadline_s=10 * 60,
             sections=("ours", "orders"))


def _machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gb": round(pages / 2**30, 1)}


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _load_runs(stack: servers.Measured, paths: tuple[load.Journey, ...], plan: Plan, prefix: str) -> list[dict]:
    """Warm up, then the paced runs and the saturation run, with each process's RSS after each run."""
    load.warm_up(stack.rasa_url, paths, f"{prefix}-{stack.label}")
    runs = [(f"paced_{n}", n, plan.pause_s) for n in plan.customers]
    runs.append(("saturation", plan.saturation_customers, 0.0))
    out = []
    for name, customers, pause in runs:
        print(f"  {stack.label}: {name} ({customers} customers, {pause:g} s pause, {plan.run_s:g} s)...", flush=True)
        result = load.run_load(stack.rasa_url, paths, name, customers, pause, plan.run_s, plan.max_conversations,
                               f"{prefix}-{stack.label}")
        result.rss = stack.rss()
        row = result.to_dict()
        lat = row["latency"]
        print(f"    {row['messages']} messages, {row['messages_per_s']} msg/s, p50 {lat['p50_ms']} ms, "
              f"p95 {lat['p95_ms']} ms, errors {row['errors']}, empty {row['empty_replies']}", flush=True)
        out.append(row)
    return out


def _ours(plan: Plan, work: Path, results: dict) -> None:
    prefix = f"bench{os.getpid()}"
    with servers.ours(work / "ours") as stack:
        side = results["ours"] = {"rss_at_start": stack.rss()}
        side["runs"] = _load_runs(stack, load.OUR_PATHS, plan, prefix)
        print("  ours: /model/parse...", flush=True)
        side["nlu"] = load.nlu_parse(stack.rasa_url, load.OUR_PATHS, plan.nlu_requests, stack.token_query)
        print(f"  ours: one conversation of {plan.long_turns} turns...", flush=True)
        side["long"] = load.long_conversation(stack.rasa_url, plan.long_turns, plan.long_probes)
        side["rss_at_end"] = stack.rss()


def _workers(plan: Plan, work: Path, results: dict) -> None:
    """The same load on one Rasa server with two Sanic workers and the Redis lock store (the scaled shape's
    process), for the targets one Rasa process cannot reach on this machine. Not a target row: the targets are
    the embedded default's."""
    if not servers.redis_reachable():
        results["workers"] = {"skipped": "Redis is not reachable on 127.0.0.1:6379"}
        return
    with servers.ours(work / "workers", workers=2) as stack:
        side = results["workers"] = {"rss_at_start": stack.rss(), "sanic_workers": 2}
        side["runs"] = _load_runs(stack, load.OUR_PATHS, plan, f"bench{os.getpid()}")


def _stock(plan: Plan, work: Path, results: dict) -> None:
    print("  stock: rasa init --no-prompt (creates and trains the stock bot)...", flush=True)
    project, seconds = servers.init_stock(work)
    side = results["stock"] = {"init_s": round(seconds, 1)}
    with servers.stock(project, work) as stack:
        side["rss_at_start"] = stack.rss()
        side["runs"] = _load_runs(stack, load.STOCK_PATHS, plan, f"bench{os.getpid()}")
        side["nlu"] = load.nlu_parse(stack.rasa_url, load.STOCK_PATHS, plan.nlu_requests)


def _training(plan: Plan, work: Path, results: dict) -> None:
    print("  training from scratch, then after one NLU change...", flush=True)
    results["training"] = training.bench_training(work)


def _orders(plan: Plan, work: Path, results: dict) -> None:
    section = results["orders"] = {}
    print(f"  SQLite: {plan.orders:,} orders, {plan.lookups} lookups...", flush=True)
    section["sqlite"] = orders.bench_sqlite(work, plan.orders, plan.lookups)
    print(f"  PostgreSQL: {plan.orders:,} orders, {plan.lookups} lookups...", flush=True)
    section["postgresql"] = orders.bench_postgres(plan.orders, plan.lookups)


RUNNERS: dict[str, Callable[[Plan, Path, dict], None]] = {
    "training": _training, "ours": _ours, "workers": _workers, "stock": _stock, "orders": _orders,
}


def _write(results: dict, out: Path) -> None:
    results["targets"] = evaluate(results)
    (out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    latency_plot(results, out / "latency.png")
    write_report(results, out / "REPORT.md", "latency.png")


def _notes(plan: Plan, sections: tuple[str, ...]) -> list[str]:
    notes = [f"Sections skipped in this run: {', '.join(s for s in SECTIONS if s not in sections)}."
             if len(sections) < len(SECTIONS) else "All sections ran."]
    if shutil.which("py-spy") is None:
        notes.append("No profile: py-spy is not installed (profiling is optional and was skipped).")
    return notes


def _stop_on_sigterm(*_: object) -> None:
    raise KeyboardInterrupt  # unwinds the context managers, so the servers this run started are stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny versions of everything (harness check, ~3 min)")
    parser.add_argument("--out", type=Path, help="default reports/bench (with --quick: reports/bench/quick, so a "
                        "harness check never overwrites a real report)")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS,
                        help="run only these (default: all; with --quick: ours orders)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    sections = tuple(s for s in SECTIONS if s in (args.sections or plan.sections))
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    args.out = args.out or servers.ROOT / "reports" / "bench" / ("quick" if plan.quick else "")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results: dict = {
        "meta": {
            "quick": plan.quick, "started": datetime.now().astimezone().isoformat(timespec="seconds"),
            "machine": _machine(), "rasa_version": version("rasa"), "python": platform.python_version(),
            "loadavg_before": _loadavg(), "plan": asdict(plan), "sections": list(sections),
            "paths": len(load.OUR_PATHS), "pause_s": plan.pause_s, "run_s": plan.run_s,
            "saturation_customers": plan.saturation_customers, "request_timeout_s": load.REQUEST_TIMEOUT_S,
        },
        "notes": _notes(plan, sections),
        "errors": {},
    }
    if "workers" not in sections:
        results["workers"] = {"skipped": "not selected"}
    if "stock" not in sections:
        results["stock"] = {"skipped": "stock bot not run (--quick skips it)" if plan.quick else "not selected"}
    if "training" not in sections:
        results["training"] = {"skipped": "training not run (--quick skips it)" if plan.quick else "not selected"}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        for name in sections:
            if time.monotonic() - started > plan.deadline_s:
                results["errors"][name] = f"skipped: the run passed its {plan.deadline_s:.0f} s bound"
                continue
            print(f"== {name}", flush=True)
            try:
                RUNNERS[name](plan, Path(tmp), results)
            except Exception as exc:  # one broken section must not lose the others' figures
                traceback.print_exc()
                results["errors"][name] = f"{type(exc).__name__}: {str(exc)[-1500:]}"
            results["meta"].update(loadavg_after=_loadavg(), elapsed_s=round(time.monotonic() - started, 1))
            _write(results, args.out)
    _write(results, args.out)
    for target in results["targets"]:
        print(f"  {target['name']}: {target['value']} {target['unit']} -> {target['verdict']}")
    print(f"report written to {args.out / 'REPORT.md'} ({results['meta']['elapsed_s']:.0f} s)")
    return 1 if results["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())

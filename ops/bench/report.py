"""REPORT.md from results.json: targets first (met, or missed by how much), then every figure behind them."""

from __future__ import annotations

from pathlib import Path

from ops.bench.stats import ratio

MARK = {True: "✅ met", False: "❌", None: "— not measured"}


def _fmt(value: object, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value}{unit}"


SIDES = ("ours", "workers", "stock")  # workers: ours with 2 Sanic workers and the Redis lock store


def _table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in rows]


def _targets(results: dict) -> list[str]:
    rows = []
    for t in results["targets"]:
        verdict = MARK[t["met"]] if t["met"] is not False else f"❌ {t['verdict']}"
        limit = f"{t['op'].replace('==', '=')} {_fmt(t['limit'])} {t['unit']}"
        rows.append([t["name"], _fmt(t["value"], f" {t['unit']}"), limit, verdict])
    return ["## Targets", "", *_table(["what", "measured", "target", "verdict"], rows), ""]


def _runs(results: dict) -> list[str]:
    rows = []
    for side in SIDES:
        for run in (results.get(side) or {}).get("runs", []):
            lat, rss = run["latency"], run.get("rss", {})
            rasa, actions = rss.get("rasa_server") or {}, rss.get("action_server") or {}
            rows.append([side, run["name"], run["customers"], _fmt(run["pause_s"], " s"), run["messages"],
                         run["messages_per_s"], lat["p50_ms"], lat["p95_ms"], lat["p99_ms"], run["errors"],
                         run["empty_replies"], f"{run['conversations_as_expected']}/{run['conversations']}",
                         rasa.get("tree_rss_mb"), rasa.get("tree_pss_mb"), actions.get("rss_mb")])
    header = ["bot", "run", "customers", "pause", "messages", "msg/s", "p50 ms", "p95 ms", "p99 ms", "errors",
              "empty", "paths as expected", "Rasa RSS MB", "Rasa PSS MB", "actions RSS MB"]
    runs = [r for side in SIDES for r in (results.get(side) or {}).get("runs", [])]
    off = sum(r["conversations"] - r["conversations_as_expected"] for r in runs)
    verdict = f"**{off} conversations ended off their path.**" if off else "Every conversation ended as expected."
    return ["## Simulated customers (REST channel)", "", *_table(header, rows), "",
            "*paths as expected*: conversations whose last reply held the expected phrase (ticket number, "
            f"\"问题解决了\", ...): a check that the dialogue stayed on its path under load. {verdict}", ""]


def _ratios(results: dict) -> list[str]:
    ours = {r["name"]: r for r in (results.get("ours") or {}).get("runs", [])}
    stock = {r["name"]: r for r in (results.get("stock") or {}).get("runs", [])}
    rows = []
    for name in [n for n in ours if n in stock]:
        a, b = ours[name], stock[name]
        rows.append([name, ratio(a["latency"]["p50_ms"], b["latency"]["p50_ms"]),
                     ratio(a["latency"]["p95_ms"], b["latency"]["p95_ms"]),
                     ratio(a["messages_per_s"], b["messages_per_s"]),
                     ratio((a["rss"].get("rasa_server") or {}).get("rss_mb"),
                           (b["rss"].get("rasa_server") or {}).get("rss_mb"))])
    nlu_a, nlu_b = (results.get("ours") or {}).get("nlu"), (results.get("stock") or {}).get("nlu")
    if nlu_a and nlu_b:
        rows.append(["/model/parse", ratio(nlu_a["p50_ms"], nlu_b["p50_ms"]), ratio(nlu_a["p95_ms"], nlu_b["p95_ms"]),
                     None, None])
    if not rows:
        reason = (results.get("stock") or {}).get("skipped") or "no stock-bot figures"
        return ["## Ours as a multiple of the stock bot", "", f"Not measured: {reason}.", ""]
    return ["## Ours as a multiple of the stock bot", "",
            "Same load, same pacing, same machine, in the same run; 1.0 = as fast as a bare Rasa server here "
            "(for msg/s, above 1 is better).", "",
            *_table(["run", "p50 ×", "p95 ×", "msg/s ×", "Rasa RSS ×"], rows), ""]


def _sections(results: dict) -> list[str]:
    lines: list[str] = []
    rows = []
    for side in ("ours", "stock"):
        nlu = (results.get(side) or {}).get("nlu")
        if nlu:
            rows.append([side, nlu["n"], nlu["p50_ms"], nlu["p95_ms"]])
    lines += ["## NLU alone (/model/parse, one request at a time)", "",
              *_table(["bot", "requests", "p50 ms", "p95 ms"], rows), ""]
    long = (results.get("ours") or {}).get("long")
    if long:
        rows = [[t, v["raw_ms"], v["median_ms"], f"{v['window'][0]}–{v['window'][1]}"]
                for t, v in long["at_turn"].items()]
        lines += ["## One long conversation (tracker growth)", "",
                  f"{long['turns']} turns: a complaint with order number, the phone tail, then side questions "
                  f"(maintenance, bot, prevention), each answered and the pending self-help step asked again. "
                  f"Errors {long['errors']}, empty replies {long['empty_replies']}. "
                  "The target compares the medians (single turns are noisy).", "",
                  *_table(["turn", "that turn ms", "median ms", "turns in median"], rows), ""]
    training = results.get("training") or {}
    stock_init = (results.get("stock") or {}).get("init_s")
    lines += ["## Training time", ""]
    if "from_scratch_s" in training:
        lines += _table(["what", "seconds"], [
            ["our model from scratch (empty cache)", training["from_scratch_s"]],
            [f"ours again after one NLU change ({training['changed_example']})", training["after_one_nlu_change_s"]],
            ["stock bot: `rasa init --no-prompt` (creates and trains)", stock_init],
        ])
        after = training.get("components_after_change") or {}
        restored = ", ".join(after.get("restored") or []) or "none"
        retrained = ", ".join(after.get("trained") or []) or "none"
        lines += ["", f"After the change Rasa restored from its cache: {restored}; and trained again: {retrained}."]
    else:
        lines += [f"Not measured: {training.get('skipped', 'no result')}."]
        if stock_init:
            lines += ["", f"Stock bot `rasa init --no-prompt` (creates and trains): {_fmt(stock_init)} s."]
    lines += [""]
    orders = results.get("orders") or {}
    rows = [[db, o["orders"], o["load_s"], o["lookup"]["n"], o["lookup"]["p50_ms"], o["lookup"]["p95_ms"],
             o["lookup"]["p99_ms"], o["lookup"]["unverified"]] for db, o in orders.items() if isinstance(o, dict)
            and "lookup" in o]
    lines += ["## Order lookup at scale", "",
              "`topup.services.lookup.look_up(order_no, tail, RECHARGE_STUCK)` as the action server calls it "
              "(session, order with payments, active notices, diagnosis), on the project's schema and indexes, "
              "for random existing orders with the right phone tail.", "",
              *_table(["database", "orders", "load s", "lookups", "p50 ms", "p95 ms", "p99 ms", "unverified"],
                      rows), ""]
    return lines


def write_report(results: dict, path: Path, plot_name: str) -> None:
    meta = results["meta"]
    head = ["# Load benchmark", ""]
    if meta.get("quick"):
        head += ["> **Quick run** (`--quick`): tiny versions of every section to check the harness. The figures "
                 "are not measurements and the targets are mostly not measured.", ""]
    head += [f"Run {meta['started']} on {meta['machine']['cpus']} CPUs ({meta['machine']['cpu_model']}), "
             f"{meta['machine']['memory_gb']} GB RAM; Rasa {meta['rasa_version']}, Python {meta['python']}. "
             f"Load average before / after: {meta['loadavg_before']} / {meta.get('loadavg_after')} "
             "(other work on the machine shows up here and in every figure). Took "
             f"{_fmt(meta.get('elapsed_s'))} s.", "",
             f"Ours runs as `make run` does (embedded default: SQLite orders/tickets/tracker store, in-memory lock "
             f"store, one action server, one Rasa server) on fresh temporary databases. Each simulated customer is a "
             f"new conversation (unique sender id) replaying one of {meta['paths']} complaint paths (complaint with "
             f"order number → phone tail → self-help answer → another → handoff or resolution); N customers talk "
             f"at once, and when one finishes a new one starts. Paced runs pause {_fmt(meta['pause_s'])} s between "
             f"messages (customers arrive spread over one conversation); the saturation run pauses 0 s with "
             f"{meta['saturation_customers']} customers. Each run lasts {_fmt(meta['run_s'])} s after an "
             "unmeasured warm-up. Errors: HTTP error or timeout "
             f"({meta['request_timeout_s']:g} s); empty: the bot answered `[]`.", "",
             "*workers* is ours with one change: the Rasa server runs 2 Sanic workers and locks conversations "
             "through Redis (`rasa_plugins.lock_store.AtomicRedisLockStore`), as each Rasa server of the scaled shape "
             "can (`TOPUP_RASA_WORKERS=2 make run-scaled`); the embedded default cannot, having no Redis. It is "
             "not in the targets, which are the embedded default's. RSS is per process tree; PSS counts the "
             "memory the workers share once.", "",
             "The stock bot is `rasa init --no-prompt` as created (in-memory tracker store, no action server), "
             "replaying hello → I am sad → yes → bye with the same pacing and concurrency. The load client runs on "
             "the same machine and takes some of its CPU.", "", f"![latency against load]({plot_name})", ""]
    tail = ["## Notes", ""] + [f"- {note}" for note in results.get("notes", [])]
    for section, error in (results.get("errors") or {}).items():
        tail.append(f"- **{section} failed**: {error}")
    text = "\n".join(head + _targets(results) + _runs(results) + _ratios(results) + _sections(results) + tail)
    path.write_text(text.rstrip() + "\n", encoding="utf-8")

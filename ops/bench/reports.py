"""The reports page's figures at scale: a year of 250,000 conversations and 100,000 tickets.

Seeds SQLite (and, if it answers, a temporary PostgreSQL database on 127.0.0.1, dropped afterwards) through the real
migrations, with the day's rhythm, the complaints, reasons, reply and resolution times and ratings a busy top-up
platform sees; then times ReportService.summary for the last 7, 30, 90 and 365 days (p50/p95 over --runs runs
each), and GET /api/reports and /api/reports.csv once each through the web app. Writes reports/bench/REPORTS.md.

    python -m ops.bench.reports [--tickets 100000] [--conversations 250000] [--runs 20]   (make bench)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Engine

from ops.bench.stats import summary_ms
from topup.clock import FixedClock
from topup.db import migrate
from topup.db.engine import make_engine
from topup.db.schema import ConversationRow, TicketMessageRow, TicketRow
from topup.services.reports import ReportService

ZONE = ZoneInfo("Asia/Shanghai")
POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432"
RANGES = (7, 30, 90, 365)
BATCH = 5000
# Local hour -> relative traffic: quiet at night, busy late morning and in the evening (games, phone bills).
HOURS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 8, 10, 11, 10, 9, 9, 9, 9, 10, 11, 12, 13, 12, 9, 5)
COMPLAINTS = {"recharge_stuck": 34, "charged_not_received": 20, "payment_failed": 14, "check_order_status": 16,
              "refund_request": 9, "duplicate_charge": 4, None: 3}
OUTCOMES = {"solved": 51, "handed_off": 41, "dropped": 6, "open": 2}
REASONS = {"customer_request": 30, "selfhelp_exhausted": 24, "verification_failed": 8, "not_understood": 6,
           "diagnosis:processing_overdue": 10, "diagnosis:debit_not_recorded": 6, "diagnosis:under_review": 4,
           "diagnosis:duplicate_charge": 3, "customer_angry": 3, "refund_request": 4, "complaint": 2}
STARS = {5: 55, 4: 20, 3: 9, 2: 5, 1: 11}
TRANSCRIPT = [{"role": "customer", "text": "话费一直显示正在充值，钱都扣了", "at": None},
              {"role": "assistant", "text": "麻烦把订单号发我一下，是 KM 开头的 16 位。", "at": None},
              {"role": "customer", "text": "KM20261127004215 尾号3821", "at": None},
              {"role": "assistant", "text": "查到了：您的中国移动话费（100元）已经付款成功，还在充值中……", "at": None},
              {"role": "customer", "text": "刷新了还是不行", "at": None}]


def _pick(rng: random.Random, weights: dict) -> object:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _moment(rng: random.Random, first: date, days: int) -> datetime:
    """A naive-UTC moment on one of the platform's days, at an hour weighted by the day's rhythm (weekends busier)."""
    while True:
        day = first + timedelta(days=rng.randrange(days))
        if day.weekday() < 5 and rng.random() < 0.2:
            continue
        break
    hour = rng.choices(range(24), weights=HOURS)[0]
    local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=ZONE)
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def rows(conversations: int, tickets: int, last_day: date, days: int = 365, seed: int = 14
         ) -> Iterator[tuple[str, dict]]:
    """(table, row) pairs: conversations, and a ticket (with its messages) for each of the first `tickets`
    handed-off ones; replies after a few minutes (log-normal), resolutions after tens of minutes, a third rated."""
    rng = random.Random(seed)
    first, made = last_day - timedelta(days=days - 1), 0
    for n in range(conversations):
        started = _moment(rng, first, days)
        complaint = _pick(rng, COMPLAINTS)
        outcome = _pick(rng, OUTCOMES) if complaint else rng.choice(("dropped", "open", "handed_off"))
        if outcome == "handed_off" and made >= tickets:
            outcome = "solved"
        cid = f"bench-{n:07d}"
        yield "conversations", {"conversation_id": cid, "started_at": started, "complaint": complaint,
                                "last_message_at": started + timedelta(minutes=4), "outcome": outcome,
                                "closed_at": None if outcome == "open" else started + timedelta(minutes=4)}
        if outcome != "handed_off":
            continue
        made += 1
        created = started + timedelta(seconds=rng.randrange(90, 600))
        replied = created + timedelta(seconds=min(6 * 3600, rng.lognormvariate(math.log(180), 0.9)))
        replied = replied if rng.random() < 0.96 else None
        resolved = (replied + timedelta(seconds=rng.lognormvariate(math.log(1500), 1.0))
                    if replied and rng.random() < 0.92 else None)
        rating = _pick(rng, STARS) if resolved and rng.random() < 0.35 else None
        number = f"TK{created:%Y%m%d}{made:08d}"
        yield "tickets", {
            "ticket_no": number, "conversation_id": cid, "dedupe_key": f"{cid}|-", "verified": rng.random() < 0.7,
            "order_no": f"KM{created:%Y%m%d}{rng.randrange(10**6):06d}", "complaint": complaint or "check_order_status",
            "customer_description": "话费一直显示正在充值，钱都扣了", "handoff_reason": _pick(rng, REASONS),
            "priority": "high" if rng.random() < 0.3 else "normal", "priority_reasons": [], "steps": [],
            "transcript": TRANSCRIPT, "status": "resolved" if resolved else "in_progress" if replied else "open",
            "assigned_agent": "xiaowang" if replied else None, "claimed_at": replied, "first_reply_at": replied,
            "resolved_at": resolved, "resolution": "已为您补充值" if resolved else None, "rating": rating,
            "rating_comment": rng.choice(("很快，谢谢", "等太久了", "")) if rating else None,
            "created_at": created, "updated_at": resolved or replied or created}
        yield "ticket_messages", {"ticket_no": number, "conversation_id": cid, "role": "customer", "author": "",
                                  "text": "还没到账", "delivered": True, "created_at": created + timedelta(seconds=20)}
        if replied:
            yield "ticket_messages", {"ticket_no": number, "conversation_id": cid, "role": "agent",
                                      "author": "xiaowang", "text": "您好，我来帮您查", "delivered": True,
                                      "created_at": replied}


def seed(engine: Engine, conversations: int, tickets: int, last_day: date, days: int = 365, seed: int = 14) -> None:
    """Bulk insert (Core executemany, in batches) into a migrated database."""
    tables = {"conversations": ConversationRow.__table__, "tickets": TicketRow.__table__,
              "ticket_messages": TicketMessageRow.__table__}
    batches: dict[str, list[dict]] = {name: [] for name in tables}
    with engine.begin() as conn:
        for name, row in rows(conversations, tickets, last_day, days, seed):
            batch = batches[name]
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(insert(tables[name]), batch)
                batch.clear()
        for name, batch in batches.items():
            if batch:
                conn.execute(insert(tables[name]), batch)


def time_summaries(service: ReportService, last_day: date, runs: int, ranges: tuple[int, ...] = RANGES) -> dict:
    results = {}
    for days in ranges:
        start = last_day - timedelta(days=days - 1)
        report = service.summary(start, last_day)  # warm the cache once, as a page reloading would
        timings, cpu = [], []
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            service.summary(start, last_day)
            timings.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        results[days] = {**summary_ms(timings), "cpu_p50_ms": summary_ms(cpu)["p50_ms"],
                         "tickets": report.totals.tickets, "conversations": report.totals.conversations}
    return results


async def _http(url: str, state: Path, last_day: date) -> dict:
    from aiohttp.test_utils import TestClient, TestServer

    from topup import settings as settings_module
    from topup.app import App
    from web.app import create_app

    settings = settings_module.load({"TOPUP_STATE_DIR": str(state), "TOPUP_DATABASE_URL": url})
    app = App.build(settings)
    client = TestClient(TestServer(create_app(app)))
    await client.start_server()
    try:
        cookies = {"topup_console": app.sessions.issue("xiaowang")}
        query = {"from": (last_day - timedelta(days=29)).isoformat(), "to": last_day.isoformat()}
        out = {}
        for name, path in (("json_30_days", "/api/reports"), ("csv_30_days", "/api/reports.csv"),
                           ("json_365_days", "/api/reports")):
            params = query if "30" in name else {**query, "from": (last_day - timedelta(days=364)).isoformat()}
            t0 = time.perf_counter()
            response = await client.get(path, params=params, cookies=cookies)
            body = await response.read()
            out[name] = {"ms": round((time.perf_counter() - t0) * 1000, 1), "status": response.status,
                         "bytes": len(body)}
        return out
    finally:
        await client.close()
        app.close()


def bench(url: str, args: argparse.Namespace, last_day: date, state: Path) -> dict:
    migrate.upgrade(url)
    engine = make_engine(url)
    t0 = time.monotonic()
    seed(engine, args.conversations, args.tickets, last_day)
    seeded_s = time.monotonic() - t0
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    with engine.connect() as conn:
        counts = {name: conn.execute(select(func.count()).select_from(table)).scalar_one() for name, table in
                  (("tickets", TicketRow.__table__), ("conversations", ConversationRow.__table__),
                   ("ticket_messages", TicketMessageRow.__table__))}
    clock = FixedClock(datetime.combine(last_day, datetime.min.time()) + timedelta(hours=4), ZONE)
    service = ReportService(engine, clock, ZONE)
    result = {"seed_s": round(seeded_s, 1), "rows": counts, "summary": time_summaries(service, last_day, args.runs),
              "http": asyncio.run(_http(url, state, last_day))}
    engine.dispose()
    return result


@contextmanager
def postgres_database() -> Iterator[str | None]:
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    name = f"bench_reports_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # not reachable: the SQLite figures alone
        print(f"  PostgreSQL not reachable ({type(exc).__name__}): SQLite only", flush=True)
        admin.dispose()
        yield None
        return
    try:
        yield f"{POSTGRES}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                         {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def report(results: dict, args: argparse.Namespace) -> str:
    lines = ["# Reports at 100,000 tickets", "",
             f"Run {time.strftime('%Y-%m-%dT%H:%M:%S%z')} with `python -m ops.bench.reports` on {os.cpu_count()} "
             f"CPU cores (load average before: {results['load_before']}). A year of seeded rows (platform zone "
             "Asia/Shanghai), `ReportService.summary` for the last N days, warm, "
             f"{args.runs} runs each; the web app's GET once each (cookie signed in, JSON or CSV read in full).", "",
             "| database | rows (tickets / conversations / messages) | range | tickets in range | p50 | p95 | max | "
             "this process's CPU, p50 |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for db, r in results["databases"].items():
        rows_ = r["rows"]
        for days, s in r["summary"].items():
            lines.append(f"| {db} | {rows_['tickets']:,} / {rows_['conversations']:,} / {rows_['ticket_messages']:,} "
                         f"| {days} days | {s['tickets']:,} | {s['p50_ms']} ms | {s['p95_ms']} ms | {s['max_ms']} ms | "
                         f"{s['cpu_p50_ms']} ms |")
    lines += ["", "| database | seeding | GET /api/reports (30 days) | GET /api/reports.csv (30 days) | "
              "GET /api/reports (365 days) |", "| --- | --- | --- | --- | --- |"]
    for db, r in results["databases"].items():
        h = r["http"]
        lines.append(f"| {db} | {r['seed_s']} s | {h['json_30_days']['ms']} ms ({h['json_30_days']['bytes']:,} B) | "
                     f"{h['csv_30_days']['ms']} ms | {h['json_365_days']['ms']} ms |")
    target = all(r["summary"][30]["p95_ms"] < 1000 for r in results["databases"].values())
    lines += ["", f"Target: the 30-day report well under a second at 100,000 tickets: "
              f"{'✅ met' if target else '❌ missed'}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=250_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("reports/bench"))
    args = parser.parse_args(argv)
    last_day = date.today() - timedelta(days=1)
    results: dict = {"load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()), "databases": {}}
    with tempfile.TemporaryDirectory(prefix="bench-reports-") as work:
        state = Path(work)
        print(f"  SQLite: seeding {args.tickets:,} tickets, {args.conversations:,} conversations...", flush=True)
        results["databases"]["SQLite"] = bench(f"sqlite:///{state / 'reports.db'}", args, last_day, state)
        print(f"    {results['databases']['SQLite']['summary']}", flush=True)
        if not args.no_postgres:
            with postgres_database() as url:
                if url:
                    print("  PostgreSQL: seeding...", flush=True)
                    results["databases"]["PostgreSQL"] = bench(url, args, last_day, state)
                    print(f"    {results['databases']['PostgreSQL']['summary']}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "REPORTS.md").write_text(report(results, args), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

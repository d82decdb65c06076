"""The agent's queue at 5,000 tickets: the console's list API over HTTP and the live feed's per-poll cost.

A fresh SQLite database (and, when it answers, a temporary PostgreSQL database on 127.0.0.1) gets `--tickets`
tickets with a busy week's spread (most resolved, a few hundred open or in progress, a third high priority, every
complaint, a few other platforms' order numbers and tickets without one). The web app runs in this process behind
aiohttp's test server; a signed-in agent asks GET /api/tickets (the real handler, over loopback HTTP) `--requests`
times per case. The poller's cost is `QueueService.pulse`, timed when nothing changed (almost every poll) and
when a ticket did. Writes reports/bench/QUEUE.md (`make bench` runs it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import create_engine, text, update

from ops.bench.stats import summary_ms
from topup import settings as settings_module
from topup.app import App
from topup.clock import utcnow
from topup.db import migrate
from topup.db.engine import unit_of_work
from topup.db.schema import TicketMessageRow, TicketRow
from topup.services.queue import QueueService
from topup.settings import DEMO_AGENT_PASSWORD
from web.app import create_app

POSTGRES = "postgresql+psycopg2://postgres@127.0.0.1:5432"
AGENTS = ("xiaowang", "xiaoli", "azhang", "laochen", "xiaozhou", "meimei", "dawei", "tingting")
COMPLAINTS = {"recharge_stuck": 40, "charged_not_received": 25, "payment_failed": 12, "refund_request": 10,
              "check_order_status": 7, "duplicate_charge": 6}
PRODUCTS = (("话费", "中国移动话费", 10000), ("话费", "中国联通话费", 5000), ("Q币", "腾讯Q币 50个", 5000),
            ("点卡", "网易一卡通", 3000), ("游戏币", "王者荣耀点券 600", 6000), ("话费", "中国电信话费", 20000))
WORDS = ("话费一直显示正在充值，钱都扣了", "付款了但是没到账", "支付失败了，是不是扣钱了", "扣了我两次钱",
         "不想要了，给我退款", "查一下我的订单到哪了", "等了一个小时了还没到", "你们是不是骗子")
PAYMENTS = ("alipay", "wechat", "bank_card", "balance")


def snapshot(order_no: str, tail: str, product: tuple[str, str, int], payment: str, at: datetime) -> dict:
    """An order snapshot as HandoffService writes it (topup/presentation.py: order_snapshot)."""
    iso = at.isoformat() + "Z"
    kind, name, cents = product
    return {"order_no": order_no, "phone_masked": "*" * 7 + tail, "product_type": kind, "product_name": name,
            "amount_cents": cents, "amount_yuan": str(cents // 100), "payment_method": payment,
            "status": "processing", "debit_status": "debited", "created_at": iso, "paid_at": iso,
            "status_changed_at": iso, "refund_started_at": None, "refunded_at": None, "platform": {},
            "payments": [{"amount_cents": cents, "method": payment, "status": "debited", "at": iso}],
            "diagnosis": "processing_overdue", "notice": None}


def ticket_row(order_no: str | None, created_at: datetime, status: str = "open", priority: str = "normal",
               complaint: str = "recharge_stuck", tail: str | None = "3821", agent: str | None = None,
               resolved_at: datetime | None = None, words: str = "话费一直显示正在充值，钱都扣了",
               product: tuple[str, str, int] = PRODUCTS[0], payment: str = "alipay",
               conversation_id: str | None = None) -> TicketRow:
    """A handed-off ticket as the assistant writes it; its number is given once it has an id (`add_tickets`)."""
    snap = snapshot(order_no, tail, product, payment, created_at - timedelta(minutes=40)) if order_no and tail else None
    transcript = [{"role": "customer" if i % 2 == 0 else "assistant", "text": words if i % 2 == 0 else
                   "麻烦把订单号发我一下，是 KM 开头的 16 位。", "at": created_at.isoformat() + "Z"} for i in range(10)]
    return TicketRow(
        ticket_no=f"tmp-{random.getrandbits(96):024x}",
        conversation_id=conversation_id or f"bench-{random.getrandbits(64):x}",
        dedupe_key=f"bench-{random.getrandbits(96):x}:{order_no or '-'}", order_no=order_no, verified=snap is not None,
        complaint=complaint, customer_description=words, handoff_reason="selfhelp_exhausted", priority=priority,
        priority_reasons=["debited_processing_30min"] if priority == "high" else [], order_snapshot=snap,
        phone_tail=tail if snap is not None else None,
        steps=[{"step": "refresh_relogin", "outcome": "not_helped"}], transcript=transcript, status=status,
        assigned_agent=agent, claimed_at=created_at + timedelta(minutes=3) if agent else None,
        resolved_at=resolved_at, resolution="已补充值" if resolved_at else None, created_at=created_at,
        updated_at=resolved_at or created_at)


def add_tickets(engine: object, rows: list[TicketRow]) -> list[str]:
    """Insert the rows and number them as HandoffService does (TK + day + id), so they never collide."""
    with unit_of_work(engine) as session:
        session.add_all(rows)
        session.flush()
        for row in rows:
            row.ticket_no = f"TK{row.created_at:%Y%m%d}{row.id:06d}"
        return [row.ticket_no for row in rows]


def busy_week(count: int, now: datetime, seed: int = 7) -> list[TicketRow]:
    """`count` tickets: ~85% resolved over the last 7 days, ~8% open and ~7% in progress from the last 10 hours."""
    rng = random.Random(seed)
    complaints, weights = list(COMPLAINTS), list(COMPLAINTS.values())
    rows = []
    for i in range(count):
        roll = rng.random()
        status = "open" if roll < 0.08 else "in_progress" if roll < 0.15 else "resolved"
        if status == "resolved":
            created = now - timedelta(minutes=rng.uniform(20, 7 * 24 * 60))
            resolved = min(now, created + timedelta(minutes=rng.uniform(5, 240)))
        else:
            created, resolved = now - timedelta(minutes=rng.expovariate(1 / 90) % 600), None
        kind = rng.random()
        order_no = (f"KM{created:%Y%m%d}{i:06d}" if kind < 0.85 else
                    f"{rng.getrandbits(40):010X}{i:06d}" if kind < 0.9 else None)  # another platform, or none
        rows.append(ticket_row(
            order_no, created, status, "high" if rng.random() < 0.3 else "normal",
            rng.choices(complaints, weights)[0], f"{rng.randrange(10000):04d}" if rng.random() < 0.85 else None,
            rng.choice(AGENTS) if status != "open" else None, resolved, rng.choice(WORDS), rng.choice(PRODUCTS),
            rng.choice(PAYMENTS)))
    return rows


def add_messages(engine: object, ticket_nos: list[str], now: datetime) -> None:
    """A few live messages on the in-progress tickets (the rows' 待回复 marker reads them)."""
    with unit_of_work(engine) as session:
        for i, no in enumerate(ticket_nos):
            for j, role in enumerate(("customer", "agent", "customer")[: 1 + i % 3]):
                session.add(TicketMessageRow(ticket_no=no, conversation_id=f"bench-{no}", role=role, author="",
                                             text="还没到账吗", delivered=True, created_at=now + timedelta(seconds=j)))


async def _http(app: App, cases: dict[str, list[str]], requests: int) -> dict:
    client = TestClient(TestServer(create_app(app)))
    await client.start_server()
    try:
        login = await client.post("/api/login", json={"username": "xiaowang", "password": DEMO_AGENT_PASSWORD})
        assert login.status == 200, await login.text()
        results = {}
        for name, paths in cases.items():
            for path in paths[:10]:  # warm the caches and the pool
                await (await client.get(path)).read()
            latencies, size, total, found = [], 0, None, None
            for i in range(requests):
                path = paths[i % len(paths)]
                started = time.perf_counter()
                response = await client.get(path)
                body = await response.json()
                latencies.append(time.perf_counter() - started)
                assert response.status == 200, body
                size, total = max(size, len(await response.read())), body["total"]
                found = body["counts"]["open"] + body["counts"]["in_progress"] + body["counts"]["resolved"]
            results[name] = {**summary_ms(latencies), "bytes": size, "total": total, "found": found,
                             "example": paths[0]}
        return results
    finally:
        await client.close()


def _pulse_cost(app: App, polls: int) -> dict:
    queue = QueueService(app.engine, app.clock)
    known = queue.pulse()
    last_id = app.console.latest_message_id()
    same, changed, whole = [], [], []
    for _ in range(polls):
        started = time.perf_counter()
        known = queue.pulse(known)
        same.append(time.perf_counter() - started)
    for _ in range(polls):  # what LiveFeed.poll_once reads: the new live messages, then the pulse
        started = time.perf_counter()
        app.console.messages_since(last_id)
        known = queue.pulse(known)
        whole.append(time.perf_counter() - started)
    with unit_of_work(app.engine) as session:
        ids = [i for (i,) in session.execute(text("SELECT id FROM tickets WHERE status = 'open' LIMIT 50"))]
    for i in range(min(polls, 50)):
        with unit_of_work(app.engine) as session:
            session.execute(update(TicketRow).where(TicketRow.id == ids[i % len(ids)]).values(updated_at=utcnow()))
        started = time.perf_counter()
        known = queue.pulse(known)
        changed.append(time.perf_counter() - started)
    return {"unchanged": summary_ms(same), "changed": summary_ms(changed), "whole": summary_ms(whole)}


def bench(database_url: str, work: Path, tickets: int, requests: int) -> dict:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("TOPUP_")}, "TOPUP_STATE_DIR": str(work),
           "TOPUP_DATABASE_URL": database_url, "TOPUP_RASA_URL": "http://127.0.0.1:9"}
    settings = settings_module.load(env)
    migrate.upgrade(settings.database_url, settings.db_connect_timeout)
    app = App.build(settings)
    try:
        now = utcnow()
        started = time.monotonic()
        rows = busy_week(tickets, now)
        numbers = add_tickets(app.engine, rows)
        add_messages(app.engine, [n for n, r in zip(numbers, rows, strict=True) if r.status == "in_progress"], now)
        seed_s = time.monotonic() - started
        rng = random.Random(11)
        picked = rng.sample([r for r in rows if r.order_no and r.order_snapshot], 200)
        cases = {
            "待接手, first page": ["/api/tickets?tab=open&page=1"],
            "search by order number (full)": [f"/api/tickets?tab=open&q={r.order_no}" for r in picked],
            "search by order number (last 8)": [f"/api/tickets?tab=resolved&q={r.order_no[-8:]}" for r in picked],
            "search by phone tail": [f"/api/tickets?tab=resolved&q={r.order_snapshot['phone_masked'][-4:]}"
                                     for r in picked],
            "search by ticket number": [f"/api/tickets?tab=resolved&q={n}" for n in rng.sample(numbers, 200)],
            "处理中, high + 充值卡住 + 30 min": [
                "/api/tickets?tab=in_progress&priority=high&complaint=recharge_stuck&age=30m"],
            "已解决, last 7 days": ["/api/tickets?tab=resolved&age=7d"],
            "已解决, page 50": ["/api/tickets?tab=resolved&page=50"],
        }
        results = asyncio.run(_http(app, cases, requests))
        return {"tickets": tickets, "seed_s": round(seed_s, 1), "http": results, "pulse": _pulse_cost(app, requests),
                "statuses": {s: sum(r.status == s for r in rows) for s in ("open", "in_progress", "resolved")}}
    finally:
        app.close()


def report(results: dict, requests: int) -> str:
    lines = ["# The agent's queue at 5,000 tickets", "",
             f"Run {time.strftime('%Y-%m-%dT%H:%M:%S%z')} with `python -m ops.bench.queue` (the web app in-process "
             "behind aiohttp's test server, a signed-in agent calling GET /api/tickets over loopback HTTP, "
             f"{requests} requests per case, one after another). Load average before: {results['load_before']}.", ""]
    for db, r in results["databases"].items():
        statuses = ", ".join(f"{n} {s}" for s, n in r["statuses"].items())
        lines += [f"## {db}: {r['tickets']:,} tickets ({statuses}; seeded in {r['seed_s']} s)", "",
                  "| request | example | in the tab (all tabs) | p50 | p95 | p99 | largest response |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, h in r["http"].items():
            lines.append(f"| {name} | `{h['example']}` | {h['total']} ({h['found']}) | {h['p50_ms']} ms | "
                         f"{h['p95_ms']} ms | {h['p99_ms']} ms | {h['bytes'] / 1024:.1f} KiB |")
        pulse = r["pulse"]
        lines += ["", "The live feed's poll (`QueueService.pulse`, once per 0.3 s for all consoles together):", "",
                  "| poll | polls | p50 | p95 | p99 |", "| --- | --- | --- | --- | --- |"]
        for name, p in (("nothing changed (two indexed aggregates)", pulse["unchanged"]),
                        ("a ticket changed (plus the resolved count and the newest open ticket)", pulse["changed"]),
                        ("the whole poll: new live messages, then the pulse (nothing changed)", pulse["whole"])):
            lines.append(f"| {name} | {p['n']} | {p['p50_ms']} ms | {p['p95_ms']} ms | {p['p99_ms']} ms |")
        lines.append("")
    lines += ["What the numbers rest on: 待接手's page is sorted on the status index alone (covering), then its "
              "50 rows are read; the tab counts are one indexed GROUP BY over the open and in-progress tickets and an "
              "index-only count of the resolved ones; 已解决 pages read the (status, resolved_at) index and a phone "
              "tail is an indexed lookup (`tickets.phone_tail`). A search by part of a ticket or order number reads "
              "every ticket of the tab (LIKE '%…%'): linear in the number of tickets, fine at 5,000 "
              "(`--tickets 50000` shows the slope).", ""]
    return "\n".join(lines)


def _postgres(name: str) -> str | None:
    """A temporary PostgreSQL database, or None when no server answers on 127.0.0.1:5432."""
    try:
        admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001 - no server here: SQLite only, said in the report
        print(f"  PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}", flush=True)
        return None
    return f"{POSTGRES}/{name}"


def _drop(name: str) -> None:
    admin = create_engine(f"{POSTGRES}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--out", type=Path, default=Path("reports/bench"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"load_before": " ".join(f"{x:.2f}" for x in os.getloadavg()), "databases": {}}
    with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
        work = Path(tmp)
        print(f"  SQLite: {args.tickets:,} tickets, {args.requests} requests per case...", flush=True)
        results["databases"]["SQLite"] = bench(f"sqlite:///{work / 'queue.db'}", work / "sqlite", args.tickets,
                                               args.requests)
        name = f"bench_queue_{os.getpid()}"
        url = None if args.no_postgres else _postgres(name)
        if url:
            try:
                print(f"  PostgreSQL: {args.tickets:,} tickets...", flush=True)
                results["databases"]["PostgreSQL"] = bench(url, work / "pg", args.tickets, args.requests)
            finally:
                _drop(name)
    (args.out / "QUEUE.md").write_text(report(results, args.requests), encoding="utf-8")
    print((args.out / "QUEUE.md").read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Order lookup at scale: generated orders in SQLite and PostgreSQL, timed through the action server's own call.

The schema comes from topup.db.schema (create_all), so the indexes measured are the ones the project ships.
Rows go in through the driver (executemany / COPY) because the ORM would take minutes for a million orders.
"""

from __future__ import annotations

import io
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from ops.bench.stats import summary_ms
from topup.clock import Clock, utcnow
from topup.db.engine import make_engine
from topup.db.schema import Base
from topup.model import Complaint
from topup.services.lookup import LookupService

PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
ORDERS_PER_DAY = 20_000
STATUSES = ("processing", "delivered", "delivered", "delivered", "failed", "refunded", "payment_failed", "unpaid")
PRODUCTS = (("话费", "中国移动话费"), ("Q币", "腾讯Q币 50个"), ("点卡", "网易一卡通"), ("游戏币", "原神创世结晶 6480"))
METHODS = ("alipay", "wechat", "bank_card")
BATCH = 20_000
FMT = "%Y-%m-%d %H:%M:%S.%f"


AMOUNTS = (1000, 3000, 5000, 10000, 64800)
START = datetime(2025, 1, 1)


def order_key(i: int) -> tuple[str, str]:
    """Order number and phone of generated order i, in O(1), so lookups can pick orders without re-reading them."""
    day, seq = divmod(i, ORDERS_PER_DAY)
    phone = f"1{3 + i % 7}{(i * 2654435761 + 12345) % 1_000_000_000:09d}"  # scattered, not sequential
    return f"KM{START + timedelta(days=day):%Y%m%d}{seq + 1:06d}", phone


def _rows(count: int) -> Iterator[tuple[tuple, tuple | None]]:
    """(order, payment) rows: order numbers KM + date + sequence as customers see them, 20k orders a day."""
    step_us = 86_400_000_000 // ORDERS_PER_DAY
    day_text = ""
    for i in range(count):
        day, seq = divmod(i, ORDERS_PER_DAY)
        if seq == 0:
            day_text = f"{START + timedelta(days=day):%Y-%m-%d}"
        order_no, phone = order_key(i)
        seconds, micros = divmod(seq * step_us, 1_000_000)
        clock = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
        created = f"{day_text} {clock}.{micros:06d}"
        # Paid and status changed a moment after creation (same second): string arithmetic keeps 1 M rows fast.
        paid_at = f"{day_text} {clock}.{min(micros + 300_000, 999_999):06d}"
        status = STATUSES[i % len(STATUSES)]
        kind, name = PRODUCTS[i % len(PRODUCTS)]
        method = METHODS[i % len(METHODS)]
        amount = AMOUNTS[i * 7919 % len(AMOUNTS)]
        paid = None if status == "unpaid" else paid_at
        order = (order_no, phone, kind, name, phone, amount, method, status, created, paid, paid_at, None, None)
        pay_status = "failed" if status == "payment_failed" else "refunded" if status == "refunded" else "debited"
        payment = None if paid is None else (order_no, amount, method, pay_status, paid)
        yield order, payment


ORDER_COLS = ("order_no, phone, product_type, product_name, account, amount_cents, payment_method, status, "
              "created_at, paid_at, status_changed_at, refund_started_at, refunded_at")
PAYMENT_COLS = "order_no, amount_cents, method, status, created_at"


def _batches(count: int) -> Iterator[tuple[list[tuple], list[tuple]]]:
    orders: list[tuple] = []
    payments: list[tuple] = []
    for order, payment in _rows(count):
        orders.append(order)
        if payment:
            payments.append(payment)
        if len(orders) >= BATCH:
            yield orders, payments
            orders, payments = [], []
    if orders:
        yield orders, payments


def _notices(now: datetime) -> list[tuple]:
    """A year of past notices plus one active, so the notice query has real work to do."""
    past = [("maintenance", f"维护 {d}", "游戏币", None, (now - timedelta(days=d, hours=2)).strftime(FMT),
             (now - timedelta(days=d)).strftime(FMT)) for d in range(1, 366)]
    active = ("maintenance", "游戏币充值通道系统升级维护", "游戏币", None, (now - timedelta(hours=1)).strftime(FMT),
              (now + timedelta(hours=2)).strftime(FMT))
    return past + [active]


NOTICE_COLS = "kind, title, product_type, payment_method, starts_at, ends_at"


def fill_sqlite(engine: Engine, count: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for orders, payments in _batches(count):
            cursor.executemany(f"INSERT INTO orders ({ORDER_COLS}) VALUES ({', '.join('?' * 13)})", orders)
            cursor.executemany(f"INSERT INTO payments ({PAYMENT_COLS}) VALUES (?, ?, ?, ?, ?)", payments)
        cursor.executemany(f"INSERT INTO notices ({NOTICE_COLS}) VALUES (?, ?, ?, ?, ?, ?)",
                           _notices(utcnow()))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def _copy_text(rows: list[tuple]) -> io.StringIO:
    def cell(value: object) -> str:
        return "\\N" if value is None else str(value)

    return io.StringIO("".join("\t".join(cell(v) for v in row) + "\n" for row in rows))


def fill_postgres(engine: Engine, count: int) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for orders, payments in _batches(count):
            cursor.copy_expert(f"COPY orders ({ORDER_COLS}) FROM STDIN", _copy_text(orders))
            cursor.copy_expert(f"COPY payments ({PAYMENT_COLS}) FROM STDIN", _copy_text(payments))
        cursor.copy_expert(f"COPY notices ({NOTICE_COLS}) FROM STDIN", _copy_text(_notices(utcnow())))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def time_lookups(engine: Engine, count: int, samples: int, seed: int = 11) -> dict:
    """The lookup exactly as the action server calls it, for random existing orders with the right phone tail."""
    lookups = LookupService(engine, Clock())
    rng = random.Random(seed)
    cases = [order_key(i) for i in rng.sample(range(count), min(samples, count))]
    cases = [(order_no, phone[-4:]) for order_no, phone in cases]
    for order_no, tail in cases[:20]:  # warm the pool and the page cache
        lookups.look_up(order_no, tail, Complaint.RECHARGE_STUCK)
    latencies, unverified = [], 0
    for order_no, tail in cases:
        started = time.perf_counter()
        result = lookups.look_up(order_no, tail, Complaint.RECHARGE_STUCK)
        latencies.append(time.perf_counter() - started)
        unverified += not result.verified
    return {**summary_ms(latencies), "unverified": unverified}


def _measure(engine: Engine, fill: Callable[[Engine, int], None], count: int, samples: int) -> dict:
    started = time.monotonic()
    Base.metadata.create_all(engine)
    fill(engine, count)
    load_s = time.monotonic() - started
    return {"orders": count, "load_s": round(load_s, 1), "lookup": time_lookups(engine, count, samples)}


def bench_sqlite(work: Path, count: int, samples: int) -> dict:
    path = work / "orders-bench.db"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    try:
        return _measure(engine, fill_sqlite, count, samples)
    finally:
        engine.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def _pg_database() -> Iterator[str]:
    """A temporary database, created and dropped here; never one that existed before."""
    import psycopg2

    name = f"bench_orders_{os.getpid()}"
    admin = psycopg2.connect(connect_timeout=5, **PG_ADMIN)
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg2://{PG_ADMIN['user']}@{PG_ADMIN['host']}:{PG_ADMIN['port']}/{name}"
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
    finally:
        admin.close()


def bench_postgres(count: int, samples: int) -> dict:
    with _pg_database() as url:
        engine = make_engine(url)
        try:
            return _measure(engine, fill_postgres, count, samples)
        finally:
            engine.dispose()

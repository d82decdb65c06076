"""Demo databases of the two card-shop platforms the assistant can read orders from (docs/PLATFORMS.md).

`load` creates the database if missing, drops and recreates the demo tables (demo/platforms/<platform>.sql, this
project's own DDL of the columns the assistant reads) and inserts demo/platforms/<platform>_orders.yml, with every
time relative to now, stored as the shop's local wall-clock time (naive, as PHP writes it). It returns the demo
order numbers by key. `bulk` adds many random orders of the same shape, for timing lookups on a realistic table.

    python -m ops.platform_demo --platform dujiaoka --url mysql+pymysql://root@127.0.0.1:3306/topup_demo_dujiaoka
    python -m ops.platform_demo --platform acgfaka --url mysql+pymysql://root@127.0.0.1:3306/topup_demo_acgfaka \
        --bulk 100000

Only demo values: fake emails, contacts and card keys (CARD-DEMO-…), and payment channel "keys" DEMO-NOT-A-KEY.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import create_engine
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.pool import NullPool

PLATFORMS_DIR = Path(__file__).resolve().parents[1] / "demo" / "platforms"
PLATFORMS = ("dujiaoka", "acgfaka")
DEFAULT_PREFIX = {"dujiaoka": "", "acgfaka": "acg_"}
DEFAULT_ZONE = "Asia/Shanghai"
BATCH = 2000

# `<name>_minutes_ago` in the yml -> the column it sets
MINUTE_FIELDS = {
    "dujiaoka": {"created_minutes_ago": "created_at", "updated_minutes_ago": "updated_at",
                 "deleted_minutes_ago": "deleted_at"},
    "acgfaka": {"created_minutes_ago": "create_time", "paid_minutes_ago": "pay_time",
                "updated_minutes_ago": "update_time", "last_message_minutes_ago": "last_message_time",
                "closed_minutes_ago": "closed_time"},
}
# Fields of a yml row that are not columns (read by the loader or the command line, never inserted)
META_FIELDS = {"key", "shows", "price", "trade_no_head", "trade_no_tail", "ticket_no_tail", "order_trade_no_of"}
ORDER_TABLE = {"dujiaoka": "orders", "acgfaka": "order"}
NUMBER_COLUMN = {"dujiaoka": "order_sn", "acgfaka": "trade_no"}
_IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")
_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS `([^`]+)`")


# ------------------------------------------------------------------------------------------------ helpers


def _check_platform(platform: str, prefix: str | None) -> str:
    if platform not in PLATFORMS:
        raise ValueError(f"platform {platform!r}: expected one of {', '.join(PLATFORMS)}")
    prefix = DEFAULT_PREFIX[platform] if prefix is None else prefix
    if prefix and not _IDENTIFIER.fullmatch(prefix):
        raise ValueError(f"table prefix {prefix!r}: letters, digits and _ only")
    if platform == "dujiaoka" and prefix:
        raise ValueError("dujiaoka's demo tables have no prefix (demo/platforms/dujiaoka.sql)")
    return prefix


def _utc(now: datetime | None) -> datetime:
    """`now` as an aware UTC time; a naive `now` is UTC (as everywhere in the assistant)."""
    if now is None:
        return datetime.now(timezone.utc)
    return now.replace(tzinfo=timezone.utc) if now.tzinfo is None else now.astimezone(timezone.utc)


def local_time(now_utc: datetime, minutes_ago: float, zone: ZoneInfo) -> datetime:
    """The naive local wall-clock time `minutes_ago` before `now_utc`, to the second, as PHP stores it."""
    moment = (now_utc - timedelta(minutes=minutes_ago)).astimezone(zone)
    return moment.replace(tzinfo=None, microsecond=0)


def acg_trade_no(head: str, created_local: datetime, tail: str) -> str:
    """acg-faka's number: 3 random digits + the create time as yymmddHHMMSS + 3 random digits (18 digits)."""
    if not (re.fullmatch(r"[1-9]\d\d", head) and re.fullmatch(r"[1-9]\d\d", tail)):
        raise ValueError(f"trade_no head/tail {head!r}/{tail!r}: 3 digits each, 100-999 (mt_rand(100, 999))")
    return f"{head}{created_local:%y%m%d%H%M%S}{tail}"


def _server_url(url: str) -> tuple[URL, str]:
    parsed = make_url(url)
    database = parsed.database or ""
    if not _IDENTIFIER.fullmatch(database):
        raise ValueError(f"database name {database!r} in the URL: letters, digits and _ only")
    if parsed.get_backend_name() != "mysql":
        raise ValueError("a MySQL / MariaDB URL is expected (mysql+pymysql://user@host:3306/database)")
    server = URL.create(parsed.drivername, username=parsed.username, password=parsed.password, host=parsed.host,
                        port=parsed.port, query=parsed.query)  # the server, without the database
    return server, database


def _engine(url: URL | str) -> Engine:
    args: dict[str, Any] = {"connect_timeout": 5}
    if "charset" not in make_url(url).query:
        args["charset"] = "utf8mb4"
    return create_engine(url, future=True, poolclass=NullPool, connect_args=args)


def _ensure_database(url: str) -> None:
    server, database = _server_url(url)
    engine = _engine(server)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE IF NOT EXISTS `{database}` "
                                 "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    finally:
        engine.dispose()


def ddl(platform: str, prefix: str | None = None) -> list[str]:
    """The CREATE TABLE statements of the platform's demo schema, with the prefix in place."""
    prefix = _check_platform(platform, prefix)
    text = (PLATFORMS_DIR / f"{platform}.sql").read_text(encoding="utf-8").replace("__PREFIX__", prefix)
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.split(r";\s*(?:\n|$)", body) if s.strip()]


@cache
def demo_rows(platform: str) -> dict[str, list[dict[str, Any]]]:
    """demo/platforms/<platform>_orders.yml: {table without prefix: [row, ...]} (rows as written, with meta)."""
    _check_platform(platform, None)
    with open(PLATFORMS_DIR / f"{platform}_orders.yml", encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _insert(conn: Connection, table: str, row: Mapping[str, Any]) -> None:
    columns = ", ".join(f"`{c}`" for c in row)
    marks = ", ".join(["%s"] * len(row))
    conn.exec_driver_sql(f"INSERT INTO `{table}` ({columns}) VALUES ({marks})", tuple(row.values()))


# ------------------------------------------------------------------------------------------------ load


def load(url: str, platform: str, prefix: str | None = None, now: datetime | None = None,
         zone: str = DEFAULT_ZONE) -> dict[str, str]:
    """Create the database if missing, drop and recreate the demo tables, insert the demo rows; {key: order no}."""
    prefix = _check_platform(platform, prefix)
    tz = ZoneInfo(zone)
    now_utc = _utc(now)
    statements = ddl(platform, prefix)
    _ensure_database(url)
    minute_fields = MINUTE_FIELDS[platform]
    numbers: dict[str, str] = {}
    engine = _engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                match = _CREATE.search(statement)
                if match:
                    conn.exec_driver_sql(f"DROP TABLE IF EXISTS `{match.group(1)}`")
                conn.exec_driver_sql(statement)
        with engine.begin() as conn:
            for table, rows in demo_rows(platform).items():
                for raw in rows or ():
                    row = {k: v for k, v in raw.items() if k not in META_FIELDS and k not in minute_fields}
                    for field, column in minute_fields.items():
                        if raw.get(field) is not None:
                            row[column] = local_time(now_utc, raw[field], tz)
                    if platform == "acgfaka" and table == "order":
                        row["trade_no"] = acg_trade_no(str(raw["trade_no_head"]), row["create_time"],
                                                       str(raw["trade_no_tail"]))
                    if platform == "acgfaka" and table == "ticket":
                        row["ticket_no"] = f"TK{row['create_time']:%y%m%d%H%M%S}{raw['ticket_no_tail']}"
                        if raw.get("order_trade_no_of"):
                            row["order_trade_no"] = numbers[raw["order_trade_no_of"]]
                    _insert(conn, prefix + table, row)
                    if raw.get("key") and table == ORDER_TABLE[platform]:
                        numbers[str(raw["key"])] = str(row[NUMBER_COLUMN[platform]])
    finally:
        engine.dispose()
    return numbers


def describe(platform: str, numbers: Mapping[str, str]) -> list[tuple[str, str, str, str]]:
    """(key, order number, what it shows, the proof to type) of each demo order, for the command line."""
    out = []
    for raw in demo_rows(platform)[ORDER_TABLE[platform]]:
        key = str(raw.get("key") or "")
        if key not in numbers:
            continue
        if platform == "dujiaoka":
            proofs = [str(raw["email"])] + ([f"查询密码 {raw['search_pwd']}"] if raw.get("search_pwd") else [])
        else:
            contact = str(raw.get("contact") or "")
            proofs = [] if contact in ("", "-") else [contact]
            if contact.isdigit() and len(contact) >= 7:
                proofs.append(f"尾号 {contact[-4:]}")
            if raw.get("password"):
                proofs.append(f"查询密码 {raw['password']}")
            if not proofs:
                proofs = ["会员订单 (contact '-'): 登录后查询"]
        out.append((key, numbers[key], str(raw.get("shows") or ""), " / ".join(proofs)))
    return out


# ------------------------------------------------------------------------------------------------ bulk

_ALNUM = string.ascii_uppercase + string.digits
DUJIAOKA_COLUMNS = ("order_sn", "goods_id", "coupon_id", "title", "type", "goods_price", "buy_amount", "total_price",
                    "actual_price", "search_pwd", "email", "info", "pay_id", "buy_ip", "trade_no", "status",
                    "coupon_ret_back", "created_at", "updated_at", "deleted_at")
ACGFAKA_COLUMNS = ("owner", "user_id", "trade_no", "amount", "commodity_id", "card_id", "card_num", "pay_id",
                   "create_time", "create_ip", "create_device", "pay_time", "status", "secret", "password",
                   "contact", "delivery_status", "pay_url", "coupon_id", "cost", "widget", "race", "request_no")
# dujiaoka statuses of older orders, weighted: mostly completed or expired
DUJIAOKA_STATUSES = ((4, 74), (-1, 18), (1, 2), (2, 1), (3, 1), (5, 3), (6, 1))
MAIL_DOMAINS = ("qq.com", "qq.com", "qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "foxmail.com")


def _ip(rng: random.Random) -> str:
    net = rng.choice(("203.0.113", "198.51.100", "192.0.2"))  # documentation ranges: no real buyer's address
    return f"{net}.{rng.randint(1, 254)}"


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"


def _dujiaoka_sn(rng: random.Random) -> str:
    while True:
        value = "".join(rng.choices(_ALNUM, k=16))
        if any(c.isdigit() for c in value) and not value.isdigit():
            return value


def _dujiaoka_rows(rng: random.Random, count: int, now_utc: datetime, tz: ZoneInfo,
                   taken: set[str]) -> Iterator[tuple]:
    goods = demo_rows("dujiaoka")["goods"]
    pay_ids = [p["id"] for p in demo_rows("dujiaoka")["pays"]]
    statuses, weights = zip(*DUJIAOKA_STATUSES, strict=True)
    newest = local_time(now_utc, 0, tz)
    for i in range(count):
        sn = _dujiaoka_sn(rng)
        while sn in taken:
            sn = _dujiaoka_sn(rng)
        taken.add(sn)
        good = rng.choice(goods)
        kind = int(good["type"])
        amount = rng.choice((1, 1, 1, 1, 2, 3))
        price = float(good["actual_price"])
        total = round(price * amount, 2)
        status = rng.choices(statuses, weights)[0]
        if kind == 1 and status in (2, 3, 5):
            status = 4  # only manual orders are 待处理 / 处理中 / 处理失败
        if kind == 2 and status == 6:
            status = 5
        minutes = rng.uniform(1440, 90 * 1440)  # placed 1 to 90 days ago: older than every demo order
        created = local_time(now_utc, minutes, tz)
        updated = created + timedelta(minutes=5 if status in (-1, 1) else rng.randint(1, 90 if kind == 2 else 2))
        if kind == 2:
            info = f"充值账号:{_phone(rng)}" if good["id"] == 1 else f"游戏UID:{rng.randint(100_000_000, 199_999_999)}"
        elif status == 4:
            info = "\n".join(f"CARD-DEMO-{i:06d}-{n}XXX" for n in range(amount))
        elif status == 6:
            info = "insufficient carmis"
        else:
            info = ""
        paid = status not in (1, -1)
        pay_id = rng.choice(pay_ids)
        trade_no = f"{'2026' if pay_id == 1 else '4200'}{rng.randint(0, 10**24 - 1):024d}" if paid else ""
        user = f"user{rng.randint(10_000, 99_999_999)}@{rng.choice(MAIL_DOMAINS)}"
        deleted = min(updated + timedelta(days=1), newest) if rng.random() < 0.005 else None
        yield (sn, good["id"], 0, f"{good['gd_name']} x {amount}", kind, price, amount, total, total,
               f"{rng.randint(0, 999_999):06d}" if rng.random() < 0.1 else "", user, info, pay_id, _ip(rng),
               trade_no, status, 0, created, updated, deleted)


def _acgfaka_rows(rng: random.Random, count: int, now_utc: datetime, tz: ZoneInfo,
                  taken: set[str], member_ids: Sequence[int]) -> Iterator[tuple]:
    commodities = demo_rows("acgfaka")["commodity"]
    pay_ids = [p["id"] for p in demo_rows("acgfaka")["pay"]]
    for i in range(count):
        commodity = rng.choice(commodities)
        manual = int(commodity["delivery_way"]) == 1
        num = rng.choice((1, 1, 1, 1, 2, 3))
        amount = round(float(commodity["price"]) * num, 2)
        created = local_time(now_utc, rng.uniform(1440, 90 * 1440), tz)
        while True:
            trade_no = acg_trade_no(str(rng.randint(100, 999)), created, str(rng.randint(100, 999)))
            if trade_no not in taken:
                break
        taken.add(trade_no)
        roll = rng.random()
        status, delivered = (0, 0) if roll < 0.17 else ((1, 0) if roll < 0.20 else (1, 1))
        pay_time = created + timedelta(seconds=rng.randint(20, 600)) if status else None
        member = bool(member_ids) and rng.random() < 0.1
        contact_type = int(commodity["contact_type"])
        if member:
            contact = "-"
        elif contact_type == 1 or (contact_type == 0 and rng.random() < 0.4):
            contact = _phone(rng)
        elif contact_type == 2 or (contact_type == 0 and rng.random() < 0.5):
            contact = f"user{rng.randint(10_000, 99_999_999)}@{rng.choice(MAIL_DOMAINS)}"
        else:
            contact = str(rng.randint(10_000, 3_999_999_999))
        if manual:
            answers = ({"account": {"value": _phone(rng), "cn": "充值手机号"}} if commodity["id"] == 1 else
                       {"uid": {"value": str(rng.randint(100_000_000, 199_999_999)), "cn": "游戏UID"},
                        "server": {"value": "天空岛", "cn": "服务器"}})
            widget = json.dumps(answers, ensure_ascii=False, separators=(",", ":"))
            secret = ("已发货" if delivered else "正在发货中，请耐心等待") if status else None
        else:
            widget = "{}"
            secret = "\n".join(f"CARD-DEMO-{i:06d}-{n}XXX" for n in range(num)) if delivered else None
        yield (rng.choice(member_ids) if member else 0, 0, trade_no, amount, commodity["id"], None, num,
               rng.choice(pay_ids), created, _ip(rng), rng.randint(0, 3), pay_time, status, secret,
               f"{rng.randint(0, 999_999):06d}" if rng.random() < 0.2 else None, contact, delivered,
               None if status else "https://pay.example.com/submit.php?demo=1", None, 0.0, widget, None, None)


def bulk(url: str, platform: str, count: int = 100_000, prefix: str | None = None, seed: int = 1,
         now: datetime | None = None, zone: str = DEFAULT_ZONE) -> list[str]:
    """Insert `count` random orders (placed 1-90 days ago) into tables `load` made; a sample of their numbers.

    Multi-row INSERTs of BATCH rows through the driver (PyMySQL turns executemany into them), one commit per batch.
    """
    prefix = _check_platform(platform, prefix)
    rng = random.Random(seed)
    tz = ZoneInfo(zone)
    now_utc = _utc(now)
    table = prefix + ORDER_TABLE[platform]
    column = NUMBER_COLUMN[platform]
    columns = DUJIAOKA_COLUMNS if platform == "dujiaoka" else ACGFAKA_COLUMNS
    statement = (f"INSERT INTO `{table}` ({', '.join(f'`{c}`' for c in columns)}) "
                 f"VALUES ({', '.join(['%s'] * len(columns))})")
    engine = _engine(url)
    sample: list[str] = []
    step = max(1, count // 20)
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                           "AND table_name = %s", (table,))
            if not cursor.fetchone()[0]:
                raise RuntimeError(f"no table {table} in this database: run load() (or the command line) first")
            cursor.execute(f"SELECT `{column}` FROM `{table}`")
            taken = {str(r[0]).strip() for r in cursor.fetchall()}
            if platform == "dujiaoka":
                taken |= {t.upper() for t in taken}  # the column compares without case
                rows = _dujiaoka_rows(rng, count, now_utc, tz, taken)
            else:
                cursor.execute(f"SELECT id FROM `{prefix}user`")
                members = [int(r[0]) for r in cursor.fetchall()]
                rows = _acgfaka_rows(rng, count, now_utc, tz, taken, members)
            batch: list[tuple] = []
            for i, row in enumerate(rows):
                if i % step == 0 and len(sample) < 20:
                    sample.append(row[columns.index(column)])
                batch.append(row)
                if len(batch) >= BATCH:
                    cursor.executemany(statement, batch)
                    raw.commit()
                    batch.clear()
            if batch:
                cursor.executemany(statement, batch)
                raw.commit()
            cursor.close()
        finally:
            raw.close()
    finally:
        engine.dispose()
    return sample


# ------------------------------------------------------------------------------------------------ command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.platform_demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--platform", choices=PLATFORMS, required=True)
    parser.add_argument("--url", required=True, help="mysql+pymysql://user@host:3306/database (created if missing)")
    parser.add_argument("--prefix", default=None, help="table prefix (acg-faka: acg_ by default)")
    parser.add_argument("--zone", default=DEFAULT_ZONE, help="the shop's time zone (default %(default)s)")
    parser.add_argument("--bulk", type=int, default=0, metavar="N", help="also insert N random older orders")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    numbers = load(args.url, args.platform, prefix=args.prefix, zone=args.zone)
    shown = make_url(args.url).render_as_string(hide_password=True)
    print(f"Loaded the {args.platform} demo into {shown} (times in {args.zone}):")
    rows = describe(args.platform, numbers)
    width = max(len(k) for k, *_ in rows)
    for key, number, shows, proof in rows:
        print(f"  {key:<{width}}  {number}  {shows}")
        print(f"  {'':<{width}}  {'':<{len(number)}}  验证: {proof}")
    if args.bulk:
        started = time.perf_counter()
        sample = bulk(args.url, args.platform, args.bulk, prefix=args.prefix, seed=args.seed, zone=args.zone)
        seconds = time.perf_counter() - started
        print(f"Inserted {args.bulk} more orders in {seconds:.1f} s; e.g. {', '.join(sample[:5])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

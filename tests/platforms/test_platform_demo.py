"""ops/platform_demo.py on the real MariaDB of 127.0.0.1:3306 (root, no password): each test on its own database.

Where MariaDB is unreachable the tests are skipped, unless TOPUP_REQUIRE_SERVICES=1 (the test command sets it,
tests/services.py) or CI is set: then they fail, with the reason.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import pytest

from ops import platform_demo
from tests.services import REQUIRE_ENV, services_required

MARIADB_HOST = "127.0.0.1"
MARIADB_PORT = 3306
MARIADB_USER = "root"
# A fixed moment: 2026-12-07 23:50:00 in Asia/Shanghai
NOW = datetime(2026, 12, 7, 15, 50, 0, tzinfo=timezone.utc)
LOCAL_NOW = datetime(2026, 12, 7, 23, 50, 0)


def _connect(database: str | None = None) -> Any:
    import pymysql

    return pymysql.connect(host=MARIADB_HOST, port=MARIADB_PORT, user=MARIADB_USER, password="", database=database,
                           connect_timeout=3, charset="utf8mb4", autocommit=True)


@lru_cache(maxsize=1)
def mariadb_available() -> bool:
    try:
        conn = _connect()
    except Exception:  # any failure means "not available"
        return False
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    finally:
        conn.close()


def require_mariadb() -> None:
    """Skip where MariaDB is unreachable; fail instead when TOPUP_REQUIRE_SERVICES=1 or CI is set."""
    if mariadb_available():
        return
    reason = f"unreachable: MariaDB at {MARIADB_HOST}:{MARIADB_PORT} (user {MARIADB_USER}, no password)"
    if services_required() or os.environ.get("CI", "").strip():
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1 or CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(f"{reason} (set {REQUIRE_ENV}=1 to make this fail)")


@pytest.fixture
def database() -> Iterator[str]:
    """The URL of a database name nobody uses (load() creates it); dropped afterwards."""
    require_mariadb()
    name = f"topup_test_{uuid.uuid4().hex[:8]}"
    try:
        yield f"mysql+pymysql://{MARIADB_USER}@{MARIADB_HOST}:{MARIADB_PORT}/{name}"
    finally:
        conn = _connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()


def _rows(url: str, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
    import pymysql

    conn = _connect(url.rsplit("/", 1)[1])
    try:
        with conn.cursor(pymysql.cursors.DictCursor) as cursor:
            cursor.execute(sql, args)
            return list(cursor.fetchall())
    finally:
        conn.close()


def _ago(minutes: int) -> datetime:
    return LOCAL_NOW - timedelta(minutes=minutes)


# ------------------------------------------------------------------------------------------------ dujiaoka


def test_dujiaoka_demo_has_every_status(database: str) -> None:
    numbers = platform_demo.load(database, "dujiaoka", now=NOW)
    rows = {r["order_sn"]: r for r in _rows(database, "SELECT * FROM orders")}
    by_key = {key: rows[number] for key, number in numbers.items()}
    assert len(rows) == len(numbers) == 11
    assert {r["status"] for r in rows.values()} == {1, -1, 2, 3, 4, 5, 6}

    assert by_key["wait_pay"]["status"] == 1 and by_key["wait_pay"]["created_at"] == _ago(3)
    assert by_key["expired"]["status"] == -1 and by_key["expired"]["trade_no"] == ""
    recent, overdue = by_key["pending_recent"], by_key["pending_overdue"]
    assert (recent["status"], recent["updated_at"]) == (2, _ago(5))
    assert (overdue["status"], overdue["updated_at"]) == (2, _ago(50))
    assert (recent["type"], recent["info"]) == (2, "充值账号:13812345678")
    assert (by_key["processing_overdue"]["status"], by_key["processing_overdue"]["updated_at"]) == (3, _ago(40))
    assert by_key["completed"]["status"] == 4 and by_key["completed"]["info"].startswith("CARD-DEMO-")
    assert by_key["failed"]["status"] == 5 and by_key["failed"]["email"] == "Buyer07@QQ.com"
    assert (by_key["abnormal"]["status"], by_key["abnormal"]["info"]) == (6, "insufficient carmis")
    assert by_key["deleted"]["deleted_at"] == _ago(1000)
    assert [k for k, r in by_key.items() if r["deleted_at"] is not None] == ["deleted"]
    assert by_key["password"]["search_pwd"] == "cx2026"
    assert all(r["trade_no"] for r in rows.values() if r["status"] not in (1, -1))

    for key, number in numbers.items():
        assert re.fullmatch(r"[A-Za-z0-9]{16}", number) and re.search(r"\d", number), number
        assert number.isupper() or key == "mixed_case", number
    assert not numbers["mixed_case"].isupper() and not numbers["mixed_case"].islower()
    # The collation compares without case, as on a real install: the assistant looks it up in capitals.
    found = _rows(database, "SELECT order_sn FROM orders WHERE order_sn = %s", (numbers["mixed_case"].upper(),))
    assert [r["order_sn"] for r in found] == [numbers["mixed_case"]]
    assert _rows(database, "SELECT COUNT(*) AS n FROM orders WHERE email = %s", ("buyer07@qq.com",))[0]["n"] == 1

    pays = _rows(database, "SELECT pay_name, pay_check, merchant_id, merchant_key, merchant_pem FROM pays")
    assert {(p["pay_name"], p["pay_check"]) for p in pays} == {("支付宝", "zfbf2f"), ("微信支付", "wxpay")}
    assert all("DEMO" in p[c] for p in pays for c in ("merchant_id", "merchant_key", "merchant_pem"))
    goods = {g["gd_name"] for g in _rows(database, "SELECT gd_name FROM goods")}
    assert goods == {"中国移动话费 100元", "腾讯Q币 50个", "原神创世结晶 6480", "网易一卡通 100元"}
    assert all(c["carmi"].startswith("CARD-DEMO-") for c in _rows(database, "SELECT carmi FROM carmis"))


# ------------------------------------------------------------------------------------------------ acg-faka


def test_acgfaka_demo_has_every_status(database: str) -> None:
    numbers = platform_demo.load(database, "acgfaka", now=NOW)
    rows = {r["trade_no"]: r for r in _rows(database, "SELECT * FROM acg_order")}
    by_key = {key: rows[number] for key, number in numbers.items()}
    assert len(rows) == len(numbers) == 5

    def state(key: str) -> tuple[int, int]:
        return by_key[key]["status"], by_key[key]["delivery_status"]

    assert state("unpaid") == (0, 0) and by_key["unpaid"]["pay_time"] is None
    assert state("paid_recent") == (1, 0) and by_key["paid_recent"]["pay_time"] == _ago(5)
    assert state("overdue") == (1, 0) and by_key["overdue"]["pay_time"] == _ago(50)
    assert state("delivered") == (1, 1) and by_key["delivered"]["secret"].startswith("CARD-DEMO-")
    member = by_key["member"]
    assert (member["owner"], member["contact"], state("member")) == (1000, "-", (1, 1))
    guests = {r["contact"] for r in rows.values() if r["owner"] == 0}
    assert guests == {"12345678", "buyer@163.com", "13900001111"}
    assert by_key["overdue"]["password"] == "abc123"
    assert _rows(database, "SELECT id, username FROM acg_user") == [{"id": 1000, "username": "demo_member"}]

    # 3 random digits + the create time (Asia/Shanghai) as yymmddHHMMSS + 3 random digits
    assert numbers["unpaid"] == "512" + "261207234600" + "734"
    for number, row in rows.items():
        assert re.fullmatch(r"\d{18}", number), number
        assert number[3:15] == row["create_time"].strftime("%y%m%d%H%M%S")
    ticket = _rows(database, "SELECT * FROM acg_ticket")[0]
    assert ticket["ticket_no"] == "TK" + _ago(20).strftime("%y%m%d%H%M%S") + "A1B2C3D4"
    assert (ticket["order_trade_no"], ticket["order_id"], ticket["user_id"]) == (numbers["member"], member["id"], 1000)
    assert _rows(database, "SELECT ticket_id FROM acg_ticket_message") == [{"ticket_id": ticket["id"]}]
    pays = {(p["name"], p["code"]) for p in _rows(database, "SELECT name, code FROM acg_pay")}
    assert pays == {("支付宝", "alipay"), ("微信支付", "wxpay")}


def test_acgfaka_prefix_and_zone(database: str) -> None:
    numbers = platform_demo.load(database, "acgfaka", prefix="shop_", now=NOW, zone="UTC")
    tables = {r["t"] for r in _rows(database, "SELECT table_name AS t FROM information_schema.tables "
                                              "WHERE table_schema = DATABASE()")}
    assert tables == {f"shop_{t}" for t in ("order", "commodity", "pay", "user", "ticket", "ticket_message")}
    assert numbers["unpaid"][3:15] == "261207154600"  # the create time in UTC this time


# ------------------------------------------------------------------------------------------------ both


@pytest.mark.parametrize("platform", ["dujiaoka", "acgfaka"])
def test_loading_twice_gives_the_same_rows(database: str, platform: str) -> None:
    table = "orders" if platform == "dujiaoka" else "acg_order"
    first = platform_demo.load(database, platform, now=NOW)
    platform_demo.bulk(database, platform, 10)
    second = platform_demo.load(database, platform, now=NOW)
    assert first == second
    count = _rows(database, f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]
    assert count == len(first)  # the bulk rows are gone: the tables were recreated


@pytest.mark.parametrize("platform", ["dujiaoka", "acgfaka"])
def test_bulk_inserts_the_rows_asked(database: str, platform: str) -> None:
    table, column = ("orders", "order_sn") if platform == "dujiaoka" else ("acg_order", "trade_no")
    demo = platform_demo.load(database, platform, now=NOW)
    sample = platform_demo.bulk(database, platform, 2000, seed=7)
    rows = _rows(database, f"SELECT {column} AS n FROM {table}")
    assert len(rows) == len(demo) + 2000
    numbers = {r["n"] for r in rows}
    assert sample and set(sample) <= numbers
    shape = r"(?=.*\d)[A-Z0-9]{16}" if platform == "dujiaoka" else r"\d{18}"
    assert all(re.fullmatch(shape, n) for n in numbers - set(demo.values()))
    if platform == "acgfaka":
        times = _rows(database, f"SELECT trade_no, create_time FROM {table}")
        assert all(r["trade_no"][3:15] == r["create_time"].strftime("%y%m%d%H%M%S") for r in times)


def test_bulk_needs_the_tables(database: str) -> None:
    server = _connect()
    try:
        with server.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{database.rsplit('/', 1)[1]}`")
    finally:
        server.close()
    with pytest.raises(RuntimeError, match="load"):
        platform_demo.bulk(database, "dujiaoka", 10)


# ------------------------------------------------------------------------------------------------ no database


def test_ddl_and_names() -> None:
    statements = platform_demo.ddl("acgfaka", "acg_")
    assert len(statements) == 6 and not any("__PREFIX__" in s for s in statements)
    assert all(s.startswith("CREATE TABLE IF NOT EXISTS `acg_") for s in statements)
    assert len(platform_demo.ddl("dujiaoka")) == 4
    assert platform_demo.acg_trade_no("123", datetime(2026, 1, 2, 3, 4, 5), "999") == "123260102030405999"
    with pytest.raises(ValueError):
        platform_demo.acg_trade_no("012", datetime(2026, 1, 2), "999")
    with pytest.raises(ValueError):
        platform_demo.load("mysql+pymysql://root@127.0.0.1:3306/x", "acgfaka", prefix="acg;")
    with pytest.raises(ValueError):
        platform_demo.load("mysql+pymysql://root@127.0.0.1:3306/bad-name", "dujiaoka")

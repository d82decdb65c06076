"""The dujiaoka and acg-faka adapters on the real MariaDB: every status mapped, the proof compared in SQL, nothing
secret ever selected, the connection read-only and bounded, a source that is down named as such."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, text

from topup.model import OrderStatus
from topup.sources import SourceUnavailable
from topup.sources.acgfaka import AcgFakaSource
from topup.sources.dujiaoka import DujiaokaSource
from topup.sources.platform_db import fetch, make_source_engine

ZONE = ZoneInfo("Asia/Shanghai")
SECRET_COLUMNS = re.compile(r"\b(secret|carmi|carmis|merchant_key|merchant_pem|merchant_id)\b", re.IGNORECASE)


class Recorder:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        self.statements.append(statement)


def _recorded(engine) -> Recorder:  # noqa: ANN001
    recorder = Recorder()
    event.listen(engine, "before_cursor_execute", recorder)
    return recorder


@pytest.fixture()
def dujiaoka(dujiaoka_db: tuple[str, dict[str, str]]) -> Iterator[tuple[DujiaokaSource, dict[str, str], Recorder]]:
    url, numbers = dujiaoka_db
    source = DujiaokaSource(make_source_engine(url, 2000), ZONE)
    yield source, {k: v.upper() for k, v in numbers.items()}, _recorded(source.engine)
    source.close()


@pytest.fixture()
def acgfaka(acgfaka_db: tuple[str, dict[str, str]]) -> Iterator[tuple[AcgFakaSource, dict[str, str], Recorder]]:
    url, numbers = acgfaka_db
    source = AcgFakaSource(make_source_engine(url, 2000), ZONE)
    yield source, numbers, _recorded(source.engine)
    source.close()


def _selected(statement: str) -> str:
    """The select list of a statement (what it reads out), without its conditions."""
    match = re.search(r"SELECT(.*?)\bFROM\b", statement, re.IGNORECASE | re.DOTALL)
    return match.group(1) if match else ""


def assert_nothing_secret(statements: list[str], proofs: tuple[str, ...]) -> None:
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT") and " FROM " in s.upper()]
    assert reads, "no query was recorded"
    for statement in reads:
        assert not SECRET_COLUMNS.search(statement), statement
        selected = _selected(statement)
        for proof in proofs:  # compared in the conditions, never read out
            assert not re.search(rf"\b{proof}\b", selected), (proof, statement)
        if re.search(r"\binfo\b", selected):
            assert re.search(r"CASE WHEN o\.type = 2 THEN o\.info ELSE NULL END", selected), statement


@pytest.mark.parametrize("key, status, word", [
    ("wait_pay", OrderStatus.UNPAID, "1 待支付"), ("expired", OrderStatus.UNPAID, "-1 已过期"),
    ("pending_recent", OrderStatus.PROCESSING, "2 待处理"), ("pending_overdue", OrderStatus.PROCESSING, "2 待处理"),
    ("processing_overdue", OrderStatus.PROCESSING, "3 处理中"), ("completed", OrderStatus.DELIVERED, "4 已完成"),
    ("failed", OrderStatus.FAILED, "5 处理失败"), ("abnormal", OrderStatus.ABNORMAL, "6 异常"),
])
def test_every_dujiaoka_status_is_mapped(dujiaoka, key: str, status: OrderStatus, word: str) -> None:  # noqa: ANN001
    source, numbers, recorder = dujiaoka
    order = source.get(numbers[key])
    assert order is not None and order.status is status and order.platform["status"] == word
    assert (order.debits == 1) == (status not in (OrderStatus.UNPAID,))
    assert_nothing_secret(recorder.statements, ("search_pwd", "email"))


def test_a_dujiaoka_order_is_found_only_with_its_email_or_query_password(dujiaoka) -> None:  # noqa: ANN001
    source, numbers, recorder = dujiaoka
    assert source.find(numbers["failed"], "buyer07@qq.com") is not None  # stored as Buyer07@QQ.com
    assert source.find(numbers["failed"], "BUYER07@QQ.COM") is not None
    assert source.find(numbers["failed"], "someone@qq.com") is None
    assert source.find(numbers["failed"], "") is None
    assert source.find(numbers["password"], "cx2026") is not None
    assert source.find(numbers["password"], "cx2027") is None
    assert source.find(numbers["completed"], "") is None  # an order without a query password: "" opens nothing
    assert source.get(numbers["deleted"]) is None  # soft-deleted
    assert source.get(numbers["mixed_case"]) is not None  # stored in mixed case, asked in capitals
    assert_nothing_secret(recorder.statements, ("search_pwd", "email"))


def test_a_dujiaoka_manual_order_shows_the_customers_form_input_masked(dujiaoka) -> None:  # noqa: ANN001
    source, numbers, _ = dujiaoka
    order = source.get(numbers["pending_recent"])
    assert order is not None and "13812345678" not in order.platform["account"]
    assert "5678" in order.platform["account"]
    delivered = source.get(numbers["completed"])
    assert delivered is not None and "CARD-DEMO" not in repr(delivered)  # card keys are never read


@pytest.mark.parametrize("key, status", [
    ("unpaid", OrderStatus.UNPAID), ("paid_recent", OrderStatus.PROCESSING), ("overdue", OrderStatus.PROCESSING),
    ("delivered", OrderStatus.DELIVERED), ("member", OrderStatus.DELIVERED),
])
def test_every_acg_faka_status_is_mapped(acgfaka, key: str, status: OrderStatus) -> None:  # noqa: ANN001
    source, numbers, recorder = acgfaka
    order = source.get(numbers[key])
    assert order is not None and order.status is status
    assert "CARD-DEMO" not in repr(order)
    assert_nothing_secret(recorder.statements, ("password", "contact"))


def test_an_acg_faka_order_is_found_by_its_contact_its_tail_or_its_password(acgfaka) -> None:  # noqa: ANN001
    source, numbers, recorder = acgfaka
    assert source.find(numbers["unpaid"], "12345678") is not None  # QQ
    assert source.find(numbers["delivered"], "Buyer@163.com") is not None  # email, without case
    assert source.find(numbers["paid_recent"], "1111") is not None  # a phone contact's last 4 digits
    assert source.find(numbers["paid_recent"], "2222") is None
    assert source.find(numbers["unpaid"], "5678") is None  # a QQ number's tail is no proof: it is not a phone
    assert source.find(numbers["overdue"], "abc123") is not None  # the query password
    assert source.find(numbers["member"], "-") is None  # a member's placeholder contact proves nothing
    assert_nothing_secret(recorder.statements, ("password", "contact"))


def test_statuses_of_many_orders_in_one_query(dujiaoka, acgfaka) -> None:  # noqa: ANN001
    for source, numbers, recorder in (dujiaoka, acgfaka):
        recorder.statements.clear()
        found = source.statuses([*numbers.values(), "NOTANORDER000001"])
        assert set(found) >= {n for k, n in numbers.items() if k != "deleted"}
        assert len([s for s in recorder.statements if s.lstrip().upper().startswith("SELECT O.")]) == 1


def test_the_connection_is_read_only_and_every_statement_bounded(dujiaoka_db) -> None:  # noqa: ANN001
    url, _ = dujiaoka_db
    engine = make_source_engine(url, 500)
    with pytest.raises(SourceUnavailable):
        fetch(engine, "INSERT INTO orders (order_sn) VALUES ('X')", {})
    started = time.monotonic()
    with pytest.raises(SourceUnavailable):
        fetch(engine, text("SELECT SLEEP(5) FROM orders LIMIT 1"), {})
    assert time.monotonic() - started < 3
    engine.dispose()


def test_a_source_that_is_down_is_named_so_quickly() -> None:
    engine = make_source_engine("mysql+pymysql://root@127.0.0.1:1/nothing", 1000, connect_timeout_s=1)
    source = DujiaokaSource(engine, ZONE)
    started = time.monotonic()
    with pytest.raises(SourceUnavailable):
        source.find("8EQ6ZL2OFA3TRD4K", "a@b.cn")
    assert time.monotonic() - started < 5


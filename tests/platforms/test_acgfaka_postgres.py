"""acg-faka on PostgreSQL (it ships a PostgreSQL schema): the same adapter, its SQL in PostgreSQL's dialect (the
phone-contact check is `~`, not REGEXP), read-only and bounded there too."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text

from tests.services import require_services, temporary_postgres_database
from topup.model import OrderStatus
from topup.sources import SourceUnavailable
from topup.sources.acgfaka import AcgFakaSource
from topup.sources.platform_db import fetch, make_source_engine

# This project's own DDL of the columns the adapter reads, in PostgreSQL's types (acg-faka's Install_pgsql.sql
# uses SERIAL, TIMESTAMP and SMALLINT).
DDL = [
    "CREATE TABLE acg_commodity (id SERIAL PRIMARY KEY, name VARCHAR(255) NOT NULL)",
    "CREATE TABLE acg_pay (id SERIAL PRIMARY KEY, name VARCHAR(16) NOT NULL, code VARCHAR(32) NOT NULL)",
    "CREATE TABLE acg_order (id SERIAL PRIMARY KEY, owner INTEGER NOT NULL DEFAULT 0, trade_no CHAR(19) NOT NULL "
    "UNIQUE, amount NUMERIC(10, 2) NOT NULL, commodity_id INTEGER NOT NULL, pay_id INTEGER NOT NULL, create_time "
    "TIMESTAMP NOT NULL, pay_time TIMESTAMP, status SMALLINT NOT NULL DEFAULT 0, secret TEXT, password VARCHAR(32), "
    "contact VARCHAR(32), delivery_status SMALLINT NOT NULL DEFAULT 0, widget TEXT)",
    "INSERT INTO acg_commodity (name) VALUES ('腾讯Q币 50个')",
    "INSERT INTO acg_pay (name, code) VALUES ('支付宝', 'alipay')",
    "INSERT INTO acg_order (trade_no, amount, commodity_id, pay_id, create_time, pay_time, status, secret, "
    "password, contact, delivery_status) VALUES "
    "('512261207153012734', 48.00, 1, 1, '2026-12-07 23:30:12', '2026-12-07 23:30:40', 1, 'CARD-DEMO-1', 'abc123', "
    "'13900001111', 0), "
    "('512261207153512735', 48.00, 1, 1, '2026-12-07 23:35:12', NULL, 0, NULL, NULL, '12345678', 0)",
]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    require_services(postgres=True)
    with temporary_postgres_database("acgfaka_pg") as database:
        engine = create_engine(database)
        with engine.begin() as connection:
            for statement in DDL:
                connection.execute(text(statement))
        engine.dispose()
        yield database


def test_acg_faka_on_postgresql(url: str) -> None:
    source = AcgFakaSource(make_source_engine(url, 1000), ZoneInfo("Asia/Shanghai"))
    try:
        paid = source.find("512261207153012734", "1111")  # a phone contact's last 4 digits: `~` in PostgreSQL
        assert paid is not None and paid.status is OrderStatus.PROCESSING and paid.debits == 1
        assert "CARD-DEMO" not in repr(paid)
        assert source.find("512261207153012734", "abc123") is not None
        assert source.find("512261207153012734", "2222") is None
        assert source.find("512261207153512735", "12345678").status is OrderStatus.UNPAID
        assert set(source.statuses(["512261207153012734", "512261207153512735"]).values()) == {
            OrderStatus.PROCESSING, OrderStatus.UNPAID}
        with pytest.raises(SourceUnavailable):  # read-only
            fetch(source.engine, "UPDATE acg_order SET status = 1", {})
        with pytest.raises(SourceUnavailable):  # bounded
            fetch(source.engine, "SELECT pg_sleep(3)", {})
    finally:
        source.close()

"""Read-only sessions on the real PostgreSQL: the lookup runs in autocommit, and writes elsewhere stay transactional
on the same pooled connections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from tests.appkit import make_app
from tests.services import require_services, services_mark, temporary_postgres_database
from topup.app import App
from topup.clock import FixedClock
from topup.db.engine import reading, unit_of_work
from topup.db.schema import NoticeRow
from topup.diagnosis import Kind
from topup.model import Complaint

pytestmark = services_mark(postgres=True)
ORDER = "KM20261127004215"


@pytest.fixture
def app(tmp_path: Path, now: datetime) -> Iterator[App]:
    """Overrides the SQLite application of tests/core/conftest.py: its engine (and so add_order and add_notice)
    is on a throwaway PostgreSQL database, pooled as the servers' engines are."""
    require_services(postgres=True)
    with temporary_postgres_database("reading") as url:
        application = make_app(tmp_path, clock=FixedClock(now), TOPUP_DATABASE_URL=url)
        yield application
        application.close()


def _autocommit(session: object) -> bool:
    return bool(session.connection().connection.dbapi_connection.autocommit)  # type: ignore[attr-defined]


def test_the_lookup_reads_order_and_notices_on_postgresql(
    app: App, add_order: Callable[..., str], add_notice: Callable[..., None], now: datetime
) -> None:
    add_order(paid_minutes_ago=45, product_type="游戏币")
    add_notice("游戏币维护", now - timedelta(hours=1), now + timedelta(hours=2), product_type="游戏币")
    result = app.lookups.look_up(ORDER, "3821", Complaint.RECHARGE_STUCK, now=now)
    assert result.verified and result.diagnosis is not None
    assert result.diagnosis.kind is Kind.PROCESSING_NOTICE
    assert not app.lookups.look_up(ORDER, "0000", Complaint.RECHARGE_STUCK, now=now).verified


def test_reading_is_autocommit_and_the_next_unit_of_work_is_a_transaction_again(engine: Engine, now: datetime) -> None:
    for _ in range(3):  # the pool hands the same connection back and forth
        with reading(engine) as session:
            assert _autocommit(session)
            assert session.execute(text("select 1")).scalar() == 1
        with pytest.raises(RuntimeError), unit_of_work(engine) as session:
            assert not _autocommit(session)
            session.add(NoticeRow(kind="maintenance", title="回滚", starts_at=now, ends_at=now + timedelta(hours=1)))
            session.flush()
            raise RuntimeError("roll it back")
        with reading(engine) as session:
            assert session.execute(select(func.count()).select_from(NoticeRow)).scalar() == 0


def test_reading_saves_nothing(engine: Engine, now: datetime) -> None:
    with reading(engine) as session:
        session.add(NoticeRow(kind="maintenance", title="不保存", starts_at=now, ends_at=now + timedelta(hours=1)))
    with reading(engine) as session:
        assert session.execute(select(func.count()).select_from(NoticeRow)).scalar() == 0

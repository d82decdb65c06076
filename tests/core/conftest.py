"""Fixtures for the plain-Python core: an application object on a fresh SQLite file per test, never var/.

Its clock is fixed at NOW; `engine` is the application's engine, so rows added here are what its services read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from tests.appkit import make_app
from topup.app import App
from topup.clock import FixedClock
from topup.db.engine import unit_of_work
from topup.db.schema import NoticeRow, OrderRow, PaymentRow

NOW = datetime(2026, 11, 28, 8, 0, 0)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    """Settings on tmp_path (SQLite file, outbox, secrets all there), the schema made, the clock at NOW."""
    application = make_app(tmp_path, clock=FixedClock(NOW))
    yield application
    application.close()


@pytest.fixture
def engine(app: App) -> Engine:
    return app.engine


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, future=True) as s:
        yield s


@pytest.fixture
def add_order(engine: Engine) -> Callable[..., str]:
    """Insert an order (and its payments) and commit; returns the order number."""

    def _add(
        order_no: str = "KM20261127004215",
        phone: str = "13800003821",
        status: str = "processing",
        product_type: str = "话费",
        payment_method: str = "alipay",
        amount_cents: int = 10000,
        paid_minutes_ago: float | None = 45,
        payments: tuple[str, ...] = ("debited",),
        refund_started_minutes_ago: float | None = None,
        at: datetime = NOW,
    ) -> str:
        paid = None if paid_minutes_ago is None else at - timedelta(minutes=paid_minutes_ago)
        created = (paid or at) - timedelta(minutes=2)
        refund = None if refund_started_minutes_ago is None else at - timedelta(minutes=refund_started_minutes_ago)
        row = OrderRow(
            order_no=order_no,
            phone=phone,
            product_type=product_type,
            product_name=f"{product_type} {amount_cents // 100}元",
            account=phone,
            amount_cents=amount_cents,
            payment_method=payment_method,
            status=status,
            created_at=created,
            paid_at=paid,
            status_changed_at=paid or created,
            refund_started_at=refund,
            payments=[
                PaymentRow(
                    amount_cents=amount_cents,
                    method=payment_method,
                    status=p,
                    created_at=(paid or created) + timedelta(seconds=40 * i),
                )
                for i, p in enumerate(payments)
            ],
        )
        with unit_of_work(engine) as s:
            s.add(row)
        return order_no

    return _add


@pytest.fixture
def add_notice(engine: Engine) -> Callable[..., None]:
    def _add(
        title: str,
        starts_at: datetime,
        ends_at: datetime,
        product_type: str | None = None,
        payment_method: str | None = None,
        kind: str = "maintenance",
    ) -> None:
        with unit_of_work(engine) as s:
            s.add(
                NoticeRow(
                    kind=kind,
                    title=title,
                    starts_at=starts_at,
                    ends_at=ends_at,
                    product_type=product_type,
                    payment_method=payment_method,
                )
            )

    return _add

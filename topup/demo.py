"""Demo orders and notices from a readable YAML file, with times relative to the moment of loading, and the
console's first canned replies."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from topup.clock import FixedClock, utcnow
from topup.db.engine import unit_of_work
from topup.db.schema import NoticeRow, OrderRow, PaymentRow
from topup.services.canned import CannedService


def _ago(minutes: float | None, now: datetime) -> datetime | None:
    return None if minutes is None else now - timedelta(minutes=minutes)


def _order(spec: dict, now: datetime) -> OrderRow:
    created = _ago(spec["created_minutes_ago"], now)
    paid = _ago(spec.get("paid_minutes_ago"), now)
    status_at = _ago(spec.get("status_minutes_ago"), now) or paid or created
    amount = int(round(float(spec["amount_yuan"]) * 100))
    payment_at = paid or created
    assert created is not None and status_at is not None and payment_at is not None
    return OrderRow(
        order_no=spec["order_no"],
        phone=str(spec["phone"]),
        product_type=spec["product_type"],
        product_name=spec["product_name"],
        account=str(spec.get("account", "")),
        amount_cents=amount,
        payment_method=spec["payment_method"],
        status=spec["status"],
        created_at=created,
        paid_at=paid,
        status_changed_at=status_at,
        refund_started_at=_ago(spec.get("refund_started_minutes_ago"), now),
        refunded_at=_ago(spec.get("refunded_minutes_ago"), now),
        payments=[
            PaymentRow(
                amount_cents=amount,
                method=spec["payment_method"],
                status=status,
                created_at=payment_at + timedelta(seconds=40 * i),
            )
            for i, status in enumerate(spec.get("payments", []))
        ],
    )


def load_demo(path: Path, engine: Engine, now: datetime | None = None) -> tuple[int, int]:
    """Replace the demo orders and notices (tickets are kept); return how many of each were loaded."""
    now = now or utcnow()
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    orders = [_order(spec, now) for spec in data.get("orders", [])]
    numbers = [o.order_no for o in orders]
    titles = [n["title"] for n in data.get("notices", [])]
    with unit_of_work(engine) as session:
        session.execute(delete(PaymentRow).where(PaymentRow.order_no.in_(numbers)))
        session.execute(delete(OrderRow).where(OrderRow.order_no.in_(numbers)))
        session.execute(delete(NoticeRow).where(NoticeRow.title.in_(titles)))
        session.add_all(orders)
        for spec in data.get("notices", []):
            session.add(
                NoticeRow(
                    kind=spec["kind"],
                    title=spec["title"],
                    product_type=spec.get("product_type"),
                    payment_method=spec.get("payment_method"),
                    starts_at=now - timedelta(minutes=spec["started_minutes_ago"]),
                    ends_at=now + timedelta(minutes=spec["ends_in_minutes"]),
                )
            )
    # The console's canned replies, only into an empty list (agents' own edits survive a reload).
    CannedService(engine, FixedClock(now)).seed(data.get("canned_replies", []))
    return len(orders), len(titles)

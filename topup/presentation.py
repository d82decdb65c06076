"""Order facts turned into values that responses and tickets show (times in the platform's zone)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from topup.labels import label
from topup.model import OrderFacts
from topup.pii import mask_phone


def local_time(value: datetime | None, now: datetime, zone: ZoneInfo) -> str:
    """'今天 14:05'-style display of a naive-UTC time in the platform's zone (`now`, naive UTC, says which day
    is today)."""
    if value is None:
        return ""
    local = value.replace(tzinfo=timezone.utc).astimezone(zone)
    today = now.replace(tzinfo=timezone.utc).astimezone(zone).date()
    if local.date() == today:
        return f"今天 {local:%H:%M}"
    return f"{local.month}月{local.day}日 {local:%H:%M}"


def yuan(amount_cents: int) -> str:
    whole, cents = divmod(amount_cents, 100)
    return f"{whole}" if cents == 0 else f"{whole}.{cents:02d}"


def payment_label(method: str) -> str:
    return label("payment", method)


def order_snapshot(order: OrderFacts) -> dict:
    """The order as a ticket stores it: masked phone, amounts and every timestamp."""

    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat() + "Z"

    return {
        "order_no": order.order_no,
        "phone_masked": mask_phone(order.phone_tail),
        "product_type": order.product_type,
        "product_name": order.product_name,
        "amount_cents": order.amount_cents,
        "amount_yuan": yuan(order.amount_cents),
        "payment_method": order.payment_method,
        "status": order.status.value,
        "debit_status": order.debit_status.value,
        "created_at": iso(order.created_at),
        "paid_at": iso(order.paid_at),
        "status_changed_at": iso(order.status_changed_at),
        "refund_started_at": iso(order.refund_started_at),
        "refunded_at": iso(order.refunded_at),
        "platform": dict(order.platform),
        "payments": [
            {"amount_cents": p.amount_cents, "method": p.method, "status": p.status.value, "at": iso(p.created_at)}
            for p in order.payments
        ],
    }


def phone_tail(snapshot: dict | None) -> str | None:
    """The phone tail a ticket's order snapshot shows ("*******3821" → "3821"), for the queue's search."""
    masked = str((snapshot or {}).get("phone_masked") or "")
    return masked[-4:] if len(masked) >= 4 and masked[-4:].isdigit() else None

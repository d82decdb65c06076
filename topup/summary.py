"""A one-line summary of a handed-off case, for the agent's queue and ticket view."""

from __future__ import annotations

from topup.labels import label
from topup.model import TicketView
from topup.presentation import yuan


def case_summary(ticket: TicketView) -> str:
    d = ticket.details
    parts = [label("priority", ticket.priority.value), label("complaint", d["complaint"])]
    order = d.get("order")
    if order:
        payment = label("payment", order["payment_method"])
        parts.append(f"{order['product_name']} {yuan(order['amount_cents'])}元 {payment}")
        parts.append(f"{label('debit', order['debit_status'])}·{label('orderStatus', order['status'])}")
    else:
        parts.append("未提供订单号")
    if not d.get("verified") and order:
        parts.append("订单未验证")
    failed = sum(1 for s in d.get("steps", []) if s["outcome"] == "not_helped")
    if failed:
        parts.append(f"自助 {failed} 步无效")
    reasons = [label("reason", r) for r in d.get("priority_reasons", [])]
    if reasons:
        parts.append("、".join(reasons))
    return " · ".join(parts)

"""A one-line summary of a handed-off case, for the agent's queue and ticket view."""

from __future__ import annotations

from topup.model import TicketView
from topup.presentation import payment_label, yuan

_COMPLAINTS = {
    "recharge_stuck": "充值卡住", "charged_not_received": "扣款未到账", "payment_failed": "支付失败",
    "duplicate_charge": "重复扣款", "refund_request": "要求退款", "check_order_status": "查询订单",
}
_STATUS = {
    "unpaid": "未付款", "payment_failed": "支付失败", "processing": "充值中", "delivered": "已到账",
    "failed": "充值失败", "refunded": "已退款", "under_review": "风控审核",
}
_DEBIT = {
    "not_debited": "未扣款", "debited": "已扣款", "duplicate": "重复扣款", "refunding": "退款中", "refunded": "已退款",
}
_REASONS = {
    "debited_processing_30min": "扣款后充值超30分钟",
    "duplicate_charge": "重复扣款",
    "claim_record_mismatch": "客户称已扣款但系统未记录",
    "risk_hold": "风控拦截",
    "very_frustrated": "客户情绪激动",
}


def case_summary(ticket: TicketView) -> str:
    d = ticket.details
    priority = "高优先" if ticket.priority.value == "high" else "普通"
    parts = [priority, _COMPLAINTS.get(d["complaint"], d["complaint"])]
    order = d.get("order")
    if order:
        payment = payment_label(order["payment_method"])
        parts.append(f"{order['product_name']} {yuan(order['amount_cents'])}元 {payment}")
        parts.append(f"{_DEBIT.get(order['debit_status'], '')}·{_STATUS.get(order['status'], order['status'])}")
    else:
        parts.append("未提供订单号")
    if not d.get("verified") and order:
        parts.append("订单未验证")
    failed = sum(1 for s in d.get("steps", []) if s["outcome"] == "not_helped")
    if failed:
        parts.append(f"自助 {failed} 步无效")
    reasons = [_REASONS.get(r, r) for r in d.get("priority_reasons", [])]
    if reasons:
        parts.append("、".join(reasons))
    return " · ".join(parts)

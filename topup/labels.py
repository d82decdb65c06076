"""What agents read for each code the system stores, in one place for Python (summaries) and the console
(served to the browser as /console-config.js)."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "complaint": {
        "recharge_stuck": "充值卡住", "charged_not_received": "扣款未到账", "payment_failed": "支付失败",
        "duplicate_charge": "重复扣款", "refund_request": "要求退款", "check_order_status": "查询订单",
    },
    "orderStatus": {
        "unpaid": "未付款", "payment_failed": "支付失败", "processing": "充值中", "delivered": "已到账",
        "failed": "充值失败", "refunded": "已退款", "under_review": "风控审核中",
        "abnormal": "平台标记异常",
    },
    "debit": {
        "not_debited": "未扣款", "debited": "已扣款", "duplicate": "重复扣款", "refunding": "退款中",
        "refunded": "已退款",
    },
    "payment": {"alipay": "支付宝", "wechat": "微信支付", "bank_card": "银行卡", "balance": "账户余额"},
    "paymentStatus": {"debited": "已扣款", "failed": "失败", "reversed": "已冲正", "refunded": "已退款"},
    "reason": {
        "debited_processing_30min": "扣款后充值超过 30 分钟", "duplicate_charge": "重复扣款",
        "claim_record_mismatch": "客户说已扣款，系统没有记录", "risk_hold": "风控拦截",
        "platform_abnormal": "平台标记异常，且已扣款",
        "very_frustrated": "客户情绪激动", "complaint_money_taken": "客户投诉，且已扣款",
        "angry_money_taken": "客户很生气，且已扣款",
    },
    "handoff": {
        "customer_request": "客户要求转人工", "selfhelp_exhausted": "自助步骤都试过了",
        "verification_failed": "订单验证没通过", "system_error": "系统出错", "not_understood": "助手没听懂客户的问题",
        "complaint": "客户投诉", "customer_angry": "客户情绪激动，要求处理", "refund_request": "客户要求退款",
        "customer_left_open_case": "客户离开，问题还没解决",
        "order_failed": "订单在等待中变为失败",
    },
    "diagnosis": {
        "unpaid": "未付款", "payment_failed": "支付失败", "debit_not_recorded": "扣款未入账",
        "processing_recent": "刚付款，充值中", "processing_notice": "受平台公告影响", "processing_overdue": "充值超时",
        "delivered": "已到账但页面没更新", "failed_refunding": "充值失败，退款中",
        "failed_no_refund": "充值失败，还没退款",
        "refunded": "已退款", "under_review": "风控审核", "abnormal": "平台标记异常", "duplicate_charge": "重复扣款",
        "duplicate_claim": "客户说重复扣款",
    },
    "step": {
        "refresh_relogin": "刷新页面或重新登录", "check_network": "检查网络或换个网络",
        "check_debit": "查看订单是否已扣款",
        "clear_cache": "清除缓存或换浏览器", "check_account": "到充值账户里查看", "official_app": "改用官方 App",
    },
    "outcome": {"helped": "有效", "not_helped": "没用", "pending": "还没回复"},
    "ticketStatus": {"open": "待接手", "in_progress": "处理中", "resolved": "已解决"},
    "role": {"customer": "客户", "assistant": "小卡（智能助手）", "agent": "客服", "system": "系统",
             "note": "内部备注"},  # a note: agents only, never the customer
    "priority": {"high": "高优先", "normal": "普通"},  # the queue's badge and the case summary
    # The queue's tabs and its time filters (topup/services/queue.py: TABS, ACTIVE_AGES, RESOLVED_AGES).
    "queueTab": {"open": "待接手", "mine": "我的", "in_progress": "处理中", "resolved": "已解决"},
    "queueAge": {"10m": "等待超过 10 分钟", "30m": "等待超过 30 分钟", "2h": "等待超过 2 小时",
                 "today": "今天解决的", "7d": "最近 7 天解决的"},
    # The reports page's columns and the CSV export's headers (web/reports.py), one name for both.
    "report": {
        "day": "日期", "conversations": "咨询数", "solved": "助手独立解决", "handed_off": "转人工",
        "dropped": "中途离开", "open": "未结束", "containment_pct": "独立解决率（%）", "tickets": "工单数",
        "resolved": "已解决工单", "median_first_reply_min": "首次回复中位数（分钟）",
        "median_resolution_min": "解决时长中位数（分钟）", "ratings": "评价数", "average_rating": "平均评分",
        "total": "合计",
    },
}


def label(kind: str, code: str | None) -> str:
    """The label of `code`, or the code itself when it has none (an old ticket, a new status)."""
    if code is None:
        return ""
    return LABELS[kind].get(code, code)

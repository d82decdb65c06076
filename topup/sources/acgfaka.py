"""异次元发卡 (acg-faka): its `acg_order`, `acg_commodity` and `acg_pay`, read-only (MySQL or PostgreSQL).
Proof: the order's contact (a QQ number, an email, a phone number or its last 4 digits) or its query password.

A member's order has the contact "-" (acg-faka's placeholder): a contact proves an order only when it is a real
one (3 characters or more), so "-" never opens a member's order; the query password still does.

Never selected: `secret` (the delivered card keys), `password`, `contact` (both compared in SQL), the payment
channels' configuration, and nothing of `acg_card`. The customer's form input (`widget`) is read for the agent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from topup.model import OrderFacts, OrderStatus, Payment, PaymentStatus
from topup.pii import mask_pii
from topup.sources.formats import FORMATS
from topup.sources.platform_db import cents, fetch, to_utc
from topup.sources.proof import Proof

# (status, delivery_status) -> (the platform's own words, the lifecycle status). acg-faka has no refund and no
# failed status: a paid order it has not delivered (manual delivery, a plugin that did not answer) is "paid, stuck
# at 正在充值", read against `pay_time`.
STATUSES: dict[tuple[int, int], tuple[str, OrderStatus]] = {
    (0, 0): ("未支付", OrderStatus.UNPAID),
    (0, 1): ("未支付", OrderStatus.UNPAID),
    (1, 0): ("已支付，未发货", OrderStatus.PROCESSING),
    (1, 1): ("已支付，已发货", OrderStatus.DELIVERED),
}


def channel(code: str | None, name: str | None) -> str:
    value = (code or "").lower()
    if "ali" in value or "zfb" in value:
        return "alipay"
    if "wx" in value or "wechat" in value:
        return "wechat"
    if value in ("#system", "balance"):
        return "balance"
    return name or value or "未知渠道"


def form_input(raw: object) -> str:
    """The buyer's answers to the commodity's form ({name: {value, cn}}), as "label: value" lines, masked."""
    try:
        data = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    lines = []
    for key, field in data.items():
        if isinstance(field, dict):
            lines.append(f"{field.get('cn') or key}: {field.get('value', '')}")
    return mask_pii("\n".join(lines))[:200]


class AcgFakaSource:
    platform = "acgfaka"
    order_format = FORMATS["acgfaka"]
    proof = Proof.CONTACT

    def __init__(self, engine: Engine, zone: ZoneInfo, prefix: str = "acg_") -> None:
        if not re.fullmatch(r"[A-Za-z0-9_]*", prefix):
            raise ValueError(f"table prefix {prefix!r}: letters, digits and _ only")
        self.engine, self.zone, p = engine, zone, prefix
        digits_only = "o.contact ~ '^1[3-9][0-9]{9}$'" if engine.dialect.name == "postgresql" \
            else "o.contact REGEXP '^1[3-9][0-9]{9}$'"
        select = f"""
            SELECT o.id, o.trade_no, o.owner, o.amount, o.status, o.delivery_status, o.create_time, o.pay_time,
                   o.widget, o.commodity_id, c.name AS commodity_name, p.name AS pay_name, p.code AS pay_code
            FROM {p}order o
            LEFT JOIN {p}commodity c ON c.id = o.commodity_id
            LEFT JOIN {p}pay p ON p.id = o.pay_id
            WHERE o.trade_no = :order_no"""
        self._get = text(select + " LIMIT 1")
        self._find = text(select + f"""
              AND ((CHAR_LENGTH(TRIM(o.contact)) >= 3 AND LOWER(TRIM(o.contact)) = :contact)
                   OR (o.password IS NOT NULL AND o.password <> '' AND o.password = :password)
                   OR (:tail <> '' AND {digits_only} AND RIGHT(o.contact, 4) = :tail))
            LIMIT 1""")
        self._statuses = text(f"SELECT o.trade_no, o.status, o.delivery_status FROM {p}order o "
                              "WHERE o.trade_no IN :order_nos").bindparams(bindparam("order_nos", expanding=True))
        self._latest = text(f"SELECT o.trade_no FROM {p}order o WHERE o.contact = :phone "
                            "ORDER BY o.create_time DESC LIMIT 1")

    def find(self, order_no: str, proof: str) -> OrderFacts | None:
        proof = (proof or "").strip()
        if not proof:
            return None
        tail = proof if re.fullmatch(r"\d{4}", proof) else ""
        rows = fetch(self.engine, self._find, {"order_no": order_no, "contact": proof.lower(), "password": proof,
                                                "tail": tail})
        return self._facts(rows[0]) if rows else None

    def get(self, order_no: str) -> OrderFacts | None:
        rows = fetch(self.engine, self._get, {"order_no": order_no})
        return self._facts(rows[0]) if rows else None

    def _facts(self, row: Mapping[str, Any]) -> OrderFacts:
        key = (int(row["status"]), int(row["delivery_status"]))
        word, lifecycle = STATUSES.get(key, (f"状态 {key}", OrderStatus.ABNORMAL))
        created = to_utc(row["create_time"], self.zone)
        paid_at = to_utc(row["pay_time"], self.zone) if key[0] == 1 else None
        amount = cents(row["amount"])
        method = channel(row["pay_code"], row["pay_name"])
        payments = (Payment(amount, method, PaymentStatus.DEBITED, paid_at or created),) if key[0] == 1 else ()
        return OrderFacts(
            order_no=str(row["trade_no"]).strip(),
            phone_tail="",
            product_type="卡密",
            product_name=str(row["commodity_name"] or "商品"),
            amount_cents=amount,
            payment_method=method,
            status=lifecycle,
            created_at=created,
            paid_at=paid_at,
            status_changed_at=paid_at or created,
            payments=payments,
            platform={"platform": "acgfaka", "status": f"{key[0]}/{key[1]} {word}",
                      "account": form_input(row["widget"]), "member": int(row["owner"] or 0),
                      "order_id": int(row["id"]), "commodity_id": int(row["commodity_id"] or 0)},
        )

    def statuses(self, order_nos: Iterable[str]) -> dict[str, OrderStatus]:
        wanted = sorted(set(order_nos))
        if not wanted:
            return {}
        rows = fetch(self.engine, self._statuses, {"order_nos": wanted})
        return {str(r["trade_no"]).strip(): STATUSES.get((int(r["status"]), int(r["delivery_status"])),
                                                         ("", OrderStatus.ABNORMAL))[1] for r in rows}

    def latest_for_phone(self, phone: str) -> str | None:
        rows = fetch(self.engine, self._latest, {"phone": phone})
        return str(rows[0]["trade_no"]).strip() if rows else None

    def close(self) -> None:
        self.engine.dispose()

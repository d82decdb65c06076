"""独角数卡 (dujiaoka): its `orders`, `goods` and `pays`, read-only. Proof: the order's email or query password.

What is read, and what never is (docs/PLATFORMS.md): the order's number, title, type, price, status, payment
callback number, times, the product's and the payment channel's names, and for 代充 goods (type 2) the customer's
form input. Never selected: `info` of an automatically delivered order (its card keys), `carmis`, the payment
channels' `merchant_key` / `merchant_pem` / `merchant_id`, `search_pwd`, and the email itself: the email and the
query password are compared in SQL, so neither leaves the platform's database.
"""

from __future__ import annotations

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
from topup.sources.proof import EMAIL, Proof

# status -> (the platform's own word, the lifecycle status). 2 待处理 and 3 处理中 are "paid, being topped up":
# the diagnosis reads how long from `updated_at` (the only time a status change moves). 6 异常 needs a person.
# 1 待支付 and -1 已过期 have no payment on record: a customer who says they paid is a lost payment callback.
STATUSES: dict[int, tuple[str, OrderStatus]] = {
    1: ("待支付", OrderStatus.UNPAID),
    -1: ("已过期", OrderStatus.UNPAID),
    2: ("待处理", OrderStatus.PROCESSING),
    3: ("处理中", OrderStatus.PROCESSING),
    4: ("已完成", OrderStatus.DELIVERED),
    5: ("处理失败", OrderStatus.FAILED),
    6: ("异常", OrderStatus.ABNORMAL),
}
PAID = frozenset({2, 3, 4, 5, 6})  # statuses only a successful payment callback (or an admin) leads to
TYPES = {1: "卡密", 2: "代充"}


def channel(pay_check: str | None, pay_name: str | None) -> str:
    """The payment channel as the assistant names them (alipay, wechat), else the platform's own name."""
    code = (pay_check or "").lower()
    if code.startswith(("ali", "zfb")) or "alipay" in code:
        return "alipay"
    if code.startswith(("wx", "wechat", "wepay")) or "wxpay" in code:
        return "wechat"
    return pay_name or code or "未知渠道"


def form_input(raw: object) -> str:
    """The customer's own form input (充值账号:…), masked and bounded, for the agent."""
    value = raw if isinstance(raw, str) else ""
    return mask_pii(value.strip())[:200]


def _identifier(prefix: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_]*", prefix):
        raise ValueError(f"table prefix {prefix!r}: letters, digits and _ only")
    return prefix


class DujiaokaSource:
    platform = "dujiaoka"
    order_format = FORMATS["dujiaoka"]
    proof = Proof.EMAIL

    def __init__(self, engine: Engine, zone: ZoneInfo, prefix: str = "") -> None:
        self.engine, self.zone = engine, zone
        p = _identifier(prefix)
        select = f"""
            SELECT o.order_sn, o.title, o.type, o.actual_price, o.status, o.trade_no, o.created_at, o.updated_at,
                   CASE WHEN o.type = 2 THEN o.info ELSE NULL END AS form_input,
                   g.gd_name, p.pay_name, p.pay_check
            FROM {p}orders o
            LEFT JOIN {p}goods g ON g.id = o.goods_id
            LEFT JOIN {p}pays p ON p.id = o.pay_id
            WHERE o.order_sn = :order_no AND o.deleted_at IS NULL"""
        self._get = text(select + " LIMIT 1")
        self._find = text(select + """
              AND (LOWER(o.email) = :email OR (o.search_pwd <> '' AND o.search_pwd = :password))
            LIMIT 1""")
        self._statuses = text(f"SELECT o.order_sn, o.status FROM {p}orders o "
                              "WHERE o.order_sn IN :order_nos AND o.deleted_at IS NULL"
                              ).bindparams(bindparam("order_nos", expanding=True))

    def find(self, order_no: str, proof: str) -> OrderFacts | None:
        proof = (proof or "").strip()
        if not proof:
            return None
        email = proof.lower() if EMAIL.fullmatch(proof) else ""
        rows = fetch(self.engine, self._find, {"order_no": order_no, "email": email, "password": proof})
        return self._facts(rows[0]) if rows else None

    def get(self, order_no: str) -> OrderFacts | None:
        rows = fetch(self.engine, self._get, {"order_no": order_no})
        return self._facts(rows[0]) if rows else None

    def _facts(self, row: Mapping[str, Any]) -> OrderFacts:
        status = int(row["status"])
        word, lifecycle = STATUSES.get(status, (f"状态 {status}", OrderStatus.ABNORMAL))
        created = to_utc(row["created_at"], self.zone)
        updated = to_utc(row["updated_at"], self.zone) or created
        amount = cents(row["actual_price"])
        method = channel(row["pay_check"], row["pay_name"])
        paid = status in PAID or bool(row["trade_no"])
        payments = (Payment(amount, method, PaymentStatus.DEBITED, updated),) if paid else ()
        return OrderFacts(
            order_no=str(row["order_sn"]).upper(),
            phone_tail="",
            product_type=TYPES.get(int(row["type"] or 1), "卡密"),
            product_name=str(row["gd_name"] or row["title"] or "商品"),
            amount_cents=amount,
            payment_method=method,
            status=lifecycle,
            created_at=created,
            paid_at=updated if paid else None,
            status_changed_at=updated,
            payments=payments,
            platform={"platform": "dujiaoka", "status": f"{status} {word}", "account": form_input(row["form_input"]),
                      "gateway_trade_no": str(row["trade_no"] or "")},
        )

    def statuses(self, order_nos: Iterable[str]) -> dict[str, OrderStatus]:
        wanted = sorted(set(order_nos))
        if not wanted:
            return {}
        rows = fetch(self.engine, self._statuses, {"order_nos": wanted})
        return {str(r["order_sn"]).upper(): STATUSES.get(int(r["status"]), ("", OrderStatus.ABNORMAL))[1]
                for r in rows}

    def latest_for_phone(self, phone: str) -> str | None:
        return None  # dujiaoka records an email, not a phone number

    def close(self) -> None:
        self.engine.dispose()

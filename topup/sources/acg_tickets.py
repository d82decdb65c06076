"""acg-faka's own ticket table: each handoff of a member's order also opens an after-sale ticket there, so the shop's
staff see it in the platform's admin too (TOPUP_PLATFORM_TICKETS_URL, docs/PLATFORMS.md).

acg-faka's tickets belong to member accounts (`acg_ticket.user_id`): a guest order (owner 0) stays in the
assistant's console only. The user of that URL needs INSERT on `acg_ticket` and `acg_ticket_message`, nothing else.
The ticket carries the summary agents read in the console; it is written by the system (sender_type 2), waiting for
staff (status 0), high priority when ours is.
"""

from __future__ import annotations

import html
import logging
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

logger = logging.getLogger(__name__)


class AcgTickets:
    def __init__(self, engine: Engine, zone: ZoneInfo, prefix: str = "acg_") -> None:
        self.engine, self.zone, self.prefix = engine, zone, prefix

    @classmethod
    def from_url(cls, url: str, zone: ZoneInfo, prefix: str, connect_timeout_s: int = 3) -> AcgTickets:
        args = {"connect_timeout": connect_timeout_s, "read_timeout": 5, "write_timeout": 5, "charset": "utf8mb4"} \
            if url.startswith("mysql") else {"connect_timeout": connect_timeout_s}
        return cls(create_engine(url, future=True, pool_size=2, max_overflow=2, pool_pre_ping=True,
                                 connect_args=args), zone, prefix)

    def open(self, platform: dict, order_no: str, product: str, summary: str, high: bool,
             now_utc: datetime) -> str | None:
        """Open the platform's ticket for a member's order; its number, or None (a guest order, or it failed)."""
        member = int(platform.get("member") or 0)
        if member <= 0:
            return None
        local = now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(self.zone).replace(tzinfo=None)
        ticket_no = f"TK{local:%y%m%d%H%M%S}{secrets.token_hex(4).upper()}"  # acg-faka's own form, 22 characters
        title = f"[智能客服转人工] 订单 {order_no}"[:100]
        p = self.prefix
        try:
            with self.engine.begin() as connection:
                ticket_id = connection.execute(text(
                    f"INSERT INTO {p}ticket (ticket_no, user_id, type, priority, status, title, commodity_id, "
                    "commodity_name, order_id, order_trade_no, order_source, last_sender_type, last_message_excerpt, "
                    "last_message_time, user_unread, manage_unread, create_time, update_time) VALUES (:no, :user, 1, "
                    ":priority, 0, :title, :commodity_id, :commodity, :order_id, :trade_no, 1, 2, :excerpt, :at, 0, 1, "
                    ":at, :at)"),
                    {"no": ticket_no, "user": member, "priority": 2 if high else 1, "title": title,
                     "commodity_id": platform.get("commodity_id") or None, "commodity": product[:255],
                     "order_id": platform.get("order_id") or None, "trade_no": order_no, "excerpt": summary[:255],
                     "at": local}).lastrowid
                connection.execute(text(
                    f"INSERT INTO {p}ticket_message (ticket_id, sender_type, sender_id, sender_name, kind, content, "
                    "create_ip, create_time) VALUES (:ticket, 2, NULL, '智能客服', 0, :content, '127.0.0.1', :at)"),
                    {"ticket": ticket_id, "content": html.escape(summary).replace("\n", "<br>"), "at": local})
        except SQLAlchemyError as exc:
            logger.error("acg-faka ticket not written for order %s: %s", order_no[:6], exc.__class__.__name__)
            return None
        return ticket_no

    def close(self) -> None:
        self.engine.dispose()

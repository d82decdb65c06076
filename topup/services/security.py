"""Bounds on guessing order ownership, stored in the orders database so every action server shares them.

Three bounds (the README has the threat model and the numbers): the conversation's own (TOPUP_MAX_VERIFY_ATTEMPTS,
kept in the conversation's state); per *order number*, failures against it from anywhere
(TOPUP_ORDER_MAX_FAILED_LOOKUPS: a distributed guesser gets a few tries per order, whatever the addresses); and per
*client*, a ceiling high enough that many honest customers behind one carrier NAT or office address never reach it
(TOPUP_CLIENT_MAX_FAILED_LOOKUPS). The client is the signed customer id when the shop vouches for the customer,
else the IP the channel guard puts in the message metadata, else the conversation id. Every event also goes to the
``topup.security`` logger, masked: never a phone tail or a whole order number.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine

from topup.clock import Clock
from topup.customer_token import Customer
from topup.db.engine import unit_of_work
from topup.db.repositories import SecurityEventRepository
from topup.db.schema import SecurityEventRow
from topup.text import printable

security_log = logging.getLogger("topup.security")

LOOKUP_FAILED = "lookup_failed"
LOOKUP_LOCKED = "lookup_locked"
_KEY_MAX = 128
_CONVERSATION_MAX = 255
_DETAIL_MAX = 500
def _key(kind: str, value: str) -> str:
    """``kind:value``; values too long for the column are hashed, so distinct clients stay distinct."""
    key = f"{kind}:{printable(value, 10_000)}"
    if len(key) <= _KEY_MAX:
        return key
    return f"{kind}:sha256:{hashlib.sha256(value.encode('utf-8', 'replace')).hexdigest()}"


def client_key(metadata: Mapping[str, object] | None, sender_id: str, customer: Customer | None) -> str:
    """Who is asking: a verified customer id, else the client IP from the channel guard, else the conversation."""
    if customer is not None and customer.customer_id:
        return _key("customer", customer.customer_id)
    ip = (metadata or {}).get("client_ip") if isinstance(metadata, Mapping) else None
    if isinstance(ip, str) and ip.strip():
        return _key("ip", ip.strip())
    return _key("sender", sender_id or "")


def mask_order_no(order_no: str | None) -> str:
    """Enough to tell events apart in a log, not enough to look an order up: KM2026********15."""
    text = order_no or ""
    if len(text) <= 8:
        return "*" * len(text)
    return text[:6] + "*" * (len(text) - 8) + text[-2:]


def _log(kind: str, client: str, conversation_id: str | None, detail: str) -> None:
    conversation = printable(conversation_id or "-", _CONVERSATION_MAX)
    security_log.warning(
        "security_event kind=%s client=%s conversation=%s detail=%s",
        kind,
        client,
        conversation,
        detail,
        extra={"security_event": {"kind": kind, "client": client, "conversation": conversation, "detail": detail}},
    )


def _row(kind: str, client: str, conversation_id: str | None, detail: str, now: datetime) -> SecurityEventRow:
    conversation = conversation_id[:_CONVERSATION_MAX] if conversation_id is not None else None
    return SecurityEventRow(
        created_at=now, kind=kind, client_key=client, conversation_id=conversation, detail=detail
    )


def order_key(order_no: str) -> str:
    """The key failures against one order are counted under, from anywhere (the number itself is not stored)."""
    return "order:sha256:" + hashlib.sha256(order_no.encode("utf-8", "replace")).hexdigest()[:40]


class SecurityService:
    """Records failed lookups and refuses guessing: per client (TOPUP_CLIENT_MAX_FAILED_LOOKUPS, a ceiling high
    enough for many customers behind one address) and per order number (TOPUP_ORDER_MAX_FAILED_LOOKUPS, from
    anywhere), each within TOPUP_LOOKUP_COOLDOWN_MINUTES."""

    def __init__(self, engine: Engine, clock: Clock, max_failed: int, cooldown_minutes: int,
                 order_max_failed: int = 5) -> None:
        self.engine = engine
        self.clock = clock
        self.max_failed = max_failed
        self.order_max_failed = order_max_failed
        self.cooldown = timedelta(minutes=cooldown_minutes)

    def check(self, client: str, order_no: str, conversation_id: str | None, detail: str = "",
              now: datetime | None = None) -> str:
        """"allowed", or why not: "client_locked" (this client failed too often) or "order_locked" (this order
        was guessed at too often, from anywhere). A refusal is recorded too."""
        now = now or self.clock.now()
        since = now - self.cooldown
        with unit_of_work(self.engine) as session:
            events = SecurityEventRepository(session)
            refusal, key, limit = None, client, self.max_failed
            if events.count_since(client, LOOKUP_FAILED, since) >= self.max_failed:
                refusal = "client_locked"
            elif events.count_since(order_key(order_no), LOOKUP_FAILED, since) >= self.order_max_failed:
                refusal, key, limit = "order_locked", order_key(order_no), self.order_max_failed
            if refusal is None:
                return "allowed"
            minutes = int(self.cooldown.total_seconds() // 60)
            note = printable(f"{detail} limit={refusal} max={limit} window_min={minutes}".strip(), _DETAIL_MAX)
            _log(LOOKUP_LOCKED, key, conversation_id, note)
            events.add(_row(LOOKUP_LOCKED, client, conversation_id, note, now))
        return refusal

    def record_failure(self, client: str, order_no: str, conversation_id: str | None, detail: str = "",
                       now: datetime | None = None) -> None:
        """One failed ownership check: counted for the client and for the order."""
        detail = printable(detail, _DETAIL_MAX)
        now = now or self.clock.now()
        _log(LOOKUP_FAILED, client, conversation_id, detail)
        with unit_of_work(self.engine) as session:
            events = SecurityEventRepository(session)
            events.add(_row(LOOKUP_FAILED, client, conversation_id, detail, now))
            events.add(_row(LOOKUP_FAILED, order_key(order_no), conversation_id, detail, now))

    def record_event(self, kind: str, client: str, conversation_id: str | None, detail: str = "",
                     now: datetime | None = None) -> None:
        """Log the event, then store it. The log line comes first: it is the trail when the database is down."""
        detail = printable(detail, _DETAIL_MAX)
        _log(kind, client, conversation_id, detail)
        with unit_of_work(self.engine) as session:
            SecurityEventRepository(session).add(_row(kind, client, conversation_id, detail, now or self.clock.now()))

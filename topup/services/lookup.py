"""Verified order lookup and diagnosis, one read-only session per call (topup.db.engine.reading)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from topup.clock import Clock
from topup.db.engine import reading
from topup.db.repositories import NoticeRepository, OrderRepository
from topup.diagnosis import Diagnosis, diagnose
from topup.model import Complaint, Notice, OrderFacts


@dataclass(frozen=True)
class LookupResult:
    """``verified`` is False both for an unknown order and a wrong phone tail: callers cannot tell them apart."""

    verified: bool
    order: OrderFacts | None = None
    diagnosis: Diagnosis | None = None


def _owned(order: OrderFacts | None, phone_tail: str) -> bool:
    expected = order.phone_tail if order else "0000"
    matches = hmac.compare_digest(expected.encode(), (phone_tail or "").encode())
    return order is not None and matches


class LookupService:
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def look_up(
        self,
        order_no: str,
        phone_tail: str,
        complaint: Complaint,
        claims_debit: bool = False,
        now: datetime | None = None,
    ) -> LookupResult:
        """Verify ownership by phone tail, then diagnose with the notices active now."""
        now = now or self.clock.now()
        with reading(self.engine) as session:
            order = OrderRepository(session).get(order_no)
            if not _owned(order, phone_tail):
                return LookupResult(verified=False)
            notices = NoticeRepository(session).active(now)
        assert order is not None
        return LookupResult(True, order, diagnose(order, notices, complaint, now, claims_debit))

    def latest_order_no(self, phone: str) -> str | None:
        with reading(self.engine) as session:
            return OrderRepository(session).latest_for_phone(phone)

    def active_notices(self, now: datetime | None = None) -> list[Notice]:
        with reading(self.engine) as session:
            return NoticeRepository(session).active(now or self.clock.now())

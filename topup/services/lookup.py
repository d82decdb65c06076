"""Verified order lookup and diagnosis: the order from the configured source (topup/sources), the notices from the
assistant's own database (one read-only session, topup.db.engine.reading)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from topup.clock import Clock
from topup.db.engine import reading
from topup.db.repositories import NoticeRepository
from topup.diagnosis import Diagnosis, diagnose
from topup.model import Complaint, Notice, OrderFacts
from topup.sources import OrderSource
from topup.sources.builtin import BuiltinSource


@dataclass(frozen=True)
class LookupResult:
    """``verified`` is False both for an unknown order and a wrong proof: callers cannot tell them apart."""

    verified: bool
    order: OrderFacts | None = None
    diagnosis: Diagnosis | None = None


class LookupService:
    def __init__(self, engine: Engine, clock: Clock, source: OrderSource | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.source: OrderSource = source or BuiltinSource(engine)

    def look_up(
        self,
        order_no: str,
        phone_tail: str,
        complaint: Complaint,
        claims_debit: bool = False,
        now: datetime | None = None,
    ) -> LookupResult:
        """Verify ownership by the source's proof (`phone_tail` is whatever proof it takes: the tail, an email, a
        contact, a query password), then diagnose with the notices active now."""
        now = now or self.clock.now()
        order = self.source.find(order_no, phone_tail)
        if order is None:
            return LookupResult(verified=False)
        with reading(self.engine) as session:
            notices = NoticeRepository(session).active(now)
        return LookupResult(True, order, diagnose(order, notices, complaint, now, claims_debit))

    def latest_order_no(self, phone: str) -> str | None:
        return self.source.latest_for_phone(phone)

    def active_notices(self, now: datetime | None = None) -> list[Notice]:
        with reading(self.engine) as session:
            return NoticeRepository(session).active(now or self.clock.now())

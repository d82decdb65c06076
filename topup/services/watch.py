"""Watching the orders of open conversations, so the customer hears when theirs changes (docs/PLATFORMS.md).

An order is watched from the moment a conversation proves it is theirs (ServicePorts.verify) until
TOPUP_ORDER_WATCH_HOURS later. `changes` asks the order source for the status of every watched order in one query
per few hundred, and returns each change the customer should be told (delivered, refunded, failed, or marked
abnormal), each exactly once: the row is claimed with a conditional UPDATE, so two web apps polling at once, or a
webhook and a poll, never tell the same change twice; a change back and forth is told again only when it is new.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from topup.clock import Clock
from topup.db.engine import reading, unit_of_work
from topup.db.schema import WatchedOrderRow
from topup.model import OrderStatus
from topup.sources import OrderSource

logger = logging.getLogger(__name__)

# What the customer is told about without asking: the order arrived, was refunded, failed, or needs a person.
TOLD = frozenset({OrderStatus.DELIVERED, OrderStatus.REFUNDED, OrderStatus.FAILED, OrderStatus.ABNORMAL})
_BATCH = 500


@dataclass(frozen=True)
class Change:
    conversation_id: str
    order_no: str
    before: str
    now: str  # an OrderStatus value


class WatchService:
    def __init__(self, engine: Engine, clock: Clock, source: OrderSource, hours: float = 24.0) -> None:
        self.engine, self.clock, self.source = engine, clock, source
        self.period = timedelta(hours=hours)

    def watch(self, conversation_id: str, order_no: str, status: str) -> None:
        """Watch this order for this conversation (again: the period starts over, the status is refreshed)."""
        now = self.clock.now()
        try:
            with unit_of_work(self.engine) as session:
                row = session.execute(select(WatchedOrderRow).where(
                    WatchedOrderRow.conversation_id == conversation_id, WatchedOrderRow.order_no == order_no)
                ).scalar_one_or_none()
                if row is None:
                    session.add(WatchedOrderRow(conversation_id=conversation_id, order_no=order_no, status=status,
                                                told=status if OrderStatus(status) in TOLD else None,
                                                created_at=now, changed_at=now, expires_at=now + self.period))
                else:
                    if row.status != status and OrderStatus(status) in TOLD:
                        row.told = status  # the customer has just been told by the lookup itself
                    row.status, row.expires_at = status, now + self.period
        except IntegrityError:  # the same conversation, twice at once: one row is enough
            logger.info("order already watched for %s", conversation_id)

    def changes(self, order_nos: Iterable[str] | None = None) -> list[Change]:
        """Every change to tell, claimed: all watched orders, or only these (a webhook's)."""
        now = self.clock.now()
        with reading(self.engine) as session:
            query = select(WatchedOrderRow.id, WatchedOrderRow.conversation_id, WatchedOrderRow.order_no,
                           WatchedOrderRow.status, WatchedOrderRow.told).where(WatchedOrderRow.expires_at > now)
            if order_nos is not None:
                wanted = sorted(set(order_nos))
                if not wanted:
                    return []
                query = query.where(WatchedOrderRow.order_no.in_(wanted))
            rows = session.execute(query).all()
        if not rows:
            return []
        numbers = sorted({r.order_no for r in rows})
        current: dict[str, OrderStatus] = {}
        for start in range(0, len(numbers), _BATCH):
            current.update(self.source.statuses(numbers[start:start + _BATCH]))
        found: list[Change] = []
        with unit_of_work(self.engine) as session:
            for row in rows:
                status = current.get(row.order_no)
                if status is None or status.value == row.status:
                    continue
                tell = status in TOLD and status.value != row.told
                claimed = session.execute(
                    update(WatchedOrderRow).where(WatchedOrderRow.id == row.id, WatchedOrderRow.status == row.status)
                    .values(status=status.value, changed_at=now, **({"told": status.value} if tell else {}))
                ).rowcount
                if claimed == 1 and tell:
                    found.append(Change(row.conversation_id, row.order_no, row.status, status.value))
        return found

    def release(self, change: Change) -> None:
        """A change that could not be told (Rasa down): found again, and told, on the next poll."""
        with unit_of_work(self.engine) as session:
            session.execute(update(WatchedOrderRow).where(
                WatchedOrderRow.conversation_id == change.conversation_id, WatchedOrderRow.order_no == change.order_no,
                WatchedOrderRow.status == change.now).values(status=change.before, told=None))

    def forget_expired(self) -> int:
        """Rows past their watch for a day: deleted (the notifier does it once an hour)."""
        with unit_of_work(self.engine) as session:
            return session.execute(delete(WatchedOrderRow).where(
                WatchedOrderRow.expires_at <= self.clock.now() - timedelta(days=1))).rowcount

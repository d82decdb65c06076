"""Each test's customer starts without someone else's open case.

One open case per order (topup/services/handoff.py): a verified conversation about an order that already has an
open ticket joins it. Tests that share one running assistant play many customers with the same demo orders, so
each starts by closing the cases earlier tests left open, as an agent would at the end of a day.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.engine import Engine

from topup.clock import utcnow
from topup.db.engine import unit_of_work
from topup.db.schema import TicketRow
from topup.model import TicketStatus

OPEN = (TicketStatus.OPEN.value, TicketStatus.IN_PROGRESS.value)


def close_open_cases(engine: Engine, order_numbers: list[str] | None = None) -> int:
    """Resolve the open and in-progress tickets (of these orders only, when given); how many there were."""
    now = utcnow()
    query = update(TicketRow).where(TicketRow.status.in_(OPEN))
    if order_numbers is not None:
        query = query.where(TicketRow.order_no.in_(order_numbers))
    with unit_of_work(engine) as session:
        return session.execute(query.values(status=TicketStatus.RESOLVED.value, resolution="（测试之间关闭）",
                                            resolved_at=now, updated_at=now)).rowcount

"""The statements behind the reports (topup/services/reports.py): four passes over two indexed ranges, the same on
SQLite, PostgreSQL and MySQL/MariaDB.

- **The platform's day.** Timestamps are naive UTC; a row belongs to the day its time has on the platform's clock.
  The zone's UTC offset over the range is a few constant pieces (one for Asia/Shanghai; three over a year of a zone
  with daylight saving time), found with zoneinfo (`offset_pieces`); the day of a row is its time shifted by its
  piece's offset and cut to the date, in SQL (`local_day`), so even the days a clock changes are right.
- **Medians**: SQL computes each ticket's day and its seconds to the first reply and to resolution, over the range.
  PostgreSQL takes the medians itself (`percentile_cont(0.5)`, per day and, with ROLLUP, over the range); SQLite and
  MySQL/MariaDB have no such aggregate, so the durations come back in one statement and Python takes the median
  (the middle one, or the mean of the middle two). Window functions could rank them in SQL, but only one ranking
  per statement (MariaDB 10.11 numbers a second window of the same SELECT wrongly): four readings of the range,
  three times the work of the one fetch.
- Four statements, each reading its range once: cases per day and outcome; tickets per day and rating; tickets per
  reason and complaint; the durations.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, extract, func, or_, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from topup.db.schema import ConversationRow, TicketMessageRow, TicketRow

conversations = ConversationRow.__table__
tickets = TicketRow.__table__
messages = TicketMessageRow.__table__
NAMES = ("first_reply", "resolution")  # the two durations whose medians the report shows
ENDED = ("solved", "handed_off")  # a conversation that ended either way is a case, complaint named or not

Pieces = list[tuple[datetime | None, int]]


def _offset_minutes(zone: ZoneInfo, at: datetime) -> int:
    offset = at.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def offset_pieces(zone: ZoneInfo, lo: datetime, hi: datetime) -> Pieces:
    """The zone's UTC offset over [lo, hi) (naive UTC) as (until, minutes) pieces, the last one open-ended.

    Probed once a day, and where it changed, bisected to the minute (zones change their clocks at most twice a
    year, on whole minutes)."""
    pieces: Pieces = []
    current, at = _offset_minutes(zone, lo), lo
    while at < hi:
        probe = min(at + timedelta(days=1), hi)
        if _offset_minutes(zone, probe) == current:
            at = probe
            continue
        same, changed = 0, int((probe - at).total_seconds() // 60)
        while changed - same > 1:
            middle = (same + changed) // 2
            if _offset_minutes(zone, at + timedelta(minutes=middle)) == current:
                same = middle
            else:
                changed = middle
        at += timedelta(minutes=changed)
        pieces.append((at, current))
        current = _offset_minutes(zone, at)
    pieces.append((None, current))
    return pieces


def _shifted_date(dialect: str, column: Any, minutes: int) -> ColumnElement:  # noqa: ANN401
    if dialect == "sqlite":
        return func.date(column, f"{minutes:+d} minutes")
    if dialect in ("mysql", "mariadb"):
        return func.date(func.timestampadd(text("MINUTE"), minutes, column))
    return cast(column + timedelta(minutes=minutes), Date)


def local_day(dialect: str, column: Any, pieces: Pieces) -> ColumnElement:  # noqa: ANN401
    """The platform's date of a naive-UTC column, in SQL."""
    last = _shifted_date(dialect, column, pieces[-1][1])
    if len(pieces) == 1:
        return last
    return case(*[(column < until, _shifted_date(dialect, column, minutes)) for until, minutes in pieces[:-1]],
                else_=last)


def seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement:  # noqa: ANN401
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    if dialect in ("mysql", "mariadb"):
        return func.timestampdiff(text("SECOND"), start, end)
    return extract("epoch", end - start)


def as_date(value: Any) -> date:  # noqa: ANN401
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


class Passes:
    """The statements of one report, on one session, over [lo, hi) in naive UTC."""

    def __init__(self, session: Session, dialect: str, pieces: Pieces, lo: datetime, hi: datetime) -> None:
        self.session, self.dialect, self.pieces, self.lo, self.hi = session, dialect, pieces, lo, hi
        self.ticket_range = and_(tickets.c.created_at >= lo, tickets.c.created_at < hi)

    def day_of(self, column: Any) -> ColumnElement:  # noqa: ANN401
        return local_day(self.dialect, column, self.pieces).label("day")

    def cases(self) -> dict[date, dict[str, int]]:
        """Cases per day and outcome: conversations that started that day with a complaint, or that ended."""
        c = conversations.c
        inner = select(self.day_of(c.started_at), c.outcome.label("outcome")).where(
            c.started_at >= self.lo, c.started_at < self.hi,
            or_(c.complaint.isnot(None), c.outcome.in_(ENDED))).subquery()
        out: dict[date, dict[str, int]] = defaultdict(dict)
        for day, outcome, n in self.session.execute(
                select(inner.c.day, inner.c.outcome, func.count()).group_by(inner.c.day, inner.c.outcome)):
            out[as_date(day)][str(outcome)] = int(n)
        return out

    def tickets_by_day(self) -> list[tuple[date, int | None, int, int, int]]:
        """(day, rating or None, tickets, resolved, rated with a comment), per day and rating."""
        t = tickets.c
        valid = t.rating.between(1, 5)
        commented = and_(valid, t.rating_comment.isnot(None), t.rating_comment != "")
        inner = select(self.day_of(t.created_at), case((valid, t.rating), else_=None).label("rating"),
                       case((t.status == "resolved", 1), else_=0).label("resolved"),
                       case((commented, 1), else_=0).label("commented")).where(self.ticket_range).subquery()
        rows = self.session.execute(select(inner.c.day, inner.c.rating, func.count(), func.sum(inner.c.resolved),
                                           func.sum(inner.c.commented)).group_by(inner.c.day, inner.c.rating))
        return [(as_date(day), None if rating is None else int(rating), int(n), int(resolved or 0),
                 int(commented or 0)) for day, rating, n, resolved, commented in rows]

    def reasons_and_complaints(self) -> list[tuple[str, str, int]]:
        t = tickets.c
        rows = self.session.execute(select(t.handoff_reason, t.complaint, func.count()).where(self.ticket_range)
                                    .group_by(t.handoff_reason, t.complaint))
        return [(str(reason), str(complaint), int(n)) for reason, complaint, n in rows]

    def _durations(self) -> Any:  # noqa: ANN401
        """Each ticket of the range: its day, seconds to the first agent reply and to resolution (or NULL).

        The first reply is tickets.first_reply_at, or for a ticket without it (written before it was kept) its first
        agent message; the resolution counts for resolved tickets only."""
        t, m = tickets.c, messages.c
        first_message = select(func.min(m.created_at)).where(m.ticket_no == t.ticket_no, m.role == "agent")
        first = seconds_between(self.dialect, t.created_at, func.coalesce(t.first_reply_at,
                                                                           first_message.scalar_subquery()))
        resolved = case((and_(t.status == "resolved", t.resolved_at.isnot(None)),
                         seconds_between(self.dialect, t.created_at, t.resolved_at)), else_=None)
        return select(self.day_of(t.created_at), first.label("first_reply"), resolved.label("resolution")
                      ).where(self.ticket_range).subquery()

    def medians(self) -> dict[tuple[str, date | None], float]:
        """("first_reply" or "resolution", the day, or None for the whole range) -> the median, in seconds."""
        inner = self._durations()
        if self.dialect == "postgresql":  # percentile_cont: the mean of the middle two, in the database
            rows = self.session.execute(select(
                inner.c.day, *(func.percentile_cont(0.5).within_group(inner.c[name]) for name in NAMES)
            ).group_by(func.rollup(inner.c.day)))
            return {(name, None if day is None else as_date(day)): float(value)
                    for day, *values in rows for name, value in zip(NAMES, values, strict=True) if value is not None}
        days: dict[Any, date] = {}
        values: dict[str, dict[date, list[float]]] = {name: defaultdict(list) for name in NAMES}
        first_reply, resolution = values["first_reply"], values["resolution"]
        for day, first, resolved in self.session.execute(
                select(inner).where(or_(*(inner.c[name].isnot(None) for name in NAMES)))):
            key = days.get(day) or days.setdefault(day, as_date(day))
            if first is not None:
                first_reply[key].append(float(first))
            if resolved is not None:
                resolution[key].append(float(resolved))
        out: dict[tuple[str, date | None], float] = {}
        for name, by_day in values.items():
            out.update({(name, day): statistics.median(found) for day, found in by_day.items()})
            if by_day:
                out[(name, None)] = statistics.median([v for found in by_day.values() for v in found])
        return out

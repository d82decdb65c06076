"""The reports page's figures (docs/CONSOLE.md, "Reports"): per day of the platform's calendar over a chosen range,
how many cases the assistant solved alone and how many went to a person, the tickets and how long their
customers waited, and how customers rated them.

Everything is counted by the database over two indexed ranges, `conversations.started_at` and
`tickets.created_at`, so a report reads only its range whatever the size of the tables.

- **The platform's day.** Timestamps are naive UTC; a row belongs to the day its time has on the platform's clock.
  The zone's UTC offset over the range is a few constant pieces (one for Asia/Shanghai, three for a year of a zone
  with daylight saving time), found with zoneinfo; the day of a row is its time shifted by its piece's offset, cut to
  the date, in SQL (`_local_day`), so even the days a clock changes are right.
- **Medians** (time to first reply, to resolution) are taken in SQL with window functions, which SQLite (3.25+),
  PostgreSQL and MySQL 8 / MariaDB 10.2 all have: the durations of each day are ranked, and the one or two in the
  middle averaged (`_medians`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, extract, func, literal_column, or_, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from topup.clock import Clock
from topup.db.engine import reading
from topup.db.schema import ConversationRow, TicketMessageRow, TicketRow

MAX_DAYS = 366
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
RATINGS = (1, 2, 3, 4, 5)
OUTCOMES = ("solved", "handed_off", "dropped", "open")  # topup/services/conversations.py; anything else: open

conversations = ConversationRow.__table__
tickets = TicketRow.__table__
messages = TicketMessageRow.__table__


class RangeError(ValueError):
    """A range the report refuses: `code` is end_before_start, too_long or out_of_range."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Figures:
    """One day's figures, or the whole range's. Cases: conversations with a complaint, or that ended (solved or
    handed off) without one; tickets: those created that day, however they stand now."""

    conversations: int  # the cases that started that day
    solved: int  # the assistant solved them alone
    handed_off: int  # a person took them
    dropped: int  # the customer left before either
    open: int  # not over yet
    containment_pct: float | None  # solved / (solved + handed_off), in %, one decimal; None when both are 0
    tickets: int
    resolved: int  # of those tickets, resolved by now
    median_first_reply_s: float | None  # from the ticket to the first agent reply, among the replied ones
    median_resolution_s: float | None  # from the ticket to its resolution, among the resolved ones
    ratings: int  # of those tickets, rated 1-5 by the customer
    average_rating: float | None  # two decimals


@dataclass(frozen=True)
class Day(Figures):
    day: date


@dataclass(frozen=True)
class Count:
    code: str  # a handoff reason ("diagnosis:<kind>" when the diagnosis asked for a person) or a complaint
    count: int


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    zone: str
    days: list[Day]
    totals: Figures
    handoff_reasons: list[Count]  # the range's tickets, most frequent first
    complaints: list[Count]
    rating_counts: dict[int, int]  # 1..5 -> how many tickets got that rating
    comments: int  # ratings that came with a comment


def _offset_minutes(zone: ZoneInfo, at: datetime) -> int:
    offset = at.replace(tzinfo=timezone.utc).astimezone(zone).utcoffset()
    return int(offset.total_seconds() // 60) if offset is not None else 0


def offset_pieces(zone: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime | None, int]]:
    """The zone's UTC offset over [lo, hi) (naive UTC) as (until, minutes) pieces, the last one open-ended.

    Probed once a day, and where it changed, bisected to the minute (zones change their clocks at most twice a
    year, on whole minutes)."""
    pieces: list[tuple[datetime | None, int]] = []
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


def _local_day(dialect: str, column: Any, pieces: list[tuple[datetime | None, int]]) -> ColumnElement:  # noqa: ANN401
    last = _shifted_date(dialect, column, pieces[-1][1])
    if len(pieces) == 1:
        return last
    return case(*[(column < until, _shifted_date(dialect, column, minutes)) for until, minutes in pieces[:-1]],
                else_=last)


def _seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement:  # noqa: ANN401
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    if dialect in ("mysql", "mariadb"):
        return func.timestampdiff(text("SECOND"), start, end)
    return extract("epoch", end - start)


def _as_date(value: Any) -> date:  # noqa: ANN401
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


class ReportService:
    def __init__(self, engine: Engine, clock: Clock, zone: ZoneInfo | str | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.zone = zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone) if zone else clock.zone

    def today(self) -> date:
        """The platform's date now."""
        return self.clock.now().replace(tzinfo=timezone.utc).astimezone(self.zone).date()

    def utc_midnight(self, day: date) -> datetime:
        """The day's first instant on the platform's clock, as naive UTC."""
        return datetime.combine(day, time(0), self.zone).astimezone(timezone.utc).replace(tzinfo=None)

    @staticmethod
    def check_range(start: date, end: date) -> None:
        if not (FIRST_DAY <= start <= LAST_DAY and FIRST_DAY <= end <= LAST_DAY):
            raise RangeError("out_of_range")
        if end < start:
            raise RangeError("end_before_start")
        if (end - start).days + 1 > MAX_DAYS:
            raise RangeError("too_long")

    def summary(self, start: date, end: date) -> Report:
        """The figures of the platform's days start..end (both included)."""
        self.check_range(start, end)
        lo, hi = self.utc_midnight(start), self.utc_midnight(end + timedelta(days=1))
        with reading(self.engine) as session:
            return _Query(session, self.engine.dialect.name, offset_pieces(self.zone, lo, hi), lo, hi).report(
                start, end, self.zone.key)


class _Query:
    """The statements of one report, on one session."""

    def __init__(self, session: Session, dialect: str, pieces: list[tuple[datetime | None, int]], lo: datetime,
                 hi: datetime) -> None:
        self.session, self.dialect, self.pieces, self.lo, self.hi = session, dialect, pieces, lo, hi
        self.ticket_range = and_(tickets.c.created_at >= lo, tickets.c.created_at < hi)

    def report(self, start: date, end: date, zone: str) -> Report:
        cases, ticket_days = self.cases(), self.ticket_days()
        replied, resolution = self.first_reply_seconds(), self.resolution_seconds()
        first_medians, resolution_medians = self.medians(*replied), self.medians(*resolution)
        days = [self.figures(cases.get(d, {}), ticket_days.get(d, (0, 0, 0, 0)), first_medians.get(d),
                             resolution_medians.get(d), Day, day=d)
                for d in (start + timedelta(days=n) for n in range((end - start).days + 1))]
        total_cases: dict[str, int] = {}
        for outcomes in cases.values():
            for outcome, count in outcomes.items():
                total_cases[outcome] = total_cases.get(outcome, 0) + count
        total_tickets = tuple(sum(row[i] for row in ticket_days.values()) for i in range(4))
        totals = self.figures(total_cases, total_tickets, self.medians(*replied, by_day=False).get(None),
                              self.medians(*resolution, by_day=False).get(None), Figures)
        ratings, comments = self.ratings()
        return Report(start, end, zone, days, totals, self.counts(tickets.c.handoff_reason),
                      self.counts(tickets.c.complaint), ratings, comments)

    @staticmethod
    def figures(outcomes: dict[str, int], ticket_row: tuple, first_reply: float | None, resolution: float | None,
                kind: type, **extra: Any) -> Any:  # noqa: ANN401
        solved, handed_off, dropped, still_open = (outcomes.get(k, 0) for k in OUTCOMES)
        ended = solved + handed_off
        count, resolved, rated, rating_sum = ticket_row
        return kind(conversations=ended + dropped + still_open, solved=solved, handed_off=handed_off,
                    dropped=dropped, open=still_open,
                    containment_pct=round(100 * solved / ended, 1) if ended else None,
                    tickets=count, resolved=resolved,
                    median_first_reply_s=None if first_reply is None else round(first_reply, 1),
                    median_resolution_s=None if resolution is None else round(resolution, 1),
                    ratings=rated, average_rating=round(rating_sum / rated, 2) if rated else None, **extra)

    def day_of(self, column: Any) -> ColumnElement:  # noqa: ANN401
        return _local_day(self.dialect, column, self.pieces).label("day")

    def cases(self) -> dict[date, dict[str, int]]:
        c = conversations.c
        inner = select(self.day_of(c.started_at), c.outcome.label("outcome")).where(
            c.started_at >= self.lo, c.started_at < self.hi,
            or_(c.complaint.isnot(None), c.outcome.in_(("solved", "handed_off")))).subquery()
        out: dict[date, dict[str, int]] = {}
        rows = self.session.execute(
            select(inner.c.day, inner.c.outcome, func.count()).group_by(inner.c.day, inner.c.outcome))
        for day, outcome, count in rows:
            kind = outcome if outcome in OUTCOMES else "open"
            bucket = out.setdefault(_as_date(day), {})
            bucket[kind] = bucket.get(kind, 0) + int(count)
        return out

    def ticket_days(self) -> dict[date, tuple[int, int, int, int]]:
        t = tickets.c
        valid = t.rating.between(1, 5)
        inner = select(self.day_of(t.created_at), case((t.status == "resolved", 1), else_=0).label("resolved"),
                       case((valid, 1), else_=0).label("rated"), case((valid, t.rating), else_=0).label("rating")
                       ).where(self.ticket_range).subquery()
        rows = self.session.execute(select(inner.c.day, func.count(), func.sum(inner.c.resolved),
                                           func.sum(inner.c.rated), func.sum(inner.c.rating)).group_by(inner.c.day))
        return {_as_date(day): (int(n), int(resolved or 0), int(rated or 0), int(total or 0))
                for day, n, resolved, rated, total in rows}

    def first_reply_seconds(self) -> tuple[ColumnElement, Any]:
        """The first agent reply: tickets.first_reply_at, or for a ticket without it (written before it was kept)
        its first agent message."""
        t, m = tickets.c, messages.c
        first = select(func.min(m.created_at)).where(m.ticket_no == t.ticket_no, m.role == "agent").scalar_subquery()
        return _seconds_between(self.dialect, t.created_at, func.coalesce(t.first_reply_at, first)), None

    def resolution_seconds(self) -> tuple[ColumnElement, Any]:
        t = tickets.c
        return _seconds_between(self.dialect, t.created_at, t.resolved_at), and_(
            t.status == "resolved", t.resolved_at.isnot(None))

    def medians(self, seconds: ColumnElement, where: Any = None, by_day: bool = True) -> dict[date | None, float]:  # noqa: ANN401
        """The median of `seconds` over the range's tickets, per day or (by_day=False) over the whole range."""
        day = self.day_of(tickets.c.created_at) if by_day else literal_column("0").label("day")
        inner = select(day, seconds.label("s")).where(self.ticket_range, *(() if where is None else (where,)))
        inner = inner.subquery()
        partition = {"partition_by": inner.c.day} if by_day else {}
        ranked = select(inner.c.day, inner.c.s,
                        func.row_number().over(order_by=inner.c.s, **partition).label("rn"),
                        func.count().over(**partition).label("n")).where(inner.c.s.isnot(None)).subquery()
        middle = and_(ranked.c.rn * 2 >= ranked.c.n, ranked.c.rn * 2 <= ranked.c.n + 2)
        rows = self.session.execute(select(ranked.c.day, func.avg(ranked.c.s)).where(middle).group_by(ranked.c.day))
        return {(_as_date(day) if by_day else None): float(value) for day, value in rows if value is not None}

    def counts(self, column: Any) -> list[Count]:  # noqa: ANN401
        rows = self.session.execute(select(column, func.count()).where(self.ticket_range).group_by(column))
        return sorted((Count(str(code), int(n)) for code, n in rows), key=lambda c: (-c.count, c.code))

    def ratings(self) -> tuple[dict[int, int], int]:
        t = tickets.c
        has_comment = case((and_(t.rating_comment.isnot(None), t.rating_comment != ""), 1), else_=0)
        rows = self.session.execute(select(t.rating, func.count(), func.sum(has_comment)).where(
            self.ticket_range, t.rating.between(1, 5)).group_by(t.rating))
        counts, comments = dict.fromkeys(RATINGS, 0), 0
        for rating, n, with_comment in rows:
            counts[int(rating)] = int(n)
            comments += int(with_comment or 0)
        return counts, comments

"""The reports page's figures (docs/CONSOLE.md, "Reports"): per day of the platform's calendar over a chosen range,
how many cases the assistant solved alone and how many went to a person, the tickets and how long their
customers waited, and how customers rated them.

Everything is counted by the database (topup/services/report_queries.py) over two indexed ranges,
`conversations.started_at` and `tickets.created_at`, so a report reads only its range whatever the size of the
tables; this module checks the range and puts the figures together.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from topup.clock import Clock
from topup.db.engine import reading
from topup.services.report_queries import Passes, offset_pieces

MAX_DAYS = 366
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)
RATINGS = (1, 2, 3, 4, 5)
OUTCOMES = ("solved", "handed_off", "dropped", "open")  # topup/services/conversations.py; anything else: open


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
            passes = Passes(session, self.engine.dialect.name, offset_pieces(self.zone, lo, hi), lo, hi)
            cases, by_day = passes.cases(), passes.tickets_by_day()
            reasons = passes.reasons_and_complaints()
            medians = passes.medians()
        return _assemble(start, end, self.zone.key, cases, by_day, reasons, medians)


def _figures(kind: type, outcomes: Counter, tickets: Counter, medians: dict, key: date | None, **extra: object
             ) -> Figures:  # noqa: ANN401
    solved, handed_off, dropped, still_open = (outcomes[k] for k in OUTCOMES)
    still_open += sum(n for k, n in outcomes.items() if k not in OUTCOMES)
    ended, rated = solved + handed_off, tickets["rated"]

    def median(name: str) -> float | None:
        value = medians.get((name, key))
        return None if value is None else round(value, 1)

    return kind(conversations=ended + dropped + still_open, solved=solved, handed_off=handed_off, dropped=dropped,
                open=still_open, containment_pct=round(100 * solved / ended, 1) if ended else None,
                tickets=tickets["tickets"], resolved=tickets["resolved"],
                median_first_reply_s=median("first_reply"), median_resolution_s=median("resolution"),
                ratings=rated, average_rating=round(tickets["rating_sum"] / rated, 2) if rated else None, **extra)


def _assemble(start: date, end: date, zone: str, cases: dict[date, dict[str, int]],
              by_day: list[tuple[date, int | None, int, int, int]], reasons: list[tuple[str, str, int]],
              medians: dict[tuple[str, date | None], float]) -> Report:
    ticket_days: dict[date, Counter] = {}
    total_tickets, rating_counts, comments = Counter(), dict.fromkeys(RATINGS, 0), 0
    for day, rating, n, resolved, commented in by_day:
        for bucket in (ticket_days.setdefault(day, Counter()), total_tickets):
            bucket.update(tickets=n, resolved=resolved)
            if rating is not None:
                bucket.update(rated=n, rating_sum=rating * n)
        if rating is not None:
            rating_counts[rating] += n
            comments += commented
    total_cases: Counter = Counter()
    for outcomes in cases.values():
        total_cases.update(outcomes)
    days = [_figures(Day, Counter(cases.get(d, {})), ticket_days.get(d, Counter()), medians, d, day=d)
            for d in (start + timedelta(days=n) for n in range((end - start).days + 1))]
    totals = _figures(Figures, total_cases, total_tickets, medians, None)
    by_reason, by_complaint = Counter(), Counter()
    for reason, complaint, n in reasons:
        by_reason[reason] += n
        by_complaint[complaint] += n
    return Report(start, end, zone, days, totals, _ranked(by_reason), _ranked(by_complaint), rating_counts, comments)


def _ranked(counts: Counter) -> list[Count]:
    return sorted((Count(code, n) for code, n in counts.items()), key=lambda c: (-c.count, c.code))

"""The reports' figures (topup/services/reports.py) on hand-counted days: rows either side of the platform's midnight
(UTC+8: 16:00 UTC), medians of odd and even counts, a note that is no reply, ratings, no data, a clock change, and
the ranges it refuses. The same figures on SQLite, PostgreSQL and MariaDB (skipped where a server is unreachable,
unless TOPUP_REQUIRE_SERVICES=1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from tests.appkit import create_schema
from tests.services import require_services, temporary_postgres_database
from topup.clock import FixedClock
from topup.db.engine import make_engine
from topup.db.schema import ConversationRow, TicketMessageRow, TicketRow
from topup.services.reports import Count, RangeError, ReportService, offset_pieces

NOW = datetime(2026, 11, 23, 4, 0)  # 12:00 on 11-23 in Shanghai
D20, D21, D22 = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 22)


@contextmanager
def _sqlite(path: Path) -> Iterator[str]:
    yield f"sqlite:///{path}"


@contextmanager
def _mariadb() -> Iterator[str]:
    from tests.platforms.test_platform_demo import _connect, require_mariadb

    require_mariadb()
    name = f"topup_reports_{uuid.uuid4().hex[:8]}"
    conn = _connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty schema on each database the tickets may live in."""
    if request.param == "postgresql":
        require_services(postgres=True)
    database = {"sqlite": lambda: _sqlite(tmp_path / "reports.db"), "mariadb": _mariadb,
                "postgresql": lambda: temporary_postgres_database("reports")}[request.param]
    with database() as url:
        engine = make_engine(url)
        create_schema(engine)
        yield engine
        engine.dispose()


def service(engine: Engine, zone: str = "Asia/Shanghai") -> ReportService:
    return ReportService(engine, FixedClock(NOW, zone), zone)


def conversation(engine: Engine, started: datetime, outcome: str, complaint: str | None = "recharge_stuck") -> None:
    with engine.begin() as conn:
        conn.execute(insert(ConversationRow.__table__), [{
            "conversation_id": f"c-{uuid.uuid4().hex[:10]}", "started_at": started, "last_message_at": started,
            "complaint": complaint, "outcome": outcome, "closed_at": None if outcome == "open" else started}])


def ticket(engine: Engine, created: datetime, reason: str = "customer_request", complaint: str = "recharge_stuck",
           reply_s: float | None = None, resolve_s: float | None = None, rating: int | None = None,
           comment: str | None = None, status: str | None = None) -> str:
    number = f"TK{uuid.uuid4().hex[:14]}"
    with engine.begin() as conn:
        conn.execute(insert(TicketRow.__table__), [{
            "ticket_no": number, "conversation_id": f"c-{number}", "dedupe_key": f"{number}|-", "verified": False,
            "complaint": complaint, "customer_description": "", "handoff_reason": reason, "priority": "normal",
            "priority_reasons": [], "steps": [], "transcript": [],
            "status": status or ("resolved" if resolve_s is not None else "open"),
            "first_reply_at": None if reply_s is None else created + timedelta(seconds=reply_s),
            "resolved_at": None if resolve_s is None else created + timedelta(seconds=resolve_s),
            "rating": rating, "rating_comment": comment, "created_at": created, "updated_at": created}])
    return number


def message(engine: Engine, ticket_no: str, role: str, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(insert(TicketMessageRow.__table__), [{
            "ticket_no": ticket_no, "conversation_id": f"c-{ticket_no}", "role": role, "author": "x", "text": "…",
            "delivered": True, "created_at": at}])


def utc(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second)


@pytest.fixture
def three_days(db: Engine) -> Engine:
    """Three Shanghai days, 11-20..11-22 (UTC 11-19 16:00 .. 11-22 16:00), with rows on both sides of each edge."""
    conversation(db, utc(19, 15), "solved")  # 11-19 23:00 local: before the range
    conversation(db, utc(20, 15, 59), "solved")  # 11-20 23:59
    conversation(db, utc(20, 16), "solved")  # 11-21 00:00
    conversation(db, utc(21, 3), "handed_off", "charged_not_received")
    conversation(db, utc(21, 11), "handed_off", complaint=None)  # asked for a person at once: a case all the same
    conversation(db, utc(21, 12), "dropped")  # left in the middle of self-help
    conversation(db, utc(21, 15, 30), "open")  # 23:30, still going
    conversation(db, utc(21, 10), "open", complaint=None)  # said hello, nothing more: no case
    conversation(db, utc(21, 9), "dropped", complaint=None)  # nor is this
    conversation(db, utc(21, 16), "handed_off")  # 11-22 00:00
    conversation(db, utc(22, 16), "solved")  # 11-23 00:00: after the range

    ticket(db, utc(20, 15), "diagnosis:processing_overdue", reply_s=45, resolve_s=200, rating=5)  # 11-20 23:00
    ticket(db, utc(20, 16, 30), reply_s=120, resolve_s=600, rating=5, comment="谢谢，很快")  # 11-21 00:30
    ticket(db, utc(21, 2), complaint="payment_failed", reply_s=60, resolve_s=3600, rating=4, comment="")
    no_column = ticket(db, utc(21, 5), "selfhelp_exhausted", status="in_progress")  # replied before first_reply_at
    message(db, no_column, "customer", utc(21, 5, 0, 50))
    message(db, no_column, "note", utc(21, 5, 1, 40))  # a private note is no reply
    message(db, no_column, "agent", utc(21, 5, 5))  # 300 s
    message(db, no_column, "agent", utc(21, 5, 9))
    ticket(db, utc(21, 15, 59, 59))  # 23:59:59, nobody yet
    ticket(db, utc(21, 16), "selfhelp_exhausted", reply_s=30, resolve_s=90, rating=1, comment="太慢了")  # 11-22 00:00
    ticket(db, utc(22, 1), "verification_failed", complaint="refund_request", reply_s=90, rating=9)  # a bad rating
    ticket(db, utc(22, 16), reply_s=1, resolve_s=1, rating=1)  # 11-23: after the range
    return db


def test_per_day_figures_follow_the_platforms_midnight(three_days: Engine) -> None:
    report = service(three_days).summary(D20, D22)
    assert [d.day for d in report.days] == [D20, D21, D22]
    d20, d21, d22 = report.days

    assert (d20.conversations, d20.solved, d20.handed_off, d20.dropped, d20.open) == (1, 1, 0, 0, 0)
    assert (d21.conversations, d21.solved, d21.handed_off, d21.dropped, d21.open) == (5, 1, 2, 1, 1)
    assert (d22.conversations, d22.solved, d22.handed_off, d22.dropped, d22.open) == (1, 0, 1, 0, 0)
    assert [d.containment_pct for d in report.days] == [100.0, 33.3, 0.0]

    assert [(d.tickets, d.resolved) for d in report.days] == [(1, 1), (4, 2), (2, 1)]
    # 11-21: replies after 120, 60 and 300 s (the last from its messages) -> 120; resolved after 600 and 3600 -> 2100
    assert [d.median_first_reply_s for d in report.days] == [45.0, 120.0, 60.0]  # 11-22: 30 and 90 -> 60
    assert [d.median_resolution_s for d in report.days] == [200.0, 2100.0, 90.0]
    assert [(d.ratings, d.average_rating) for d in report.days] == [(1, 5.0), (2, 4.5), (1, 1.0)]


def test_range_totals(three_days: Engine) -> None:
    report = service(three_days).summary(D20, D22)
    totals = report.totals
    assert (totals.conversations, totals.solved, totals.handed_off, totals.dropped, totals.open) == (7, 2, 3, 1, 1)
    assert totals.containment_pct == 40.0
    assert (totals.tickets, totals.resolved) == (7, 4)
    assert totals.median_first_reply_s == 75.0  # 30 45 60 | 90 120 300
    assert totals.median_resolution_s == 400.0  # 90 200 | 600 3600
    assert (totals.ratings, totals.average_rating) == (4, 3.75)
    assert report.rating_counts == {1: 1, 2: 0, 3: 0, 4: 1, 5: 2}
    assert report.comments == 2  # an empty comment is none
    assert report.handoff_reasons == [Count("customer_request", 3), Count("selfhelp_exhausted", 2),
                                      Count("diagnosis:processing_overdue", 1), Count("verification_failed", 1)]
    assert report.complaints == [Count("recharge_stuck", 5), Count("payment_failed", 1), Count("refund_request", 1)]


def test_one_day_and_its_edges(three_days: Engine) -> None:
    report = service(three_days).summary(D21, D21)
    assert len(report.days) == 1
    day = report.days[0]
    assert (day.conversations, day.tickets, day.median_first_reply_s) == (5, 4, 120.0)
    assert report.totals.median_first_reply_s == 120.0 and report.totals.tickets == 4


def test_no_data(db: Engine) -> None:
    report = service(db).summary(D20, D21)
    assert len(report.days) == 2
    for figures in (*report.days, report.totals):
        assert (figures.conversations, figures.tickets, figures.ratings) == (0, 0, 0)
        assert figures.containment_pct is None and figures.average_rating is None
        assert figures.median_first_reply_s is None and figures.median_resolution_s is None
    assert report.rating_counts == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0} and report.comments == 0
    assert report.handoff_reasons == [] and report.complaints == []


def test_the_day_the_clocks_go_back(db: Engine) -> None:
    """Berlin, 2026-10-25: 02:00-03:00 comes twice, the day lasts 25 hours (UTC 10-24 22:00 .. 10-25 23:00)."""
    conversation(db, datetime(2026, 10, 24, 21, 59), "solved")  # 23:59 CEST on the 24th
    conversation(db, datetime(2026, 10, 24, 22, 30), "handed_off")  # 00:30 CEST on the 25th
    conversation(db, datetime(2026, 10, 25, 0, 30), "solved")  # 02:30 CEST
    conversation(db, datetime(2026, 10, 25, 1, 30), "solved")  # 02:30 CET, the second time round
    conversation(db, datetime(2026, 10, 25, 22, 59), "handed_off")  # 23:59 CET on the 25th
    conversation(db, datetime(2026, 10, 25, 23, 0), "solved")  # 00:00 CET on the 26th
    ticket(db, datetime(2026, 10, 25, 22, 30), reply_s=60)
    report = service(db, "Europe/Berlin").summary(date(2026, 10, 24), date(2026, 10, 26))
    assert [(d.solved, d.handed_off) for d in report.days] == [(1, 0), (2, 2), (1, 0)]
    assert [d.tickets for d in report.days] == [0, 1, 0]
    assert report.days[1].median_first_reply_s == 60.0


def test_offset_pieces() -> None:
    shanghai = ZoneInfo("Asia/Shanghai")
    assert offset_pieces(shanghai, datetime(2025, 12, 31, 16), datetime(2026, 12, 31, 16)) == [(None, 480)]
    berlin = offset_pieces(ZoneInfo("Europe/Berlin"), datetime(2025, 12, 31, 23), datetime(2026, 12, 31, 23))
    assert berlin == [(datetime(2026, 3, 29, 1), 60), (datetime(2026, 10, 25, 1), 120), (None, 60)]
    kolkata = offset_pieces(ZoneInfo("Asia/Kolkata"), datetime(2026, 1, 1), datetime(2026, 2, 1))
    assert kolkata == [(None, 330)]


@pytest.mark.parametrize(("start", "end", "code"), [
    (D22, D21, "end_before_start"),
    (date(2026, 1, 1), date(2027, 1, 2), "too_long"),  # 367 days
    (date(1999, 12, 31), D20, "out_of_range"),
    (D20, date(2100, 1, 1), "out_of_range"),
])
def test_ranges_refused(tmp_path: Path, start: date, end: date, code: str) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    create_schema(engine)
    with pytest.raises(RangeError) as refused:
        service(engine).summary(start, end)
    assert refused.value.code == code
    assert len(service(engine).summary(date(2028, 1, 1), date(2028, 12, 31)).days) == 366  # a leap year is fine


def test_today_is_the_platforms(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    late = ReportService(engine, FixedClock(datetime(2026, 11, 22, 16, 30)), "Asia/Shanghai")
    assert late.today() == date(2026, 11, 23)
    assert late.utc_midnight(date(2026, 11, 23)) == datetime(2026, 11, 22, 16)

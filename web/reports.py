"""The reports page (/console/reports) and its data: the figures of a range of days as JSON, the per-day rows as a
CSV file (topup/services/reports.py counts them; docs/CONSOLE.md, "Reports", says what each one means)."""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
import logging
import re
from datetime import date, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from topup.labels import LABELS
from topup.services.reports import MAX_DAYS, Figures, RangeError, Report
from web.auth import agent_required
from web.context import topup
from web.jsonio import error, respond
from web.pages import CONSOLE_CSP, PAGES

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 7  # no range given: the last week, today included
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
REFUSED = {
    "bad_date": "日期格式不对，请用“年-月-日”，例如 2026-11-28",
    "one_date": "请把开始日期和结束日期都选上",
    "end_before_start": "结束日期不能早于开始日期",
    "too_long": f"一次最多查 {MAX_DAYS} 天，请把日期范围缩短一些",
    "out_of_range": "只能查 2000 年到 2099 年之间的日期",
}
DATABASE_DOWN = "报表暂时查不出来（数据库没有响应），请稍后再试"
# The CSV's columns, in order: the figure's key and the header agents read (topup/labels.py, as on the page).
COLUMNS = ("conversations", "solved", "handed_off", "dropped", "open", "containment_pct", "tickets", "resolved",
           "median_first_reply_min", "median_resolution_min", "ratings", "average_rating")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _day(raw: str) -> date:
    if not DAY.fullmatch(raw):
        raise RangeError("bad_date")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RangeError("bad_date") from None


def requested_range(request: web.Request) -> tuple[date, date]:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD (both, or neither for the last week), checked as the service checks it."""
    start, end = (request.query.get(key, "").strip() for key in ("from", "to"))
    if not start and not end:
        last = topup(request).reports.today()
        return last - timedelta(days=DEFAULT_DAYS - 1), last
    if not start or not end:
        raise RangeError("one_date")
    first, last = _day(start), _day(end)
    topup(request).reports.check_range(first, last)
    return first, last


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def figures_dict(figures: Figures) -> dict[str, Any]:
    out = dataclasses.asdict(figures)
    if isinstance(out.get("day"), date):
        out["day"] = out["day"].isoformat()
    out["median_first_reply_min"] = minutes(figures.median_first_reply_s)
    out["median_resolution_min"] = minutes(figures.median_resolution_s)
    return out


def report_dict(report: Report, today: date) -> dict[str, Any]:
    return {
        "from": report.start.isoformat(), "to": report.end.isoformat(), "zone": report.zone,
        "today": today.isoformat(), "max_days": MAX_DAYS,
        "days": [figures_dict(day) for day in report.days],
        "totals": figures_dict(report.totals),
        "handoff_reasons": [dataclasses.asdict(c) for c in report.handoff_reasons],
        "complaints": [dataclasses.asdict(c) for c in report.complaints],
        "ratings": {"counts": {str(k): v for k, v in report.rating_counts.items()},
                    "count": report.totals.ratings, "average": report.totals.average_rating,
                    "comments": report.comments},
    }


async def _report(request: web.Request) -> tuple[Report, date] | web.Response:
    try:
        start, end = requested_range(request)
    except RangeError as refused:
        return error(400, REFUSED[refused.code], refused.code)
    service = topup(request).reports
    try:
        report = await asyncio.to_thread(service.summary, start, end)
    except SQLAlchemyError as exc:
        logger.warning("report %s..%s failed: %s", start, end, type(exc).__name__)
        return error(503, DATABASE_DOWN, "database_unavailable")
    return report, service.today()


@agent_required
async def summary(request: web.Request) -> web.Response:
    result = await _report(request)
    if isinstance(result, web.Response):
        return result
    return respond(report_dict(*result))


def safe_cell(value: Any) -> Any:  # noqa: ANN401
    """A text cell a spreadsheet would read as a formula gets a leading apostrophe (CSV injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_text(report: Report) -> str:
    """One row per day, then the range's totals; UTF-8 with a BOM so Excel reads the Chinese headers."""
    names = LABELS["report"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([names["day"], *(names[key] for key in COLUMNS)])
    for row in [*report.days, report.totals]:
        values = figures_dict(row)
        writer.writerow([safe_cell(c) for c in (values.get("day", names["total"]), *(values[k] for k in COLUMNS))])
    return "\ufeff" + out.getvalue()


@agent_required
async def csv_export(request: web.Request) -> web.Response:
    result = await _report(request)
    if isinstance(result, web.Response):
        return result
    report, _ = result
    name = f"report-{report.start.isoformat()}_{report.end.isoformat()}.csv"
    return web.Response(body=csv_text(report).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def page(request: web.Request) -> web.FileResponse:
    """The page itself; its script asks /api/me and sends an agent who is not signed in to /console."""
    return web.FileResponse(PAGES / "reports.html", headers={
        "Cache-Control": "no-cache", "Content-Security-Policy": CONSOLE_CSP, "X-Frame-Options": "DENY"})


ROUTES = [
    web.get("/console/reports", page),
    web.get("/api/reports", summary),
    web.get("/api/reports.csv", csv_export),
]

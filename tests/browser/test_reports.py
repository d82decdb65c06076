"""The reports page (web app alone): 40 days of seeded conversations and tickets, the numbers in every table checked
against SQL over the same database (counted here, not by ReportService), a range picked by hand and by the quick
buttons, the CSV download, refused ranges, the page without a session, and no console error or CSP violation."""

from __future__ import annotations

import csv
import io
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ops.bench.reports import seed
from tests.browser.a11y import audit, blocking
from tests.browser.conftest import Site
from tests.browser.helpers import sign_in
from topup.labels import LABELS

SHANGHAI = ZoneInfo("Asia/Shanghai")
R = LABELS["report"]
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


def today() -> date:
    return datetime.now(SHANGHAI).date()


@pytest.fixture(scope="module")
def seeded(web_only: Site) -> Iterator[Engine]:
    """600 conversations and up to 240 tickets over the 40 days before today, in the web app's own database; taken
    out again afterwards, so the other tests on this web app see their own queue."""
    engine = web_only.app.engine
    seed(engine, conversations=600, tickets=240, last_day=today() - timedelta(days=1), days=40, seed=5)
    yield engine
    with engine.begin() as conn:
        for table in ("ticket_messages", "tickets", "conversations"):
            conn.execute(text(f"DELETE FROM {table} WHERE conversation_id LIKE 'bench-%'"))


def utc_bounds(first: date, last: date) -> dict:
    """Shanghai is UTC+8 all year: its day d is [d 00:00 - 8 h, d+1 00:00 - 8 h) in UTC."""
    fmt = "%Y-%m-%d %H:%M:%S.%f"  # as SQLAlchemy stores DateTime in SQLite
    return {"lo": (datetime.combine(first, time()) - timedelta(hours=8)).strftime(fmt),
            "hi": (datetime.combine(last + timedelta(days=1), time()) - timedelta(hours=8)).strftime(fmt)}


def expected(engine: Engine, first: date, last: date) -> dict:
    """The report's figures, straight from SQL (SQLite's own date arithmetic, +8 hours)."""
    bounds = utc_bounds(first, last)
    with engine.connect() as conn:
        cases = conn.execute(text(
            "SELECT date(started_at, '+8 hours'), outcome, count(*) FROM conversations "
            "WHERE started_at >= :lo AND started_at < :hi AND (complaint IS NOT NULL OR outcome IN "
            "('solved', 'handed_off')) GROUP BY 1, 2"), bounds).all()
        tickets = conn.execute(text(
            "SELECT date(created_at, '+8 hours'), status, rating, rating_comment, handoff_reason, complaint, "
            "(julianday(coalesce(first_reply_at, (SELECT min(m.created_at) FROM ticket_messages m "
            "  WHERE m.ticket_no = t.ticket_no AND m.role = 'agent'))) - julianday(created_at)) * 86400, "
            "(julianday(resolved_at) - julianday(created_at)) * 86400 "
            "FROM tickets t WHERE created_at >= :lo AND created_at < :hi"), bounds).all()
    days = {(first + timedelta(days=n)).isoformat(): defaultdict(list) for n in range((last - first).days + 1)}
    out = {"days": days, "total": defaultdict(list), "reasons": Counter(), "complaints": Counter(),
           "stars": Counter(), "comments": 0}
    for day, outcome, n in cases:
        for bucket in (days[day], out["total"]):
            bucket[outcome].append(n)
    for day, status, rating, comment, reason, complaint, first_s, resolved_s in tickets:
        for bucket in (days[day], out["total"]):
            bucket["tickets"].append(1)
            bucket["resolved"].append(int(status == "resolved"))
            if first_s is not None:
                bucket["first"].append(first_s)
            if status == "resolved" and resolved_s is not None:
                bucket["resolution"].append(resolved_s)
            if rating in (1, 2, 3, 4, 5):
                bucket["rating"].append(rating)
        out["reasons"][reason] += 1
        out["complaints"][complaint] += 1
        if rating in (1, 2, 3, 4, 5):
            out["stars"][rating] += 1
            out["comments"] += bool(comment)
    return out


def figures(bucket: dict) -> dict:
    n = {k: sum(bucket.get(k, [])) for k in ("solved", "handed_off", "dropped", "open", "tickets", "resolved")}
    ended = n["solved"] + n["handed_off"]

    def minutes(values: list[float]) -> float | None:
        return round(round(statistics.median(values), 1) / 60, 1) if values else None

    ratings = bucket.get("rating", [])
    return {**n, "conversations": ended + n["dropped"] + n["open"],
            "containment": f"{round(100 * n['solved'] / ended, 1):.1f}" if ended else "—",
            "first": minutes(bucket.get("first", [])), "resolution": minutes(bucket.get("resolution", [])),
            "ratings": len(ratings), "average": f"{round(sum(ratings) / len(ratings), 2):.2f}" if ratings else "—"}


def cells(page: Page, table: str, part: str = "tbody") -> list[list[str]]:
    return page.eval_on_selector_all(f"#{table} {part} tr",
                                     "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent))")


def same_minutes(shown: str, value: float | None) -> bool:
    """Medians in minutes, one decimal; the last digit may differ by SQLite's and Python's rounding of seconds."""
    if value is None:
        return shown == "—"
    return shown != "—" and abs(float(shown) - value) <= 0.1 + 1e-9


def reason_label(code: str) -> str:
    if code.startswith("diagnosis:"):
        return "诊断后需要人工：" + LABELS["diagnosis"].get(code[10:], code[10:])
    return LABELS["handoff"].get(code, code)


def check_tables(page: Page, engine: Engine, first: date, last: date) -> None:
    """Every table of the page against SQL over the database."""
    expect(page.locator("#report-status")).to_have_text(
        f"显示 {first} 至 {last} 的数据（共 {(last - first).days + 1} 天）")
    want = expected(engine, first, last)
    days = {day: figures(bucket) for day, bucket in want["days"].items()}
    total = figures(want["total"])
    assert total["conversations"] > 0 and total["tickets"] > 0  # the seeded rows are in the range

    outcomes = cells(page, "table-outcomes")
    assert [row[0] for row in outcomes] == list(days)
    for row in outcomes:
        f = days[row[0]]
        assert row[1:] == [str(f[k]) for k in ("conversations", "solved", "handed_off", "dropped", "open")], row
    assert cells(page, "table-outcomes", "tfoot")[0][1:] == [
        str(total[k]) for k in ("conversations", "solved", "handed_off", "dropped", "open")]

    for row in cells(page, "table-containment"):
        f = days[row[0]]
        assert row[1:] == [f["containment"], str(f["solved"]), str(f["handed_off"])], row
    assert cells(page, "table-containment", "tfoot")[0][1] == total["containment"]

    times = cells(page, "table-times")
    assert [row[0] for row in times] == list(days)
    for row in [*times, ["合计", *cells(page, "table-times", "tfoot")[0][1:]]]:
        f = days.get(row[0], total)
        assert row[1:3] == [str(f["tickets"]), str(f["resolved"])], row
        assert same_minutes(row[3], f["first"]) and same_minutes(row[4], f["resolution"]), (row, f)

    reasons = {row[0]: int(row[1]) for row in cells(page, "table-reasons")}
    assert reasons == {reason_label(code): n for code, n in want["reasons"].items()}
    shown = [int(row[1]) for row in cells(page, "table-reasons")]
    assert shown == sorted(shown, reverse=True)  # the most frequent first
    complaints = {row[0]: int(row[1]) for row in cells(page, "table-complaints")}
    assert complaints == {LABELS["complaint"].get(code, code): n for code, n in want["complaints"].items()}

    stars = cells(page, "table-ratings")
    assert [(row[0], int(row[1])) for row in stars] == [(f"{s} 星", want["stars"][s]) for s in range(1, 6)]
    foot = {row[0]: row[1] for row in cells(page, "table-ratings", "tfoot")}
    assert foot == {R["ratings"]: str(total["ratings"]), R["average_rating"]: total["average"],
                    "带留言的评价": str(want["comments"])}
    kpis = dict(zip(page.locator("#kpis dt").all_inner_texts(), page.locator("#kpis dd").all_inner_texts(),
                    strict=True))
    assert kpis[R["conversations"]] == str(total["conversations"]) and kpis[R["tickets"]] == str(total["tickets"])
    assert kpis[R["containment_pct"]] == total["containment"] and kpis[R["average_rating"]] == total["average"]


def no_csp_violations(page: Page, errors: list[str], expected: str | None = None) -> None:
    """No CSP violation, no console error or warning (but the browser's note of a refusal the test asked for)."""
    assert page.evaluate("window.__csp") == []
    assert [e for e in errors if not (expected and expected in e)] == []


def open_reports(context: BrowserContext, site: Site) -> tuple[Page, list[str]]:
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, site.url)
    expect(page.locator("#me-name")).not_to_be_empty()
    errors.clear()  # the console's own 401 before signing in is not this page's
    page.get_by_role("link", name="报表").click()
    expect(page).to_have_url(f"{site.url}/console/reports")
    return page, errors


def test_the_tables_say_what_the_database_says(web_only: Site, seeded: Engine, context: BrowserContext,
                                               screenshots: Path) -> None:
    page, errors = open_reports(context, web_only)
    last = today()
    check_tables(page, seeded, last - timedelta(days=6), last)  # the last week by default
    assert page.locator("#range-from").input_value() == (last - timedelta(days=6)).isoformat()

    page.get_by_role("button", name="近 30 天").click()
    check_tables(page, seeded, last - timedelta(days=29), last)
    for name in ("containment", "outcomes", "reasons", "complaints", "ratings", "times"):
        chart = page.locator(f"#chart-{name}")
        expect(chart).to_have_attribute("role", "img")
        assert len(chart.get_attribute("aria-label") or "") > 10 and chart.locator("canvas").count() == 1
    serious = blocking(audit(page))  # axe-core, WCAG 2.1 AA, with every chart and table filled
    assert not serious, "\n".join(str(v) for v in serious)
    page.locator("#chart-outcomes canvas").hover(position={"x": 300, "y": 270})  # the tooltip, drawn on the canvas
    page.wait_for_timeout(300)
    page.screenshot(path=str(screenshots / "console-reports.png"), full_page=True)

    first, end = last - timedelta(days=39), last - timedelta(days=20)  # by hand
    page.get_by_label("开始日期").fill(first.isoformat())
    page.get_by_label("结束日期").fill(end.isoformat())
    page.get_by_role("button", name="查询").click()
    check_tables(page, seeded, first, end)

    with page.expect_download() as download:
        page.get_by_role("link", name="导出 CSV").click()
    assert download.value.suggested_filename == f"report-{first}_{end}.csv"
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads the Chinese headers as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == [R[k] for k in ("day", "conversations", "solved", "handed_off", "dropped", "open",
                                      "containment_pct", "tickets", "resolved", "median_first_reply_min",
                                      "median_resolution_min", "ratings", "average_rating")]
    want = expected(seeded, first, end)
    assert [row[0] for row in rows[1:]] == [*want["days"], "合计"]
    for row in rows[1:]:
        f = figures(want["days"].get(row[0], want["total"]))
        assert row[1:6] == [str(f[k]) for k in ("conversations", "solved", "handed_off", "dropped", "open")], row
        assert row[6] == ("" if f["containment"] == "—" else f["containment"])
        assert row[7:9] == [str(f["tickets"]), str(f["resolved"])] and row[11] == str(f["ratings"])
        assert same_minutes(row[9] or "—", f["first"]) and same_minutes(row[10] or "—", f["resolution"])
    no_csp_violations(page, errors)


def test_refused_ranges_and_empty_days(web_only: Site, context: BrowserContext) -> None:
    page, errors = open_reports(context, web_only)
    expect(page.locator("#report-status")).to_contain_text("显示")
    page.get_by_label("开始日期").fill("2026-03-10")
    page.get_by_label("结束日期").fill("2026-03-01")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#report-error")).to_have_text("结束日期不能早于开始日期")
    assert page.get_by_label("开始日期").input_value() == "2026-03-10"  # what the agent typed stays

    page.get_by_label("开始日期").fill("2001-01-01")
    page.get_by_label("结束日期").fill("2001-01-03")  # nothing happened back then
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#report-error")).to_be_hidden()
    expect(page.locator("#report-status")).to_have_text("显示 2001-01-01 至 2001-01-03 的数据（共 3 天）")
    expect(page.locator(".r-empty:visible")).to_have_count(6)
    expect(page.locator(".r-empty").first).to_have_text("暂无数据")
    expect(page.locator("#chart-ratings")).to_have_attribute("aria-label", "暂无数据")
    no_csp_violations(page, errors, expected="status of 400 (Bad Request)")  # the reversed range's answer

    api = context.request
    for query, message in [("from=2026-02-30&to=2026-03-01", "日期格式不对"), ("from=2026-03-01", "都选上"),
                           ("from=2025-01-01&to=2026-03-01", "最多查 366 天"), ("from=1999-01-01&to=1999-01-02",
                                                                               "2000 年到 2099 年")]:
        response = api.get(f"{web_only.url}/api/reports?{query}")
        assert response.status == 400 and message in response.json()["error"], query
    assert api.get(f"{web_only.url}/api/reports.csv?from=x&to=y").status == 400


def test_without_a_session(web_only: Site, context: BrowserContext) -> None:
    page = context.new_page()
    response = page.goto(f"{web_only.url}/console/reports")
    assert response is not None and "script-src 'self'" in response.headers["content-security-policy"]
    expect(page.locator("#signed-out")).to_be_visible()
    expect(page.locator("#report-view")).to_be_hidden()
    page.get_by_role("link", name="去登录").click()
    expect(page.locator("#login-form")).to_be_visible()
    assert context.request.get(f"{web_only.url}/api/reports").status == 401
    assert context.request.get(f"{web_only.url}/api/reports.csv").status == 401

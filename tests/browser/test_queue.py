"""The queue on a busy day, in the browser (the web app alone, Rasa down): some sixty tickets, then an agent signs in,
searches by order number, ticket number and phone tail, switches tabs, filters by priority, pages forward, sees a
new ticket arrive in 待接手 without a reload, and the case view follows its ticket while another tab is shown."""

from __future__ import annotations

import random
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy import update

from ops.bench.queue import PRODUCTS, add_tickets, ticket_row
from tests.browser.conftest import Site
from tests.browser.helpers import open_ticket, queue_row, queue_tab, search_queue, sign_in
from topup.clock import utcnow
from topup.db.engine import unit_of_work
from topup.db.schema import TicketRow


class Day:
    """The seeded tickets: numbers by kind, and the order-number prefix that finds only them."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.prefix = f"KM20261130{random.randrange(100, 999)}"
        self.made: list[str] = []
        now = utcnow()
        order = iter(range(1000))

        def add(minutes: float, **fields: object) -> str:
            number = f"{self.prefix}{next(order):03d}"
            ticket = add_tickets(site.app.engine, [ticket_row(number, now - timedelta(minutes=minutes), **fields)])[0]
            self.made.append(ticket)
            return ticket

        self.resolved = [add(600 + i, status="resolved", agent="xiaoli", resolved_at=now - timedelta(minutes=i + 1),
                             tail=f"{2000 + i}") for i in range(55)]
        self.high = [add(m, priority="high", tail=f"{3000 + m}") for m in (40, 12, 3)]
        self.normal = [add(m, tail=f"{5000 + m}", product=PRODUCTS[m % len(PRODUCTS)]) for m in (95, 50, 20, 8)]
        self.tail_ticket = add(2, tail="4680", complaint="refund_request", product=PRODUCTS[3])
        self.mine = [add(m, status="in_progress", agent="xiaowang", tail=f"{6000 + m}") for m in (30, 25)]
        self.theirs = [add(m, status="in_progress", agent="xiaoli", tail=f"{7000 + m}") for m in (33, 21)]

    def order_of(self, ticket_no: str) -> str:
        return self.site.app.handoffs.get_ticket(ticket_no).order_no

    def tidy(self) -> None:
        """Everything seeded resolved again: the other browser tests share this database and its 待接手."""
        with unit_of_work(self.site.app.engine) as session:
            session.execute(update(TicketRow).where(TicketRow.ticket_no.in_(self.made))
                            .values(status="resolved", resolved_at=utcnow(), updated_at=utcnow()))


@pytest.fixture
def day(web_only: Site) -> Iterator[Day]:
    seeded = Day(web_only)
    yield seeded
    seeded.tidy()


def rows(page: Page) -> list[str]:
    return page.locator(".queue-row").evaluate_all("rs => rs.map(r => r.getAttribute('data-ticket'))")


def listed(page: Page, expected: list[str], timeout_s: float = 5) -> None:
    """The queue lists exactly these tickets, in this order (once its page read has come back)."""
    deadline = time.monotonic() + timeout_s
    while rows(page) != expected and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert rows(page) == expected


def count(page: Page, tab: str) -> str:
    return page.get_by_role("tab", name=re.compile(tab)).locator(".tab-count").inner_text()


def test_a_busy_day(web_only: Site, context: BrowserContext, day: Day, screenshots: Path) -> None:
    page = context.new_page()
    sign_in(page, web_only.url)
    expect(page.get_by_role("tab", name=re.compile("待接手"))).to_have_attribute("aria-selected", "true")

    # Only this day's tickets: the tab counts say where they are, 待接手 lists high first, then the longest waiting.
    search_queue(page, day.prefix)
    expect(page.locator("#queue-range")).to_have_text("第 1–8 个，共 8 个")
    listed(page, day.high + day.normal + [day.tail_ticket])
    assert [count(page, t) for t in ("待接手", "我的", "处理中", "已解决")] == ["8", "2", "4", "55"]
    first = queue_row(page, day.high[0])
    expect(first.locator(".row-ticket")).to_have_text(day.high[0])
    expect(first.locator(".row-order")).to_have_text(day.order_of(day.high[0]))
    expect(first.locator(".row-phone")).to_have_text("尾号 3040")
    expect(first).to_contain_text("等待 40 分钟")
    # Rows are buttons, named by what they show.
    named = re.compile(f"^{day.normal[0]} 普通 .*尾号 5095 200 元 充值卡住")
    expect(page.get_by_role("button", name=named)).to_be_visible()
    page.screenshot(path=str(screenshots / "console-queue-busy.png"))

    # One order number, typed as a customer pastes it: lower case with spaces.
    wanted = day.order_of(day.normal[2])
    search_queue(page, wanted.lower()[:8] + " " + wanted.lower()[8:])
    expect(page.locator(".queue-row")).to_have_count(1)
    listed(page, [day.normal[2]])
    # A ticket number, and a phone tail.
    search_queue(page, day.theirs[0])
    expect(page.locator(".queue-empty")).to_contain_text("没有符合条件的工单")
    page.get_by_role("button", name="「处理中」里有 1 个").click()  # found in another tab: one click away
    expect(page.get_by_role("tab", name=re.compile("处理中"))).to_have_attribute("aria-selected", "true")
    listed(page, [day.theirs[0]])
    expect(queue_row(page, day.theirs[0]).locator(".row-status")).to_have_text("处理中 · 小李")
    queue_tab(page, "待接手")
    search_queue(page, "4680")
    expect(page.locator(".queue-row")).to_have_count(1)
    expect(queue_row(page, day.tail_ticket)).to_contain_text("要求退款")

    # High priority only.
    search_queue(page, day.prefix)
    page.get_by_label("优先级").select_option(label="高优先")
    expect(page.locator(".queue-row")).to_have_count(3)
    listed(page, day.high)
    expect(page.locator(".queue-row .prio-normal")).to_have_count(0)
    page.get_by_role("button", name="清除搜索和筛选").click()
    expect(page.get_by_label("搜索工单")).to_have_value("")

    # 已解决: newest resolution first, fifty to a page, then the next page.
    search_queue(page, day.prefix)
    queue_tab(page, "已解决")
    expect(page.locator("#queue-range")).to_have_text("第 1–50 个，共 55 个")
    listed(page, day.resolved[:50])
    expect(page.get_by_role("button", name="上一页")).to_be_disabled()
    page.get_by_role("button", name="下一页").click()
    expect(page.locator("#queue-range")).to_have_text("第 51–55 个，共 55 个")
    listed(page, day.resolved[50:])
    expect(page.get_by_role("button", name="下一页")).to_be_disabled()

    # The arrow keys move along the tabs.
    page.get_by_role("tab", name=re.compile("已解决")).focus()
    page.keyboard.press("ArrowLeft")
    expect(page.get_by_role("tab", name=re.compile("处理中"))).to_have_attribute("aria-selected", "true")
    expect(page.get_by_role("tab", name=re.compile("处理中"))).to_be_focused()
    listed(page, [day.theirs[0], day.mine[0], day.mine[1], day.theirs[1]])  # the longest waiting first

    # A new ticket shows in 待接手 without a reload, and the open ticket's row stays selected.
    queue_tab(page, "待接手")
    open_ticket(page, day.high[1])
    expect(queue_row(page, day.high[1])).to_have_attribute("aria-current", "true")
    news = add_tickets(web_only.app.engine, [ticket_row(f"{day.prefix}999", utcnow() - timedelta(minutes=1),
                                                        priority="high", tail="9999")])[0]
    day.made.append(news)
    expect(queue_row(page, news)).to_be_visible(timeout=5_000)
    expect(page.get_by_role("tab", name=re.compile("待接手")).locator(".tab-count")).to_have_text("9")
    assert rows(page)[:4] == day.high + [news]
    expect(queue_row(page, day.high[1])).to_have_class(re.compile(r"\bselected\b"))

    # The case view follows its ticket while another tab is shown: a colleague takes it.
    queue_tab(page, "已解决")
    expect(page.locator("#queue-range")).to_have_text("第 1–50 个，共 55 个")
    web_only.app.console.claim(day.high[1], "xiaoli")
    expect(page.locator("#ticket-view")).to_contain_text("小李", timeout=5_000)

    # Reload: the same tab, search and page.
    page.reload()
    expect(page.get_by_role("tab", name=re.compile("已解决"))).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("搜索工单")).to_have_value(day.prefix)


def test_claiming_from_the_queue_takes_the_list_to_my_tickets(web_only: Site, context: BrowserContext,
                                                              day: Day) -> None:
    page = context.new_page()
    sign_in(page, web_only.url)
    search_queue(page, day.prefix)
    open_ticket(page, day.normal[0])
    # Rasa is down: the claim stands (502), the notice says so
    page.get_by_role("button", name="接手", exact=True).click()
    expect(page.get_by_role("tab", name=re.compile("我的"))).to_have_attribute("aria-selected", "true")
    expect(queue_row(page, day.normal[0]).locator(".row-status")).to_have_text("处理中 · 小王")
    expect(queue_row(page, day.normal[0])).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("tab", name=re.compile("我的")).locator(".tab-count")).to_have_text("3")

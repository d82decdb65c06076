"""The customer hears that the order arrived without typing: the assistant on an acg-faka database (MariaDB), the
customer waiting on the chat page, the order's row changing in the platform's database. Shown within the polling
interval, or at once through the webhook; once; and on the next visit when the page was closed meanwhile."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import BrowserContext, expect

from ops.launcher.stack import Stack
from tests.browser.conftest import ON_DUTY
from tests.browser.helpers import bot_messages, say
from tests.platforms.conftest import _database
from tests.platforms.test_platform_demo import _connect

POLL_S = 1.0
NEWS = "刚刚已经充值成功了"
HOOK_TOKEN = "h" * 24


@pytest.fixture(scope="module")
def acg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, str, dict[str, str]]]:
    for url, numbers in _database("acgfaka"):
        settings = {**ON_DUTY, "TOPUP_ORDER_SOURCE": "acgfaka", "TOPUP_ORDER_SOURCE_URL": url,
                    "TOPUP_ORDER_POLL_SECONDS": str(POLL_S), "TOPUP_ORDER_WEBHOOK_SECRET": HOOK_TOKEN}
        with Stack.running(tmp_path_factory.mktemp("acg-news"), settings) as stack:
            yield stack, url.rsplit("/", 1)[1], numbers


def deliver(database: str, order_no: str) -> None:
    """What acg-faka does when the order is delivered: delivery_status 1 (the row, in the platform's database)."""
    conn = _connect(database)
    try:
        with conn.cursor() as cursor:
            cursor.execute("UPDATE acg_order SET delivery_status = 1 WHERE trade_no = %s", (order_no,))
    finally:
        conn.close()


def news_count(page) -> int:  # noqa: ANN001
    return sum(NEWS in text for text in bot_messages(page).all_inner_texts())


def test_the_order_arrives_while_the_customer_waits_on_the_page(acg, context: BrowserContext) -> None:  # noqa: ANN001
    stack, database, numbers = acg
    number = numbers["paid_recent"]
    page = context.new_page()
    page.goto(stack.web_url)
    say(page, f"订单 {number} 付了钱还没到")
    reply = say(page, "尾号1111")
    assert "充值中" in reply, reply
    changed = time.monotonic()
    deliver(database, number)
    expect(bot_messages(page).filter(has_text=NEWS)).to_have_count(1, timeout=15_000)
    shown_after = time.monotonic() - changed
    assert number in bot_messages(page).filter(has_text=NEWS).inner_text()
    page.wait_for_timeout(int(POLL_S * 3000))  # three more polls: still once
    assert news_count(page) == 1
    page.reload()  # and once after a reload
    expect(bot_messages(page).filter(has_text=NEWS)).to_have_count(1)
    page.wait_for_timeout(1500)
    assert news_count(page) == 1
    print(f"order news shown {shown_after:.2f} s after the row changed (poll every {POLL_S:g} s)")


def test_the_news_waits_for_a_customer_who_closed_the_page(acg, context: BrowserContext) -> None:  # noqa: ANN001
    stack, database, numbers = acg
    number = numbers["overdue"]
    page = context.new_page()
    page.goto(stack.web_url)
    say(page, f"{number} 一直没发货")
    reply = say(page, "QQ 12345678")
    assert "充值中" in reply, reply
    page.close()  # the customer goes away
    deliver(database, number)
    # the news is told in the conversation while nobody is on the page (the webhook: at once)
    hook = requests.post(f"{stack.web_url}/hooks/order", params={"token": HOOK_TOKEN}, json={"trade_no": number},
                         timeout=10)
    assert hook.status_code == 200, hook.text
    time.sleep(POLL_S * 2)
    back = context.new_page()  # the same browser, later
    back.goto(stack.web_url)
    expect(back.locator(".tkf-from-bot .tkf-bubble").filter(has_text=NEWS)).to_have_count(1, timeout=15_000)
    assert number in back.locator(".tkf-from-bot .tkf-bubble").filter(has_text=NEWS).inner_text()
    back.reload()
    expect(back.locator(".tkf-from-bot .tkf-bubble").filter(has_text=NEWS)).to_have_count(1)
    back.wait_for_timeout(1500)
    assert news_count(back) == 1

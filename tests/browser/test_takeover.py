"""The whole scene: a stuck top-up, self-help, handoff, a person takes over, talks, resolves, the customer rates.

Needs the Rasa side of the takeover contract: action_agent_joined, action_deliver_agent_messages (shows the agent's
replies, text starting with 【客服), action_agent_left (asks for a 1–5 rating, stored with console.rate), and the
customer's messages during a takeover written to ticket_messages (console.relay_customer_message).
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import DESKTOP, Site
from tests.browser.helpers import (
    NOT_HELPED,
    bot_messages,
    click_reply,
    open_ticket,
    queue_row,
    say,
    send,
    sign_in,
    wait_for_bot,
)

ORDER = "KM20261127004215"
HELLO = "您好，我是小王，正在为您核实"
FAST_S = 1.5


def test_customer_to_agent_and_back(stack: Site, context: BrowserContext, browser: Browser) -> None:
    stack.app.console.touch_presence("xiaowang")  # an agent is on duty, so the assistant hands off
    customer = context.new_page()
    customer.goto(stack.url)
    say(customer, "话费一直显示正在充值")
    say(customer, ORDER)
    say(customer, "3821")
    click_reply(customer, NOT_HELPED)
    handoff = click_reply(customer, NOT_HELPED)
    match = re.search(r"工单号\s*(TK\d+)", handoff)
    assert match, handoff
    ticket_no = match.group(1)

    agent_context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    agent_context.set_default_timeout(10_000)
    try:
        agent = agent_context.new_page()
        sign_in(agent, stack.url)
        first = agent.locator(".queue-row").first
        expect(first).to_have_attribute("data-ticket", ticket_no)
        expect(first.locator(".row-order")).to_have_text(ORDER)
        expect(first.locator(".row-complaint")).to_have_text("充值卡住")
        expect(first.locator(".row-amount")).to_have_text("100 元")
        expect(first.locator(".prio")).to_have_text("高优先")

        open_ticket(agent, ticket_no)
        expect(agent.locator("#t-summary")).to_contain_text("高优先")
        expect(agent.locator("#t-summary")).to_contain_text("自助 2 步无效")
        expect(agent.locator(".steps .step")).to_have_count(2)
        expect(agent.locator(".steps .outcome-not_helped")).to_have_count(2)
        expect(agent.locator(".customer-words")).to_contain_text("话费一直显示正在充值")
        expect(agent.locator(".order-table")).to_contain_text("*******3821")

        # The agent takes over: the customer hears that a person joined.
        before = bot_messages(customer).count()
        with agent.expect_response(lambda r: r.url.endswith("/claim")) as claimed:
            agent.get_by_role("button", name="接手", exact=True).click()
        assert claimed.value.status == 200, f"claim: {claimed.value.status} {claimed.value.text()}"  # Rasa ran it
        expect(queue_row(agent, ticket_no).locator(".row-status")).to_contain_text("处理中")
        joined = wait_for_bot(customer, before, timeout_ms=5_000)
        assert re.search(r"客服|人工", joined), joined

        # Agent → customer within a second.
        agent.locator("#reply-text").fill(HELLO)
        started = time.monotonic()
        with agent.expect_response(lambda r: r.url.endswith("/reply")) as replied:
            agent.get_by_role("button", name="发送", exact=True).click()
        assert replied.value.status == 200, f"reply: {replied.value.status} {replied.value.text()}"
        expect(customer.locator(".tkf-from-agent .tkf-bubble").filter(has_text=HELLO)).to_be_visible(timeout=5_000)
        elapsed = time.monotonic() - started
        assert elapsed < FAST_S, f"agent reply took {elapsed:.2f}s to reach the customer"
        expect(customer.locator(".tkf-from-agent .tkf-badge").last).to_have_text("人工客服")

        # Customer → agent within a second.
        started = time.monotonic()
        send(customer, "好的谢谢")
        expect(agent.locator("#t-live .role-customer .line-text").filter(has_text="好的谢谢")).to_be_visible(
            timeout=5_000)
        elapsed = time.monotonic() - started
        assert elapsed < FAST_S, f"customer message took {elapsed:.2f}s to reach the agent"

        # Resolved: the customer rates 5, the console and the database show it.
        before = bot_messages(customer).count()
        agent.locator("#resolve-text").fill("已联系运营商补充值，话费已到账")
        with agent.expect_response(lambda r: r.url.endswith("/resolve")) as resolved:
            agent.get_by_role("button", name="解决", exact=True).click()
        assert resolved.value.status == 200, f"resolve: {resolved.value.status} {resolved.value.text()}"
        expect(agent.locator(".resolved-note")).to_contain_text("已联系运营商补充值")
        wait_for_bot(customer, before, timeout_ms=5_000)
        customer.locator(".tkf-reply").filter(has_text="5").last.click()
        deadline = time.monotonic() + 5
        while stack.app.handoffs.get_ticket(ticket_no).details["rating"] is None and time.monotonic() < deadline:
            time.sleep(0.2)
        ticket = stack.app.handoffs.get_ticket(ticket_no)
        assert ticket.details["rating"] == 5 and ticket.status.value == "resolved"
        assert ticket.details["resolution"] == "已联系运营商补充值，话费已到账"
        api = agent_context.request.get(f"{stack.url}/api/tickets/{ticket_no}").json()
        assert api["ticket"]["details"]["rating"] == 5
        expect(agent.locator("#t-rating .rating-value")).to_have_text("5 分", timeout=8_000)
    finally:
        agent_context.close()

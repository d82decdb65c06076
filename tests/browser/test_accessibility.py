"""WCAG 2.1 AA in the pages people use, checked by axe-core in Chromium, and the keyboard alone: a customer
who taps a quick reply and keeps typing, an agent who signs in, picks a ticket and answers without a mouse.

No serious or critical violation may be found (tests/browser/a11y.py prints each one it finds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.a11y import audit, blocking, counts
from tests.browser.conftest import AGENT, PASSWORD, Site
from tests.browser.helpers import make_ticket, say

AUDITED: dict[str, dict[str, int]] = {}


@pytest.fixture(scope="module", autouse=True)
def report_counts() -> Iterator[None]:
    yield
    if AUDITED:  # the figures the note reports (reports/a11y/AXE.md)
        print("\naxe-core violations (nodes by impact):")
        for name, found in AUDITED.items():
            print(f"  {name}: {found}")


def assert_clean(page: Page, name: str) -> None:
    violations = audit(page)
    AUDITED[name] = counts(violations)
    bad = blocking(violations)
    assert not bad, f"{name}:\n" + "\n".join(str(v) for v in bad)


def focused(page: Page) -> str:
    """The focused element, as `tag#id.class` (body when focus was dropped)."""
    return page.evaluate("""() => { const e = document.activeElement;
        return e ? e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className)
        .trim().split(/\\s+/).join('.') : '') : 'none'; }""")


def keyboard_sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/console")
    expect(page.locator("#login-username")).to_be_focused()
    page.keyboard.type(AGENT)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("#me-name")).to_contain_text(AGENT)


def test_chat_page_and_quick_replies_by_keyboard(stack: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(stack.url)
    expect(page.locator(".tkf-status")).to_be_hidden(timeout=15_000)
    assert_clean(page, "chat page (empty)")
    say(page, "话费一直显示正在充值")
    say(page, "KM20261127004215")
    say(page, "3821")
    replies = page.locator(".tkf-replies .tkf-reply")
    expect(replies.first).to_be_visible()
    assert_clean(page, "chat page (a conversation with quick replies)")
    # Quick replies are buttons, reachable with Tab, pressed with Enter; focus then stays in the chat.
    assert replies.first.evaluate("e => e.tagName") == "BUTTON"
    replies.first.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".tkf-input")).to_be_focused()


def test_console_queue_case_and_reports(web_only: Site, context: BrowserContext) -> None:
    for i in range(3):
        make_ticket(web_only.app, f"a11y-conversation-{i:04d}-xyz", f"话费没到账，第 {i + 1} 个客户",
                    order_no="KM20261127004215" if i == 0 else None)
        web_only.app.conversations.record(f"a11y-conversation-{i:04d}-xyz", "recharge_stuck", "handed_off")
    web_only.app.conversations.record("a11y-solved-alone-0001", "charged_not_received", "solved")
    page = context.new_page()
    page.goto(f"{web_only.url}/console")
    expect(page.locator("#login-username")).to_be_visible()
    assert_clean(page, "console sign-in")
    keyboard_sign_in(page, web_only.url)
    # After sign-in the focus is in the console, not dropped on the page's body.
    assert not focused(page).startswith("body"), focused(page)
    rows = page.locator(".queue-row")
    expect(rows.first).to_be_visible()
    assert_clean(page, "console queue")
    # A queue row is a button: Enter opens the case and the focus moves to it.
    target = page.locator(".queue-row button, button.queue-row").first
    target.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#ticket-view h2")).to_be_visible()
    assert page.evaluate("() => document.getElementById('ticket-view').contains(document.activeElement)"), \
        focused(page)
    assert_clean(page, "case view")
    # Taken over (Rasa is down here: the claim stands and the notice says so): the reply box and its tools.
    page.get_by_role("button", name="接手", exact=True).click()
    expect(page.locator("#reply-text")).to_be_focused()  # claimed: the agent types at once
    page.keyboard.type("您好，我看一下")
    page.keyboard.press("Enter")
    expect(page.locator("#t-live .role-agent")).to_have_count(1)
    expect(page.locator("#reply-text")).to_be_focused()  # sent: the next line goes in the same box
    expect(page.locator("#reply-text")).to_have_value("")
    assert_clean(page, "case view (taken over)")
    # Every control in the case view has a name a screen reader can read.
    unnamed = page.evaluate("""() => [...document.querySelectorAll(
        '#ticket-view button, #ticket-view input, #ticket-view textarea, #ticket-view select')]
        .filter(e => !e.hidden && e.offsetParent !== null)
        .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
                     && !e.getAttribute('aria-labelledby') && !(e.textContent || '').trim())
        .map(e => e.outerHTML.slice(0, 120))""")
    assert unnamed == [], unnamed
    page.goto(f"{web_only.url}/console/reports")
    expect(page.get_by_role("button", name="查询")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.locator("table").first).to_be_visible()  # figures to show: charts and their tables
    assert_clean(page, "reports page")

"""What a customer and an agent do in the browser, written once for all the browser tests."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from playwright.sync_api import Locator, Page, expect

from topup.app import App
from topup.clock import utcnow
from topup.model import Complaint, StepRecord
from topup.services.handoff import HandoffRequest, HandoffResult
from topup.settings import DEMO_AGENT_PASSWORD

BOT = ".tkf-from-bot .tkf-bubble, .tkf-from-agent .tkf-bubble"
NOT_HELPED = re.compile(r"^(还是不行|还是没有)$")
STORE = "topup-chat:guest"


# ---- the customer -------------------------------------------------------------------------------------------------
def bot_messages(page: Page) -> Locator:
    return page.locator(BOT)


def send(page: Page, text: str) -> None:
    page.locator(".tkf-input").fill(text)
    page.get_by_role("button", name="发送", exact=True).click()


def say(page: Page, text: str, timeout_ms: int = 15_000) -> str:
    """Send a message and wait for the assistant's answer (all of it); the new bot text, joined."""
    before = bot_messages(page).count()
    send(page, text)
    return wait_for_bot(page, before, timeout_ms)


def wait_for_bot(page: Page, before: int, timeout_ms: int = 15_000) -> str:
    """Wait for bot messages after the first `before`, then until no more arrive for a moment."""
    expect(bot_messages(page)).not_to_have_count(before, timeout=timeout_ms)
    count = -1
    while count != bot_messages(page).count():  # Rasa sends a reply in several socket.io messages
        count = bot_messages(page).count()
        page.wait_for_timeout(400)
    return "\n".join(bot_messages(page).all_inner_texts()[before:])


def click_reply(page: Page, title: str | re.Pattern) -> str:
    """Click a quick-reply button and wait for the answer."""
    before = bot_messages(page).count()
    page.locator(".tkf-reply").filter(has_text=title).last.click()
    return wait_for_bot(page, before)


def session_id(page: Page, store: str = STORE) -> str | None:
    return page.evaluate("key => JSON.parse(localStorage.getItem(key + ':session'))", store)


# ---- the agent ----------------------------------------------------------------------------------------------------
def sign_in(page: Page, base_url: str, username: str = "xiaowang", password: str = DEMO_AGENT_PASSWORD) -> None:
    page.goto(f"{base_url}/console")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(password)
    page.get_by_role("button", name="登录").click()


def queue_row(page: Page, ticket_no: str) -> Locator:
    return page.locator(f'.queue-row[data-ticket="{ticket_no}"]')


def open_ticket(page: Page, ticket_no: str) -> None:
    queue_row(page, ticket_no).click()
    expect(page.locator("#ticket-view h2")).to_have_text(f"工单 {ticket_no}")


def queue_tab(page: Page, name: str) -> None:
    """Show one of the queue's tabs (待接手, 我的, 处理中, 已解决); a ticket an agent holds is not in 待接手."""
    tab = page.get_by_role("tab", name=re.compile(f"^{name}"))
    tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")


def search_queue(page: Page, text: str) -> None:
    """Search the queue by ticket number, order number or phone tail (in the tab shown; the tabs count matches)."""
    box = page.get_by_label("搜索工单")
    box.fill(text)
    box.press("Enter")


# ---- tickets straight into the database ---------------------------------------------------------------------------
def make_ticket(app: App, conversation_id: str, description: str, order_no: str | None = None,
                transcript: list[dict] | None = None, steps: list[StepRecord] | None = None,
                now: datetime | None = None) -> HandoffResult:
    """A handed-off case as the assistant would write it."""
    now = now or utcnow()
    at = (now - timedelta(minutes=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    request = HandoffRequest(
        conversation_id=conversation_id,
        order_no=order_no,
        verified=order_no is not None,
        complaint=Complaint.RECHARGE_STUCK,
        customer_description=description,
        reason="selfhelp_exhausted" if steps else "customer_request",
        steps=steps or [],
        transcript=transcript or [{"role": "customer", "text": description, "at": at, "intent": "recharge_stuck"}],
        claims_debit=True,
    )
    return app.handoffs.hand_off(request, now=now)

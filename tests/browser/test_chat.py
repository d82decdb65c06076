"""The customer's chat window against the real Rasa server over socket.io."""

from __future__ import annotations

from pathlib import Path

import requests
from playwright.sync_api import Browser, BrowserContext, expect

from tests.browser.conftest import Site
from tests.browser.helpers import bot_messages, say, send, session_id


def tracker_of(stack: Site, sid: str) -> dict:
    """The conversation as Rasa stores it (its HTTP API wants the token)."""
    url = f"{stack.rasa_url}/conversations/{sid}/tracker"
    return requests.get(url, params={"token": stack.rasa_token}, timeout=10).json()


def test_greeting_survives_a_reload(stack: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(stack.url)
    expect(page).to_have_title("充值客服")
    expect(page.locator(".tkf-input")).to_have_attribute("placeholder", "描述问题或输入订单号")

    reply = say(page, "你好")
    assert "小卡" in reply
    sid = session_id(page)
    assert sid
    tracker = tracker_of(stack, sid)
    assert "你好" in [e.get("text") for e in tracker["events"] if e.get("event") == "user"]  # same id on Rasa's side

    page.reload()
    expect(page.locator(".tkf-from-user .tkf-bubble")).to_have_text(["你好"])
    expect(bot_messages(page).first).to_contain_text("小卡")
    expect(page.locator(".tkf-status")).to_be_hidden()  # reconnected and confirmed
    assert session_id(page) == sid

    # Still the same conversation after the reload: Rasa answers in it, under the same id.
    assert say(page, "谢谢")
    tracker = tracker_of(stack, sid)
    assert [e.get("text") for e in tracker["events"] if e.get("event") == "user"][-2:] == ["你好", "谢谢"]


def test_long_message_is_cut_with_a_note(stack: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(stack.url)
    # The typing dots may come and go faster than a check can look: record whether they ever appeared.
    page.evaluate("""() => {
        window.__sawTyping = false;
        new MutationObserver(() => { if (document.querySelector(".tkf-typing")) window.__sawTyping = true; })
            .observe(document.body, {childList: true, subtree: true});
    }""")
    send(page, "充" * 1200)
    expect(page.locator(".tkf-from-note")).to_contain_text("只发送了前 1000 字")
    assert len(page.locator(".tkf-from-user .tkf-bubble").inner_text()) == 1000
    expect(bot_messages(page)).not_to_have_count(0, timeout=15_000)
    assert page.evaluate("window.__sawTyping")  # the dots showed while the assistant was working
    expect(page.locator(".tkf-typing")).to_have_count(0)


def test_mobile_chat_with_quick_replies(stack: Site, browser: Browser, screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.goto(stack.url)
        say(page, "话费一直显示正在充值")
        say(page, "KM20261127004215")
        say(page, "尾号3821")
        expect(page.locator(".tkf-reply")).to_have_text(["好了", "还是不行"])
        box = page.locator(".tkf-window").bounding_box()
        assert box and box["width"] == 390 and box["height"] == 844  # full screen on a phone
        png = screenshots / "chat.png"
        page.screenshot(path=str(png))
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    finally:
        context.close()


def test_demo_shop_embeds_the_widget_with_a_signed_customer(stack: Site, context: BrowserContext) -> None:
    page = context.new_page()
    page.goto(f"{stack.url}/demo-shop")
    expect(page.get_by_text("已登录：演示用户 138****3821")).to_be_visible()
    token = page.locator("script[data-customer-token]").get_attribute("data-customer-token")
    assert token and token.count(".") == 1
    page.get_by_role("button", name="打开在线客服").click()
    expect(page.locator(".tkf-window")).to_be_visible()
    assert "小卡" in say(page, "你好")
    sid = session_id(page, "topup-chat:c:demo-customer-1")
    tracker = tracker_of(stack, sid)
    user = [e for e in tracker["events"] if e.get("event") == "user"]
    assert user[-1]["metadata"]["customer_token"] == token  # the signed token reaches the assistant

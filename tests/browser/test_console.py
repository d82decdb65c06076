"""The agent console on its own (Rasa down): sign-in, expiry, logout, escaping, live updates, screenshots."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.sync_api import BrowserContext, expect

from tests.browser.conftest import PASSWORD, Site
from tests.browser.helpers import make_ticket, open_ticket, queue_row, sign_in
from topup.clock import utcnow
from topup.model import StepRecord

XSS = '<img src=x onerror="window.__xss=1">'


def test_wrong_password_is_refused(web_only: Site, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, web_only.url, password="not-the-password")
    expect(page.locator("#login-error")).to_have_text("用户名或密码不正确")
    expect(page.locator("#app-view")).to_be_hidden()

    response = context.request.post(f"{web_only.url}/api/login", data={"username": "xiaowang", "password": "nope"})
    assert response.status == 401
    assert response.json()["error"] == "用户名或密码不正确"
    assert "topup_console" not in {c["name"] for c in context.cookies()}
    assert context.request.get(f"{web_only.url}/api/tickets").status == 401


def test_expired_session_is_refused(web_only: Site, context: BrowserContext) -> None:
    # The server and this process share the signing secret: a fresh cookie made here is accepted...
    fresh = web_only.app.sessions.issue("xiaowang")
    context.add_cookies([{"name": "topup_console", "value": fresh, "url": web_only.url}])
    assert context.request.get(f"{web_only.url}/api/me").json()["username"] == "xiaowang"
    # ...so the expired one below is refused for being expired, not for a foreign signature.
    context.add_cookies([{"name": "topup_console", "value": web_only.app.sessions.issue("xiaowang", ttl_s=-10),
                          "url": web_only.url}])
    page = context.new_page()
    page.goto(f"{web_only.url}/console")
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator("#login-error")).to_have_text("登录已过期，请重新登录")
    expect(page.locator("#app-view")).to_be_hidden()

    response = context.request.get(f"{web_only.url}/api/tickets")
    assert response.status == 401
    assert response.json()["error"] == "登录已过期，请重新登录"
    assert context.request.get(f"{web_only.url}/api/events").status == 401


def test_sign_in_then_logout(web_only: Site, context: BrowserContext) -> None:
    page = context.new_page()
    sign_in(page, web_only.url)
    expect(page.locator("#me-name")).to_contain_text("小王")
    cookie = next(c for c in context.cookies() if c["name"] == "topup_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert context.request.get(f"{web_only.url}/api/me").json()["username"] == "xiaowang"

    page.get_by_role("button", name="退出登录").click()
    expect(page.locator("#login-form")).to_be_visible()
    expect(page.locator("#login-error")).to_be_hidden()
    assert context.request.get(f"{web_only.url}/api/me").status == 401
    page.reload()
    expect(page.locator("#login-form")).to_be_visible()


def test_customer_text_is_never_html(web_only: Site, context: BrowserContext) -> None:
    result = make_ticket(web_only.app, "browser-xss", XSS)
    page = context.new_page()
    sign_in(page, web_only.url)
    open_ticket(page, result.ticket_no)

    expect(page.locator(".customer-words")).to_have_text(XSS)
    expect(page.locator("#t-log .role-customer .line-text").first).to_have_text(XSS)
    assert page.get_by_text(XSS, exact=True).count() >= 2

    # A live message from the customer (written by the Rasa side during a takeover) arrives over SSE.
    page.get_by_role("button", name="接手", exact=True).click()
    expect(page.locator("#ticket-notice")).to_contain_text("没能通知到客户")  # Rasa is down: 502, claim stands
    assert web_only.app.handoffs.get_ticket(result.ticket_no).details["assigned_agent"] == "xiaowang"
    live = XSS.replace("__xss=1", "__xss=2")
    web_only.app.console.relay_customer_message("browser-xss", live)
    expect(page.locator("#t-live .role-customer .line-text")).to_have_text(live)

    assert page.evaluate("typeof window.__xss") == "undefined"
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#ticket-view img").count() == 0


def test_api_errors(web_only: Site, context: BrowserContext) -> None:
    result = make_ticket(web_only.app, "browser-api", "充值一直没到账")
    api = context.request
    assert api.post(f"{web_only.url}/api/login", data={"username": "xiaoli", "password": PASSWORD}).ok
    base = f"{web_only.url}/api/tickets"
    assert api.get(f"{base}/TK00000000000000").status == 404
    assert api.post(f"{base}/TK00000000000000/claim").status == 404
    assert api.post(f"{base}/{result.ticket_no}/reply", data={"text": "你好"}).status == 409  # not claimed yet
    claim = api.post(f"{base}/{result.ticket_no}/claim")
    assert claim.status == 502 and claim.json()["ticket"]["details"]["assigned_agent"] == "xiaoli"
    assert api.post(f"{base}/{result.ticket_no}/reply", data={"text": "   "}).status == 400
    assert api.post(f"{base}/{result.ticket_no}/reply", data={"text": "长" * 2001}).status == 400
    reply = api.post(f"{base}/{result.ticket_no}/reply", data={"text": "您好"})
    assert reply.status == 502 and reply.json()["message"]["text"] == "您好"  # stored, Rasa unreachable
    assert api.post(f"{base}/{result.ticket_no}/resolve", data={"resolution": ""}).status == 400
    assert api.post(f"{base}/{result.ticket_no}/resolve", data={"resolution": "已补充值"}).status == 502
    assert api.post(f"{base}/{result.ticket_no}/resolve", data={"resolution": "再来一次"}).status == 409
    detail = api.get(f"{base}/{result.ticket_no}").json()
    assert detail["ticket"]["status"] == "resolved" and detail["ticket"]["created_at"].endswith("Z")
    assert [m["role"] for m in detail["messages"]] == ["agent", "system"]


def test_console_screenshots(web_only: Site, context: BrowserContext, screenshots: Path) -> None:
    steps = [StepRecord("refresh_relogin", "not_helped"), StepRecord("check_account", "not_helped")]
    now = utcnow()
    transcript = [
        {"role": "customer", "text": "话费一直显示正在充值，钱都扣了", "at": None},
        {"role": "assistant", "text": "麻烦把订单号发我一下，是 KM 开头的 16 位。", "at": None},
        {"role": "customer", "text": "KM20261127004215 尾号3821", "at": None},
        {"role": "assistant", "text": "查到了：您的中国移动话费（100元）已经付款成功，还在充值中……", "at": None},
        {"role": "customer", "text": "刷新了还是不行", "at": None},
    ]
    result = make_ticket(web_only.app, "browser-screenshot", "话费一直显示正在充值，钱都扣了",
                         order_no="KM20261127004215", transcript=transcript, steps=steps,
                         now=now - timedelta(minutes=6))
    page = context.new_page()
    sign_in(page, web_only.url)
    row = queue_row(page, result.ticket_no)
    expect(row).to_contain_text("KM20261127004215")
    expect(row).to_contain_text("高")
    expect(row).to_contain_text("100 元")
    expect(row).to_contain_text("等待 6 分钟")
    queue_png = screenshots / "console-queue.png"
    page.screenshot(path=str(queue_png))

    open_ticket(page, result.ticket_no)
    expect(page.locator("#t-summary")).to_contain_text("高优先")
    expect(page.locator(".steps")).to_contain_text("刷新页面或重新登录")
    expect(page.locator(".steps .outcome-not_helped")).to_have_count(2)
    ticket_png = screenshots / "console-ticket.png"
    page.screenshot(path=str(ticket_png))

    for png in (queue_png, ticket_png):
        data = png.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000

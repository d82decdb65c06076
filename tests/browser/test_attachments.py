"""The payment screenshot, in real browsers on the whole assistant: the customer sends it from the chat page and
sees it (also after a reload); an SVG and a 20 MB file are refused in Chinese and nothing is kept; the agent sees
it in the case (sent before the handoff, and live after it) and sends an image back, which the customer sees."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests import images
from tests.browser.conftest import DESKTOP, Site
from tests.browser.helpers import make_ticket, open_ticket, say, session_id, sign_in
from topup.dialogue.responses import render

ORDER = "KM20261127004215"
USER_IMAGES = ".tkf-from-user .tkf-image-thumb"
AGENT_IMAGES = ".tkf-from-agent .tkf-image-thumb"
NOTES = ".tkf-from-note .tkf-bubble"


def choose(page: Page, selector: str, name: str, mime: str, data: bytes) -> None:
    page.set_input_files(selector, files=[{"name": name, "mimeType": mime, "buffer": data}])


def loaded(page: Page, selector: str, count: int) -> None:
    """`count` such images on the page, each really fetched and decoded (a refused fetch has no width)."""
    expect(page.locator(selector)).to_have_count(count)
    page.wait_for_function("s => [...document.querySelectorAll(s)].every(i => i.complete && i.naturalWidth > 0)",
                           arg=selector, timeout=10_000)


def stored(site: Site, conversation_id: str) -> int:
    return len(site.app.attachments.for_conversations([conversation_id]))


def test_screenshot_from_the_chat_to_the_case_and_an_image_back(stack: Site, context: BrowserContext,
                                                                browser: Browser, screenshots: Path) -> None:
    customer = context.new_page()
    customer.goto(stack.url)
    say(customer, "话费充了一直没到账")
    conversation = session_id(customer)
    assert conversation

    # The button is there, labelled, and takes only pictures.
    attach = customer.get_by_role("button", name="发图片", exact=True)
    expect(attach).to_be_visible()
    assert customer.locator(".tkf-file").get_attribute("accept") == "image/png,image/jpeg,image/webp"

    # A real screenshot before any handoff: shown in the chat, kept with the conversation, GPS gone.
    choose(customer, ".tkf-file", "支付截图.png", "image/png", images.payment_screenshot())
    loaded(customer, USER_IMAGES, 1)
    expect(customer.locator(".tkf-from-bot .tkf-bubble").last).to_have_text(render("utter_attachment_kept", {}))
    assert stored(stack, conversation) == 1
    first = stack.app.attachments.for_conversations([conversation])[0]
    _, path = stack.app.attachments.open(first.token)
    assert images.SECRET_CAMERA.encode() not in path.read_bytes()

    # An SVG and a 20 MB file: refused in Chinese, nothing kept.
    choose(customer, ".tkf-file", "pay.svg", "image/svg+xml", images.SVG)
    expect(customer.locator(NOTES).last).to_contain_text("只能发送图片（PNG、JPG 或 WebP）")
    choose(customer, ".tkf-file", "huge.png", "image/png", images.big())
    expect(customer.locator(NOTES).last).to_contain_text("图片太大了，请压缩到 8 MB 以内再发")
    expect(attach).to_be_enabled()
    assert stored(stack, conversation) == 1
    assert len([p for p in stack.app.attachments.directory.rglob("*") if p.is_file()]) == 1

    # A reload keeps the picture (it is fetched again with the conversation's session).
    customer.reload()
    loaded(customer, USER_IMAGES, 1)

    # The handoff: the case shows the screenshot sent before it.
    ticket_no = make_ticket(stack.app, conversation, "话费充了一直没到账", order_no=ORDER).ticket_no
    agent_context = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    agent_context.set_default_timeout(10_000)
    try:
        agent = agent_context.new_page()
        sign_in(agent, stack.url)
        open_ticket(agent, ticket_no)
        loaded(agent, "#t-attachments .thumb-img", 1)
        expect(agent.locator("#t-attachments .attachment-meta")).to_contain_text("客户")

        # Now there is a ticket: the next one goes onto it and reaches the agent live.
        choose(customer, ".tkf-file", "银行扣款.jpg", "image/jpeg", images.bank_screenshot())
        loaded(customer, USER_IMAGES, 2)
        expect(customer.locator(".tkf-from-bot .tkf-bubble").last).to_have_text(
            render("utter_attachment_received", {}))
        loaded(agent, "#t-live .line-image .thumb-img", 1)
        loaded(agent, "#t-attachments .thumb-img", 2)

        # The agent takes over and sends an image back; the customer sees it with the agent's badge.
        with agent.expect_response(lambda r: r.url.endswith("/claim")) as claimed:
            agent.locator("#claim-btn").click()
        assert claimed.value.status == 200
        expect(agent.get_by_role("button", name="发图片", exact=True)).to_be_visible()
        with agent.expect_response(lambda r: r.url.endswith("/attachments")) as sent:
            choose(agent, "#attach-file", "充值记录.png", "image/png", images.topup_record())
        assert sent.value.status == 200, sent.value.text()
        loaded(customer, AGENT_IMAGES, 1)
        expect(customer.locator(".tkf-from-agent .tkf-badge").last).to_have_text("人工客服")
        loaded(agent, "#t-attachments .thumb-img", 3)
        loaded(agent, "#t-live .line-image .thumb-img", 2)

        # Somebody else's browser cannot fetch any of them.
        stranger = browser.new_context()
        try:
            for attachment in stack.app.attachments.for_ticket(ticket_no):
                assert stranger.request.get(f"{stack.url}{attachment.url}?session=x{conversation[1:]}").status == 404
                assert stranger.request.get(f"{stack.url}{attachment.url}").status == 404
        finally:
            stranger.close()

        agent.locator("#t-attachments").scroll_into_view_if_needed()
        png = screenshots / "console-attachment.png"
        agent.screenshot(path=str(png))
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 10_000
    finally:
        agent_context.close()

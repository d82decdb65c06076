"""Images over HTTP, with aiohttp's test server and a pretend Rasa: the customer's upload (onto the ticket when there
is one), refusals in Chinese without keeping anything, who may fetch an image, and the agent's image back."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import BodyPartReader, web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from tests import images
from tests.appkit import make_app
from topup.app import App
from topup.dialogue.responses import render
from topup.model import Complaint
from topup.services.handoff import HandoffRequest
from topup.settings import ROOT
from web.app import create_app

PASSWORD = "demo-agent-pass"
SESSION = "b3c1f0a2d4e5f60718293a4b5c6d7e8f"  # what Rasa's socket.io gives a browser
STRANGER = "ffffffffffffffffffffffffffffffff"
FORMATS = re.compile(r"PNG|JPG|WebP|MB")  # the names customers know the formats by


def english(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]{3,}", FORMATS.sub("", text)))


@dataclass
class FakeRasa:
    ran: list[tuple[str, str]] = field(default_factory=list)

    async def execute(self, request: web.Request) -> web.Response:
        self.ran.append((request.match_info["conversation_id"], (await request.json())["name"]))
        return web.json_response({"tracker": {}})


@dataclass
class Site:
    app: App
    rasa: FakeRasa
    customer: TestClient  # no cookie: only the session id in the URL
    agents: dict[str, TestClient]

    def ticket(self, conversation_id: str = SESSION) -> str:
        return self.app.handoffs.hand_off(HandoffRequest(
            conversation_id=conversation_id, order_no="KM20261127004215", verified=True,
            complaint=Complaint.RECHARGE_STUCK, customer_description="钱扣了话费没到", reason="customer_request",
        )).ticket_no

    def stored(self) -> tuple[int, list[Path]]:
        folder = self.app.attachments.directory
        return (len(self.app.attachments.for_conversations([SESSION, STRANGER])),
                [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else [])


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    rasa = FakeRasa()
    fake = web.Application()
    fake.add_routes([web.post("/conversations/{conversation_id}/execute", rasa.execute)])
    rasa_server = TestServer(fake)
    await rasa_server.start_server()
    app = make_app(tmp_path, TOPUP_RASA_URL=str(rasa_server.make_url("")).rstrip("/"), TOPUP_CHAT_RATE="5/60")
    server = TestServer(create_app(app))
    await server.start_server()
    customer = TestClient(server)
    await customer.start_server()
    agents = {}
    for username in ("xiaowang", "xiaoli"):
        client = TestClient(server)
        await client.start_server()
        assert (await client.post("/api/login", json={"username": username, "password": PASSWORD})).status == 200
        agents[username] = client
    yield Site(app, rasa, customer, agents)
    for client in (customer, *agents.values()):
        await client.close()
    await rasa_server.close()
    app.close()


def form(data: bytes, filename: str = "截图.png", content_type: str = "image/png",
         name: str = "file") -> aiohttp.FormData:
    body = aiohttp.FormData()
    body.add_field(name, data, filename=filename, content_type=content_type)
    return body


async def upload(client: TestClient, data: bytes, session: str = SESSION, **kwargs: str) -> tuple[int, dict]:
    response = await client.post(f"/api/chat/attachments?session={session}", data=form(data, **kwargs))
    return response.status, await response.json()


# --- the customer's upload -----------------------------------------------------------------------------------

async def test_before_a_handoff_the_image_is_kept_with_the_conversation(site: Site) -> None:
    status, body = await upload(site.customer, images.png())
    assert status == 201, body
    assert body["text"] == render("utter_attachment_kept", {}) and body["ticket_no"] is None
    assert body["attachment"]["url"] == f"/api/attachments/{body['attachment']['token']}"
    assert "conversation_id" not in body["attachment"]  # the customer's key is never echoed into a page

    # The handoff comes later: the case view lists the image sent before it.
    ticket_no = site.ticket()
    detail = await (await site.agents["xiaowang"].get(f"/api/tickets/{ticket_no}")).json()
    assert [a["token"] for a in detail["attachments"]] == [body["attachment"]["token"]]


async def test_with_an_open_ticket_the_image_goes_onto_it_for_the_agent_live(site: Site) -> None:
    ticket_no = site.ticket()
    status, body = await upload(site.customer, images.jpeg())
    assert status == 201 and body["ticket_no"] == ticket_no
    assert body["text"] == render("utter_attachment_received", {})
    token = body["attachment"]["token"]
    detail = await (await site.agents["xiaoli"].get(f"/api/tickets/{ticket_no}")).json()
    line = detail["messages"][-1]
    assert (line["role"], line["text"], line["attachment"]) == ("customer", "[图片]", token)
    assert detail["attachments"][0]["ticket_no"] == ticket_no and detail["attachments"][0]["role"] == "customer"
    assert [m.attachment for m in site.app.console.messages_since(0)] == [token]  # what /api/events pushes


@pytest.mark.parametrize(("data", "filename", "content_type", "status", "words"), [
    pytest.param(images.SVG, "pay.svg", "image/svg+xml", 415, "只能发送图片", id="svg"),
    pytest.param(images.HTML, "截图.png", "image/png", 415, "只能发送图片", id="html named png"),
    pytest.param(images.PNG_SIGNATURE + images.HTML, "截图.png", "image/png", 422, "打不开", id="png header on html"),
    pytest.param(images.bomb(), "big.png", "image/png", 422, "尺寸太大", id="decompression bomb"),
    pytest.param(images.big(), "huge.png", "image/png", 413, "请压缩到 8 MB 以内", id="20 MB"),
])
async def test_refused_in_chinese_and_nothing_is_kept(site: Site, data: bytes, filename: str, content_type: str,
                                                      status: int, words: str) -> None:
    got, body = await upload(site.customer, data, filename=filename, content_type=content_type)
    assert got == status and words in body["error"], body
    assert not english(body["error"])
    assert site.stored() == (0, [])


async def test_a_20_mb_stream_is_given_up_after_the_limit_not_read_to_the_end(
        site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    read = []
    original = BodyPartReader.read_chunk

    async def counting(self: BodyPartReader, size: int = BodyPartReader.chunk_size) -> bytes:
        chunk = await original(self, size)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(BodyPartReader, "read_chunk", counting)
    twenty = images.big()

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the count is the only guard
        boundary = b"--x-boundary\r\n"
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="a.png"\r\n'
        yield b"Content-Type: image/png\r\n\r\n"
        for start in range(0, len(twenty), 1 << 20):
            yield twenty[start:start + (1 << 20)]
        yield b"\r\n--x-boundary--\r\n"

    response = await site.customer.post(f"/api/chat/attachments?session={SESSION}", data=chunks(),
                                        headers={"Content-Type": "multipart/form-data; boundary=x-boundary"})
    assert response.status == 413 and "8 MB" in (await response.json())["error"]
    limit = site.app.settings.attachment_max_bytes
    assert limit < sum(read) <= limit + 64 * 1024  # the handler stopped one chunk past the limit
    assert site.stored() == (0, [])


@pytest.mark.parametrize(("session", "body", "headers"), [
    pytest.param("short", None, None, id="no session"),
    pytest.param("../../etc", None, None, id="odd session"),
    pytest.param(SESSION, b'{"file": "iVBORw0KGgo="}', {"Content-Type": "application/json"}, id="json"),
])
async def test_a_malformed_upload_gets_a_chinese_answer(site: Site, session: str, body: bytes | None,
                                                        headers: dict | None) -> None:
    response = await site.customer.post(f"/api/chat/attachments?session={session}",
                                        data=body if body is not None else form(images.png()), headers=headers)
    assert response.status in (400, 503)
    assert not english((await response.json())["error"])
    assert site.stored() == (0, [])


async def test_the_file_must_be_in_the_file_field(site: Site) -> None:
    status, body = await upload(site.customer, images.png(), name="image")
    assert status == 400 and "只能发送图片" in body["error"]


async def test_a_flood_of_images_slows_down(site: Site) -> None:
    answers = [await upload(site.customer, images.png()) for _ in range(6)]  # TOPUP_CHAT_RATE=5/60
    assert [status for status, _ in answers] == [201] * 5 + [429]
    assert "稍等" in answers[-1][1]["error"]


# --- fetching ------------------------------------------------------------------------------------------------

async def test_only_the_conversations_customer_and_agents_can_fetch_an_image(site: Site) -> None:
    _, body = await upload(site.customer, images.png())
    url = body["attachment"]["url"]
    response = await site.customer.get(f"{url}?session={SESSION}")
    assert response.status == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == "inline"
    assert response.headers["Cache-Control"].startswith("private")
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    picture = Image.open(io.BytesIO(await response.read()))
    assert picture.format == "PNG" and not picture.getexif()

    assert (await site.agents["xiaoli"].get(url)).status == 200  # any signed-in agent
    unknown = await site.customer.get(f"/api/attachments/{'A' * 43}?session={SESSION}")
    refusals = [await site.customer.get(f"{url}?session={STRANGER}"), await site.customer.get(url), unknown,
                await site.customer.get("/api/attachments/..%2F..%2Fsecrets.env")]
    assert [r.status for r in refusals] == [404] * 4
    assert len({await r.text() for r in refusals[:3]}) == 1  # a stranger cannot tell "not yours" from "none"
    assert not str(site.app.attachments.directory).startswith(str(ROOT / "web"))
    assert (await site.customer.get(f"/static/{body['attachment']['token']}")).status == 404


# --- the agent's image back ----------------------------------------------------------------------------------

async def test_the_holder_sends_an_image_and_it_is_delivered_like_a_reply(site: Site) -> None:
    ticket_no = site.ticket()
    wang, li = site.agents["xiaowang"], site.agents["xiaoli"]
    path = f"/api/tickets/{ticket_no}/attachments"
    assert (await site.customer.post(path, data=form(images.png()))).status == 401
    assert (await wang.post(path, data=form(images.png()))).status == 409  # not claimed yet
    assert (await wang.post(f"/api/tickets/{ticket_no}/claim")).status == 200
    refused = await li.post(path, data=form(images.png()))
    assert refused.status == 409 and "接手" in (await refused.json())["error"]
    svg = await wang.post(path, data=form(images.SVG, "a.svg", "image/svg+xml"))
    assert svg.status == 415 and "只能发送图片" in (await svg.json())["error"]
    assert site.stored() == (0, [])

    sent = await wang.post(path, data=form(images.webp(), "reply.webp", "image/webp"))
    body = await sent.json()
    assert sent.status == 200, body
    assert site.rasa.ran[-2:] == [(SESSION, "action_deliver_agent_messages"), (SESSION, "action_listen")]
    token = body["attachment"]["token"]
    assert (body["message"]["role"], body["message"]["attachment"]) == ("agent", token)
    waiting = site.app.console.take_undelivered(SESSION)  # what the deliver action shows the customer
    assert [(m.author, m.attachment) for m in waiting] == [("xiaowang", token)]

    # The customer's page fetches it with its session; another conversation's page cannot.
    assert (await site.customer.get(f"{body['attachment']['url']}?session={SESSION}")).status == 200
    assert (await site.customer.get(f"{body['attachment']['url']}?session={STRANGER}")).status == 404
    detail = await (await li.get(f"/api/tickets/{ticket_no}")).json()
    assert [(a["role"], a["author"]) for a in detail["attachments"]] == [("agent", "xiaowang")]


async def test_the_balancer_lets_the_largest_allowed_image_through_to_the_app(site: Site) -> None:
    template = (ROOT / "ops" / "deploy" / "nginx" / "nginx.conf.template").read_text(encoding="utf-8")
    web_server = template.split("listen {{web_listen}};")[1]
    limit = re.search(r"client_max_body_size (\d+)m;", web_server)
    assert limit and int(limit.group(1)) * 1024 * 1024 > 25 * 1024 * 1024 >= site.app.settings.attachment_max_bytes
    assert "proxy_request_buffering off;" in web_server

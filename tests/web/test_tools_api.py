"""The agent tools' API with aiohttp's test server and a pretend Rasa that records what the console asks it to
run: canned replies, notes, transfer (the customer hears the new agent), release, refusals in Chinese."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from tests.appkit import make_app
from topup.app import App
from topup.model import Complaint
from topup.services.console import TicketConflict
from topup.services.handoff import HandoffRequest
from web.api import _conflict_message
from web.app import create_app
from web.context import TOPUP

PASSWORD = "demo-agent-pass"
ENGLISH = re.compile(r"[A-Za-z]{3,}")


@dataclass
class FakeRasa:
    ran: list[tuple[str, str]] = field(default_factory=list)
    unknown: set[str] = field(default_factory=set)

    async def execute(self, request: web.Request) -> web.Response:
        name = (await request.json())["name"]
        if name in self.unknown:
            return web.json_response({"message": "action not found"}, status=500)
        self.ran.append((request.match_info["conversation_id"], name))
        return web.json_response({"tracker": {}})


@dataclass
class Console:
    rasa: FakeRasa
    app: App
    agents: dict[str, TestClient]

    def ticket(self, conversation_id: str = "conv-api") -> str:
        return self.app.handoffs.hand_off(HandoffRequest(
            conversation_id=conversation_id, order_no=None, verified=False, complaint=Complaint.RECHARGE_STUCK,
            customer_description="一直在充值", reason="customer_request", steps=[],
            transcript=[{"role": "customer", "text": "一直在充值", "at": "2026-11-28T07:58:00Z"}],
        )).ticket_no


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    rasa = FakeRasa()
    fake = web.Application()
    fake.add_routes([web.post("/conversations/{conversation_id}/execute", rasa.execute)])
    rasa_server = TestServer(fake)
    await rasa_server.start_server()
    app = make_app(tmp_path, TOPUP_RASA_URL=str(rasa_server.make_url("")).rstrip("/"))
    server = TestServer(create_app(app))
    await server.start_server()
    agents = {}
    for username in ("xiaowang", "xiaoli"):
        client = TestClient(server)  # one cookie jar per agent, on the same server
        await client.start_server()
        response = await client.post("/api/login", json={"username": username, "password": PASSWORD})
        assert response.status == 200
        agents[username] = client
    yield Console(rasa, app, agents)
    for client in agents.values():
        await client.close()
    await rasa_server.close()
    server.app[TOPUP].close()


async def test_canned_replies_round_trip(console: Console) -> None:
    wang = console.agents["xiaowang"]
    assert (await (await wang.get("/api/canned")).json()) == {"replies": []}
    created = await wang.post("/api/canned", json={"title": "稍等核实", "text": "正在核实 {订单号}",
                                                   "shortcut": "/Wait"})
    assert created.status == 201
    reply = (await created.json())["reply"]
    assert (reply["shortcut"], reply["updated_by"]) == ("wait", "xiaowang")

    li = console.agents["xiaoli"]  # shared by every agent, editable by every agent
    taken = await li.post("/api/canned", json={"title": "又一个", "text": "内容", "shortcut": "wait"})
    assert taken.status == 400
    assert (await taken.json()) == {"error": "这个快捷键已经被别的快捷回复用了，请换一个", "code": "shortcut_taken",
                                    "field": "shortcut"}
    changed = await li.put(f"/api/canned/{reply['id']}", json={"title": "稍等", "text": "马上查", "shortcut": ""})
    assert (await changed.json())["reply"]["updated_by"] == "xiaoli"
    listed = (await (await wang.get("/api/canned")).json())["replies"]
    assert [(r["title"], r["shortcut"]) for r in listed] == [("稍等", "")]
    assert (await wang.delete(f"/api/canned/{reply['id']}")).status == 200
    gone = await li.put(f"/api/canned/{reply['id']}", json={"title": "稍等", "text": "马上查"})
    assert gone.status == 404 and "删除" in (await gone.json())["error"]
    assert (await li.delete("/api/canned/abc")).status == 404


@pytest.mark.parametrize("body", [{}, {"title": "", "text": "x"}, {"title": "标题", "text": "x" * 2001},
                                  {"title": "标题", "text": "内容", "shortcut": "等等"}, [1, 2]])
async def test_canned_refusals_are_chinese(console: Console, body: object) -> None:
    response = await console.agents["xiaowang"].post("/api/canned", json=body)
    assert response.status == 400
    assert not ENGLISH.search((await response.json())["error"])


async def test_signed_out_gets_nothing(console: Console) -> None:
    stranger = TestClient(console.agents["xiaowang"].server)
    await stranger.start_server()
    try:
        for method, path in [("GET", "/api/canned"), ("POST", "/api/canned"), ("GET", "/api/agents"),
                             ("POST", "/api/tickets/TK1/notes"), ("POST", "/api/tickets/TK1/release")]:
            assert (await stranger.request(method, path, json={})).status == 401
    finally:
        await stranger.close()


async def test_note_is_stored_and_never_sent_to_rasa(console: Console) -> None:
    ticket_no = console.ticket()
    wang = console.agents["xiaowang"]
    response = await wang.post(f"/api/tickets/{ticket_no}/notes", json={"text": "客户情绪很急，优先处理"})
    assert response.status == 201
    assert (await response.json())["message"]["role"] == "note"
    assert console.rasa.ran == []  # nothing runs in the customer's conversation
    assert console.app.console.take_undelivered("conv-api") == []
    empty = await wang.post(f"/api/tickets/{ticket_no}/notes", json={"text": "  "})
    assert (empty.status, (await empty.json())["error"]) == (400, "请先写下备注内容")
    missing = await wang.post("/api/tickets/TK-nope/notes", json={"text": "备注"})
    assert (missing.status, (await missing.json())["error"]) == (404, "没有找到这个工单")


async def test_transfer_tells_the_customer_the_new_name(console: Console) -> None:
    ticket_no = console.ticket()
    wang, li = console.agents["xiaowang"], console.agents["xiaoli"]
    assert (await wang.post(f"/api/tickets/{ticket_no}/claim")).status == 200
    console.rasa.ran.clear()
    agents = (await (await wang.get("/api/agents")).json())["agents"]
    assert {(a["username"], a["display_name"], a["me"]) for a in agents} == {("xiaowang", "小王", True),
                                                                            ("xiaoli", "小李", False)}
    refused = await li.post(f"/api/tickets/{ticket_no}/transfer", json={"to": "xiaoli"})
    assert (refused.status, (await refused.json())["error"]) == (409, "这个工单已经由小王接手了")
    to_self = await wang.post(f"/api/tickets/{ticket_no}/transfer", json={"to": "xiaowang"})
    assert (to_self.status, (await to_self.json())["error"]) == (409, "工单已经在您手上了，请选一位其他同事")
    unknown = await wang.post(f"/api/tickets/{ticket_no}/transfer", json={"to": "nobody"})
    assert unknown.status == 400 and not ENGLISH.search((await unknown.json())["error"])
    moved = await wang.post(f"/api/tickets/{ticket_no}/transfer", json={"to": "xiaoli"})
    assert moved.status == 200
    assert (await moved.json())["ticket"]["details"]["assigned_agent_name"] == "小李"
    assert console.rasa.ran == [("conv-api", "action_agent_joined"), ("conv-api", "utter_agent_joined"),
                                ("conv-api", "action_listen")]
    # the old holder can no longer reply, the new one can
    late = await wang.post(f"/api/tickets/{ticket_no}/reply", json={"text": "还在吗"})
    assert (late.status, (await late.json())["error"]) == (409, "请先接手这个工单，再回复客户")
    assert (await li.post(f"/api/tickets/{ticket_no}/reply", json={"text": "您好，我是小李"})).status == 200


async def test_release_asks_no_rating_and_reopens(console: Console) -> None:
    ticket_no = console.ticket()
    wang, li = console.agents["xiaowang"], console.agents["xiaoli"]
    await wang.post(f"/api/tickets/{ticket_no}/claim")
    console.rasa.ran.clear()
    not_holder = await li.post(f"/api/tickets/{ticket_no}/release")
    assert (not_holder.status, (await not_holder.json())["error"]) == (409, "这个工单已经由小王接手了")
    released = await wang.post(f"/api/tickets/{ticket_no}/release")
    assert released.status == 200
    assert (await released.json())["ticket"]["status"] == "open"
    names = [name for _, name in console.rasa.ran]
    assert names == ["action_agent_released", "utter_agent_released", "action_listen"]
    assert "utter_ask_rating" not in names
    again = await wang.post(f"/api/tickets/{ticket_no}/release")
    assert (again.status, (await again.json())["error"]) == (409, "这个工单现在没有人在处理，请先接手")


async def test_rasa_missing_the_step_keeps_the_release(console: Console) -> None:
    ticket_no = console.ticket()
    wang = console.agents["xiaowang"]
    await wang.post(f"/api/tickets/{ticket_no}/claim")
    console.rasa.unknown.add("action_agent_released")
    released = await wang.post(f"/api/tickets/{ticket_no}/release")
    body = await released.json()
    assert released.status == 502 and body["ticket"]["status"] == "open"
    assert body["error"].startswith("工单已放回队列")
    assert console.app.handoffs.get_ticket(ticket_no).details["assigned_agent"] is None


async def test_losing_a_claim_race_is_chinese(console: Console) -> None:
    ticket_no = console.ticket()
    await console.agents["xiaowang"].post(f"/api/tickets/{ticket_no}/claim")
    lost = await console.agents["xiaoli"].post(f"/api/tickets/{ticket_no}/claim")
    assert (lost.status, (await lost.json())["error"]) == (409, "这个工单已经由小王接手了")


@pytest.mark.parametrize(("reason", "said"), [
    ("claimed by someone else", "这个工单刚刚被其他同事接手了"),  # lost the compare-and-set a moment ago
    ("claimed by xiaowang", "这个工单已经由小王接手了"),
    ("claimed by removed-account", "这个工单刚刚被其他同事接手了"),
    ("changed meanwhile", "工单刚刚被转交或放回队列了，请看一下最新状态"),
    ("some reason nobody mapped yet", "工单状态刚刚变了，请刷新后再试"),
])
def test_every_conflict_is_worded_in_chinese(console: Console, reason: str, said: str) -> None:
    request = make_mocked_request("POST", "/api/tickets/TK1/claim", app=console.agents["xiaowang"].server.app)
    assert _conflict_message(request, TicketConflict(reason)) == said

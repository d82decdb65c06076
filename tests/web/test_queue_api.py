"""The queue's API and its live stream with aiohttp's test server: one page per request, refusals in Chinese, and
a `queue` event that says the queue changed (never carries it), beside the unchanged `message` events."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from ops.bench.queue import add_tickets, ticket_row
from tests.appkit import make_app
from topup.app import App
from topup.clock import utcnow
from web.app import create_app

PASSWORD = "demo-agent-pass"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient]:
    app = make_app(tmp_path, TOPUP_RASA_URL="http://127.0.0.1:9")
    async with TestClient(TestServer(create_app(app))) as test_client:
        assert (await test_client.post("/api/login", json={"username": "xiaowang", "password": PASSWORD})).ok
        test_client.topup = app  # type: ignore[attr-defined]
        yield test_client
    app.close()


def seed(app: App, count: int, **fields: object) -> list[str]:
    now = utcnow()
    return add_tickets(app.engine, [ticket_row(f"KM20261128{i:06d}", now - timedelta(minutes=count - i), **fields)
                                    for i in range(count)])


async def test_signed_out_gets_nothing(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    async with TestClient(TestServer(create_app(app))) as anonymous:
        response = await anonymous.get("/api/tickets")
        assert response.status == 401 and CHINESE.search((await response.json())["error"])
    app.close()


async def test_a_page_not_the_whole_queue(client: TestClient) -> None:
    made = seed(client.topup, 60)
    body = await (await client.get("/api/tickets")).json()
    assert (body["tab"], body["page"], body["pages"], body["per_page"]) == ("open", 1, 2, 50)
    assert (body["first"], body["last"], body["total"]) == (1, 50, 60)
    assert body["counts"] == {"open": 60, "mine": 0, "in_progress": 0, "resolved": 0}
    assert [t["ticket_no"] for t in body["tickets"]] == made[:50]  # the longest waiting first
    row = body["tickets"][0]
    assert "transcript" not in json.dumps(row) and "details" not in row
    assert (row["order_no"], row["phone_tail"], row["amount_cents"], row["complaint"]) == (
        "KM20261128000000", "3821", 10000, "recharge_stuck")
    assert row["created_at"].endswith("Z") and body["now"].endswith("Z")
    second = await (await client.get("/api/tickets?page=2")).json()
    assert [t["ticket_no"] for t in second["tickets"]] == made[50:] and (second["first"], second["last"]) == (51, 60)


async def test_search_and_filters_through_the_query_string(client: TestClient) -> None:
    made = seed(client.topup, 3)
    high = seed(client.topup, 1, priority="high", complaint="refund_request", tail="5566")[0]
    found = await (await client.get("/api/tickets", params={"q": "km20261128000001"})).json()
    assert [t["ticket_no"] for t in found["tickets"]] == [made[1]]
    by_tail = await (await client.get("/api/tickets", params={"q": "5566"})).json()
    assert [t["ticket_no"] for t in by_tail["tickets"]] == [high]
    filtered = await (await client.get("/api/tickets", params={"priority": "high", "complaint": "refund_request",
                                                               "age": "", "page": ""})).json()
    assert [t["ticket_no"] for t in filtered["tickets"]] == [high]


@pytest.mark.parametrize("params, code", [
    ({"tab": "everything"}, "bad_tab"), ({"q": "K" * 65}, "bad_q"), ({"priority": "urgent"}, "bad_priority"),
    ({"complaint": "<script>"}, "bad_complaint"), ({"tab": "resolved", "age": "30m"}, "bad_age"),
    ({"page": "0"}, "bad_page"), ({"page": "二"}, "bad_page"), ({"page": "-1"}, "bad_page"),
    ({"page": "9" * 40}, "bad_page"), ({"current": "T" * 40}, "bad_current"),
])
async def test_a_wrong_query_gets_a_chinese_answer(client: TestClient, params: dict, code: str) -> None:
    response = await client.get("/api/tickets", params=params)
    body = await response.json()
    assert response.status == 400 and body["code"] == code and CHINESE.search(body["error"]), body


async def test_the_open_ticket_mark_matches_the_case_view(client: TestClient) -> None:
    ticket = seed(client.topup, 1, status="in_progress", agent="xiaowang")[0]
    listed = await (await client.get("/api/tickets", params={"tab": "resolved", "current": ticket})).json()
    detail = await (await client.get(f"/api/tickets/{ticket}")).json()
    assert listed["tickets"] == []  # not on this page...
    assert listed["current"] == {"ticket_no": ticket, "status": "in_progress",  # ...and still known to change
                                 "updated_at": detail["ticket"]["details"]["updated_at"], "assigned_agent": "xiaowang"}


async def _events(response: ClientResponse) -> AsyncIterator[tuple[str, dict]]:
    event = None
    while True:
        line = (await asyncio.wait_for(response.content.readline(), 10)).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[len("event: "):]
        elif line.startswith("data: ") and event:
            yield event, json.loads(line[len("data: "):])
            event = None


async def test_the_stream_says_the_queue_changed_and_never_carries_it(client: TestClient) -> None:
    app = client.topup
    seed(app, 3)
    response = await client.get("/api/events")
    events = _events(response)
    name, first = await events.__anext__()
    assert name == "queue" and "tickets" not in first
    assert first["counts"] == {"open": 3, "mine": 0, "in_progress": 0, "resolved": 0} and first["open_count"] == 3
    assert set(first["newest_open"]) == {"ticket_no", "priority", "created_at"} and first["now"].endswith("Z")

    newest = seed(app, 1, priority="high")[0]
    name, news = await events.__anext__()
    assert name == "queue" and news["version"] != first["version"]
    assert news["open_count"] == 4 and news["newest_open"]["ticket_no"] == newest
    assert news["newest_open"]["priority"] == "high"

    claimed = seed(app, 1, status="in_progress", agent="xiaowang", conversation_id="conv-live")[0]
    name, mine = await events.__anext__()
    assert name == "queue" and mine["counts"]["mine"] == 1 and mine["counts"]["in_progress"] == 1

    app.console.relay_customer_message("conv-live", "还没到账")  # the case view's news, as before
    name, message = await events.__anext__()
    assert name == "message" and (message["ticket_no"], message["text"]) == (claimed, "还没到账")
    response.close()

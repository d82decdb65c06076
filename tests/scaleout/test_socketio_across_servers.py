"""A customer's browser on one Rasa server, an agent's reply arriving through the other (the console reaches Rasa
through nginx): the message still reaches the browser, through the socket.io message queue in Redis."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import socketio

from tests.scaleout.conftest import Cluster

OFFER = "要不要我帮您转人工客服？"  # domain.yml utter_offer_human


async def _customer_and_agent(cluster: Cluster, session_id: str) -> tuple[list[dict], float]:
    received: asyncio.Queue[dict] = asyncio.Queue()
    confirmed = asyncio.Event()
    client = socketio.AsyncClient(reconnection=False)
    client.on("bot_uttered", received.put)

    @client.on("session_confirm")
    async def _confirm(_: object) -> None:
        confirmed.set()

    # Long-polling: the socket.io client's WebSocket transport needs a newer aiohttp than Rasa 3.6 allows.
    await client.connect(cluster.rasa_url(0), transports=["polling"], socketio_path="/socket.io")
    try:
        await client.emit("session_request", {"session_id": session_id})
        await asyncio.wait_for(confirmed.wait(), 20)
        await client.emit("user_uttered", {"message": "你好", "session_id": session_id})
        greeting = await asyncio.wait_for(received.get(), 60)

        params = {"output_channel": "latest", "token": cluster.rasa_token}
        async with aiohttp.ClientSession() as http:
            # Rasa sends replies while it works and stores the turn after: wait until the other server sees it.
            tracker_url = f"{cluster.rasa_url(1)}/conversations/{session_id}/tracker"
            for _ in range(100):
                async with http.get(tracker_url, params={"token": params["token"]}) as answer:
                    events = (await answer.json()).get("events") or []
                if any(e.get("event") == "user" for e in events):
                    break
                await asyncio.sleep(0.1)
            started = time.monotonic()
            url = f"{cluster.rasa_url(1)}/conversations/{session_id}/execute"
            async with http.post(url, params=params, json={"name": "utter_offer_human"}) as answer:
                assert answer.status == 200, await answer.text()
        relayed = await asyncio.wait_for(received.get(), 10)
        return [greeting, relayed], time.monotonic() - started
    finally:
        await client.disconnect()


def test_a_message_sent_through_the_other_server_reaches_the_customers_socket(cluster: Cluster) -> None:
    messages, seconds = asyncio.run(_customer_and_agent(cluster, f"so-sio-{time.time_ns()}"))
    assert "小卡" in messages[0]["text"]
    assert messages[1]["text"] == OFFER
    print(f"delivered across servers in {seconds * 1000:.0f} ms")

"""serving.balancer in front of real local aiohttp upstreams (aiohttp's test servers on free ports)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from serving.balancer import Pool, make_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def upstream_app(name: str) -> web.Application:
    """Says who it is and what it received; /ws echoes; /slow takes its time; /missing is a 404."""

    async def whoami(request: web.Request) -> web.Response:
        return web.json_response({"server": name, "path": request.path_qs, "body": (await request.read()).decode(),
                                  "forwarded_for": request.headers.get("X-Forwarded-For")})

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response({"server": name})

    async def missing(_: web.Request) -> web.Response:
        return web.json_response({"server": name, "error": "no such thing"}, status=404)

    async def echo(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            if message.type == aiohttp.WSMsgType.TEXT:
                await ws.send_str(f"{name}:{message.data}")
            elif message.type == aiohttp.WSMsgType.BINARY:
                await ws.send_bytes(message.data[::-1])
        return ws

    app = web.Application()
    app.router.add_get("/health", health)
    app.router.add_get("/slow", slow)
    app.router.add_get("/missing", missing)
    app.router.add_get("/ws", echo)
    app.router.add_route("*", "/{tail:.*}", whoami)
    return app


@asynccontextmanager
async def upstream(name: str, port: int | None = None) -> AsyncIterator[str]:
    server = TestServer(upstream_app(name), host="127.0.0.1", port=port)
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        await server.close()


@asynccontextmanager
async def balancer(pool: Pool, timeout_s: float = 10) -> AsyncIterator[TestClient]:
    client = TestClient(TestServer(make_app(pool, timeout_s), host="127.0.0.1"))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def servers_hit(client: TestClient, count: int, path: str = "/") -> list[str]:
    hits = []
    for _ in range(count):
        answer = await client.get(path)
        assert answer.status == 200, await answer.text()
        hits.append((await answer.json())["server"])
    return hits


async def eventually(check: Callable[[], bool | Awaitable[bool]], within: float = 6) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = check()
        if isinstance(result, Awaitable):
            result = await result
        if result:
            return
        assert asyncio.get_running_loop().time() < deadline, "not within the time allowed"
        await asyncio.sleep(0.05)


def no_health_checks(pool: Pool) -> Pool:
    """Keep every upstream in the rotation (as in the second before the first health check fails)."""

    async def idle(_: aiohttp.ClientSession) -> None:
        await asyncio.Event().wait()

    pool.watch = idle  # type: ignore[method-assign]
    return pool


async def test_round_robin_alternates_between_two_servers() -> None:
    async with upstream("a") as a, upstream("b") as b, balancer(Pool([a, b], "/health", sticky=False)) as client:
        hits = await servers_hit(client, 6)
    assert sorted(hits) == ["a", "a", "a", "b", "b", "b"]
    assert all(hits[i] != hits[i + 1] for i in range(5))


async def test_sticky_sends_one_client_to_one_server() -> None:
    async with upstream("a") as a, upstream("b") as b, balancer(Pool([a, b], "/health", sticky=True)) as client:
        hits = await servers_hit(client, 8)
    assert len(set(hits)) == 1

    pool = Pool(["http://one", "http://two"], "/health", sticky=True)
    picks = {f"198.51.100.{i}": pool.order(f"198.51.100.{i}")[0] for i in range(40)}
    assert set(picks.values()) == {"http://one", "http://two"}  # clients spread over both
    assert all(pool.order(client)[0] == first for client, first in picks.items())  # and keep their server
    pool.healthy = ["http://two"]
    assert {pool.order(client)[0] for client in picks} == {"http://two"}  # only a healthy one is first


async def test_a_refused_connection_is_retried_on_the_next_server(caplog: pytest.LogCaptureFixture) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with upstream("a") as a:
        pool = no_health_checks(Pool([dead, a], "/health", sticky=False))
        async with balancer(pool) as client:
            with caplog.at_level(logging.WARNING, logger="topup.balancer"):
                hits = await servers_hit(client, 4)
    assert hits == ["a"] * 4
    assert f"{dead} refused the connection" in caplog.text


async def test_a_down_server_leaves_the_rotation_and_comes_back(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    dead = f"http://127.0.0.1:{port}"
    async with upstream("a") as a:
        pool = Pool([dead, a], "/health", sticky=False)
        async with balancer(pool) as client:
            await eventually(lambda: pool.healthy == [a])
            caplog.clear()
            with caplog.at_level(logging.WARNING, logger="topup.balancer"):
                assert await servers_hit(client, 4) == ["a"] * 4
            assert "refused" not in caplog.text  # not even tried

            async with upstream("back", port=port):
                await eventually(lambda: pool.healthy == [dead, a])
                assert sorted(await servers_hit(client, 4)) == ["a", "a", "back", "back"]


async def test_with_every_server_down_the_answer_is_502() -> None:
    pool = no_health_checks(Pool([f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"], "/", False))
    async with balancer(pool) as client:
        answer = await client.get("/anything")
        assert answer.status == 502
        assert await answer.json() == {"error": "no server available"}


async def test_a_slow_server_is_a_504_and_not_retried() -> None:
    async with upstream("a") as a, upstream("b") as b:
        async with balancer(no_health_checks(Pool([a, b], "/health", False)), timeout_s=0.3) as client:
            answer = await client.get("/slow")
            assert answer.status == 504


async def test_status_body_and_query_pass_through() -> None:
    async with upstream("a") as a, balancer(Pool([a], "/health", sticky=False)) as client:
        answer = await client.post("/webhooks/rest/webhook?x=1", data="你好".encode())
        assert answer.status == 200
        assert await answer.json() == {"server": "a", "path": "/webhooks/rest/webhook?x=1", "body": "你好",
                                       "forwarded_for": "127.0.0.1"}
        missing = await client.get("/missing")
        assert missing.status == 404 and (await missing.json())["server"] == "a"


async def test_x_forwarded_for_is_added_and_extended() -> None:
    async with upstream("a") as a, balancer(Pool([a], "/health", sticky=False)) as client:
        plain = await (await client.get("/")).json()
        chained = await (await client.get("/", headers={"X-Forwarded-For": "203.0.113.9"})).json()
    assert plain["forwarded_for"] == "127.0.0.1"
    assert chained["forwarded_for"] == "203.0.113.9, 127.0.0.1"


async def test_a_websocket_is_proxied_both_ways() -> None:
    async with upstream("a") as a, upstream("b") as b, balancer(Pool([a, b], "/health", sticky=True)) as client:
        async with client.ws_connect("/ws") as ws:
            await ws.send_str("ping")
            first = await asyncio.wait_for(ws.receive_str(), timeout=5)
            assert first in {"a:ping", "b:ping"}
            await ws.send_bytes(b"\x01\x02\x03")
            assert await asyncio.wait_for(ws.receive_bytes(), timeout=5) == b"\x03\x02\x01"
            for word in ("你好", "再见"):
                await ws.send_str(word)
                assert await asyncio.wait_for(ws.receive_str(), timeout=5) == f"{first[0]}:{word}"
        assert ws.closed


async def test_a_websocket_skips_a_refused_server() -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    async with upstream("a") as a, balancer(no_health_checks(Pool([dead, a], "/health", False))) as client:
        for _ in range(2):  # one of the two starts at the dead server
            async with client.ws_connect("/ws") as ws:
                await ws.send_str("hi")
                assert await asyncio.wait_for(ws.receive_str(), timeout=5) == "a:hi"

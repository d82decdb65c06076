"""Console sign-in attempts limited per client IP + username (TOPUP_LOGIN_RATE), with aiohttp's test server."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from tests.appkit import make_app
from topup import ratelimit
from web import auth
from web.app import create_app
from web.context import TOPUP

AGENT, PASSWORD = "xiaowang", "demo-agent-pass"
Client = Callable[..., TestClient]


@pytest.fixture
async def console(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable]:
    """console(rate) -> a test client for the web app of an application object with TOPUP_LOGIN_RATE=rate."""
    monkeypatch.setattr(auth, "_limited_logged", ratelimit.OncePer())  # one log line per window: start from none
    clients: list[TestClient] = []

    async def make(rate: str | None = None) -> TestClient:
        # Each application object counts in a memory backend of its own (no TOPUP_REDIS_URL): every test starts
        # from no attempts. The Rasa URL points nowhere; signing in never calls Rasa.
        env = {"TOPUP_RASA_URL": "http://127.0.0.1:9"} | ({} if rate is None else {"TOPUP_LOGIN_RATE": rate})
        client = TestClient(TestServer(create_app(make_app(tmp_path / f"app{len(clients)}", **env))))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()
        client.server.app[TOPUP].close()


async def login(client: TestClient, password: str, username: str = AGENT) -> tuple[int, dict, dict]:
    response = await client.post("/api/login", json={"username": username, "password": password})
    return response.status, await response.json(), dict(response.headers)


async def test_default_limit_is_five_attempts_in_five_minutes(console: Callable) -> None:
    client = await console()
    limiter = client.server.app[TOPUP].limits.login
    assert str(limiter.rate) == "5/300"


async def test_too_many_attempts_get_429_in_chinese(console: Callable, caplog: pytest.LogCaptureFixture) -> None:
    client = await console("3/300")
    with caplog.at_level(logging.WARNING, logger="topup.security"):
        statuses = [(await login(client, "wrong"))[0] for _ in range(3)]
        status, body, headers = await login(client, "wrong")
        right_password = await login(client, PASSWORD)
    assert statuses == [401, 401, 401]
    assert status == 429 and body["code"] == "too_many_attempts"
    assert body["error"] == "登录尝试次数太多了，为了账号安全，请 5 分钟后再试。"
    assert headers["Retry-After"] == "300"
    assert right_password[0] == 429  # while limited, even the right password is refused: guessing stops
    events = [r.getMessage() for r in caplog.records if r.name == "topup.security"]
    assert len(events) == 1  # once per client and window, not once per refused attempt
    assert "login_limited" in events[0] and "127.0.0.1" in events[0] and AGENT in events[0]


async def test_limit_is_per_username(console: Callable) -> None:
    client = await console("2/300")
    for _ in range(2):
        await login(client, "wrong")
    assert (await login(client, "wrong"))[0] == 429
    assert (await login(client, PASSWORD, username="xiaoli"))[0] == 200
    assert (await login(client, "wrong", username=" XiaoWang "))[0] == 429  # same account, typed differently


async def test_successful_sign_in_clears_the_count(console: Callable) -> None:
    client = await console("3/300")
    for _ in range(5):
        await login(client, "wrong")
        await login(client, "wrong")
        status, body, _ = await login(client, PASSWORD)
        assert status == 200 and body["username"] == AGENT


async def test_off_switches_the_limit_off(console: Callable) -> None:
    client = await console("off")
    statuses = {(await login(client, "wrong"))[0] for _ in range(8)}
    assert statuses == {401}


async def test_parallel_guesses_are_bounded(console: Callable) -> None:
    client = await console("3/300")
    results = await asyncio.gather(*(login(client, f"guess-{i}") for i in range(8)))
    assert sorted(status for status, _, _ in results) == [401] * 3 + [429] * 5

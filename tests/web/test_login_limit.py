"""Console sign-in attempts limited per client IP + username (TOPUP_LOGIN_RATE), with aiohttp's test server."""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from tests.appkit import make_app
from topup import ratelimit
from topup.agents import hash_password
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

    async def make(rate: str | None = None, **settings: str) -> TestClient:
        # Each application object counts in a memory backend of its own (no TOPUP_REDIS_URL): every test starts
        # from no attempts. The Rasa URL points nowhere; signing in never calls Rasa.
        env = {"TOPUP_RASA_URL": "http://127.0.0.1:9", **settings}
        if rate is not None:
            env["TOPUP_LOGIN_RATE"] = rate
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


async def test_behind_the_proxy_each_client_is_counted_by_the_address_the_proxy_saw(console: Callable) -> None:
    """Behind nginx every request comes from 127.0.0.1: with TOPUP_TRUSTED_PROXIES=1 the limit counts the address
    nginx saw (the last X-Forwarded-For entry), so one guesser does not lock the username for everybody, and an
    address the client writes into the header itself changes nothing."""
    client = await console("2/300", TOPUP_TRUSTED_PROXIES="1")

    async def attempt(forwarded: str) -> int:
        response = await client.post("/api/login", json={"username": AGENT, "password": "wrong"},
                                     headers={"X-Forwarded-For": forwarded})
        return response.status

    assert [await attempt("198.51.100.7") for _ in range(3)] == [401, 401, 429]
    assert await attempt("forged, 198.51.100.7") == 429  # the client's own entry comes first and is not used
    assert await attempt("203.0.113.9") == 401  # another customer behind the same proxy is not locked out


def test_the_client_address_is_the_peer_unless_proxies_are_trusted() -> None:
    request = make_mocked_request("POST", "/api/login", headers={"X-Forwarded-For": "1.1.1.1, 2.2.2.2"})
    assert auth.client_address(request, 0) == (request.remote or "unknown")
    assert auth.client_address(request, 1) == "2.2.2.2"
    assert auth.client_address(request, 2) == "1.1.1.1"
    assert auth.client_address(request, 3) == (request.remote or "unknown")  # fewer hops than proxies: the peer


async def test_the_demo_shop_exists_only_in_the_embedded_demo(tmp_path: Path) -> None:
    secrets = {name: "x" * 20 for name in ("TOPUP_ACTION_TOKEN", "TOPUP_RASA_TOKEN", "TOPUP_CONSOLE_SECRET",
                                           "TOPUP_CUSTOMER_TOKEN_SECRET")}
    agents = tmp_path / "agents.yml"
    agents.write_text(f"agents:\n- username: a\n  password_hash: {hash_password('not-the-demo')}\n")
    for deployment, status in (("embedded", 200), ("scaled", 404)):
        # its own database file: the scaled default (PostgreSQL's `topup`) need not exist on this machine
        database = f"sqlite:///{tmp_path / deployment}.db"
        app = make_app(tmp_path / deployment, TOPUP_DEPLOYMENT=deployment, TOPUP_AGENTS_FILE=str(agents),
                       TOPUP_DATABASE_URL=database, **secrets)
        async with TestClient(TestServer(create_app(app))) as client:
            response = await client.get("/demo-shop")
            assert response.status == status, deployment
            if status == 200:  # signed with the deployment's own secret
                token = re.search(r'data-customer-token="([^"]+)"', await response.text()).group(1)
                assert app.customers.verify(html.unescape(token)) is not None
        app.close()

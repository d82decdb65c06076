"""Sliding-window limits: parsing, the memory backend, the real Redis backend, and failing open."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.appkit import make_settings
from tests.services import require_services
from topup.app import App, Limits
from topup.ratelimit import MemoryBackend, Rate, RateLimiter, RedisBackend

REDIS_URL = "redis://127.0.0.1:6379/0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [("20/10", Rate(20, 10.0)), (" 5/300 ", Rate(5, 300.0)), ("1/0.5", Rate(1, 0.5)), ("0", None), ("off", None),
     ("OFF", None), ("", None), (None, None), ("0/10", None)],
)
def test_rate_parse(text: str | None, expected: Rate | None) -> None:
    assert Rate.parse(text) == expected


@pytest.mark.parametrize("text", ["20", "a/b", "20/0", "-1/10", "20/-5"])
def test_rate_parse_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError):
        Rate.parse(text)


async def test_memory_sliding_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter("chat", Rate(3, 10), MemoryBackend(clock=clock))
    assert [await limiter.allow("c1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.allow("c2")  # another key has its own count
    clock.now += 5
    assert not await limiter.allow("c1")
    clock.now += 5.01  # the first three hits are now older than the window
    assert [await limiter.allow("c1") for _ in range(4)] == [True, True, True, False]


async def test_refused_hits_are_not_counted() -> None:
    clock = FakeClock()
    limiter = RateLimiter("chat", Rate(2, 10), MemoryBackend(clock=clock))
    await limiter.allow("k")
    clock.now += 6
    await limiter.allow("k")
    for _ in range(50):
        assert not await limiter.allow("k")
    clock.now += 4.5  # only the first hit expired; the refused ones never counted
    assert await limiter.allow("k")


async def test_reset_forgets_a_key() -> None:
    limiter = RateLimiter("login", Rate(1, 300), MemoryBackend())
    assert await limiter.allow("ip|agent") and not await limiter.allow("ip|agent")
    await limiter.reset("ip|agent")
    assert await limiter.allow("ip|agent")


async def test_memory_backend_evicts_least_recently_used_keys() -> None:
    backend = MemoryBackend(max_keys=3)
    limiter = RateLimiter("chat", Rate(1, 60), backend)
    for key in "abcd":
        await limiter.allow(key)
    assert len(backend._hits) == 3


async def test_disabled_limit_allows_everything() -> None:
    limiter = RateLimiter("chat", None)
    assert all([await limiter.allow("x") for _ in range(1000)])
    assert limiter.rate is None


async def test_concurrent_hits_on_one_loop_never_exceed_the_limit() -> None:
    limiter = RateLimiter("chat", Rate(20, 10), MemoryBackend())
    results = await asyncio.gather(*(limiter.allow("one") for _ in range(50)))
    assert sum(results) == 20


def test_limits_are_built_from_the_settings(tmp_path: Path) -> None:
    assert Limits.build(make_settings(tmp_path, TOPUP_CHAT_RATE="off")).chat.rate is None
    assert Limits.build(make_settings(tmp_path, TOPUP_CHAT_RATE="7/3")).chat.rate == Rate(7, 3)
    limits = Limits.build(make_settings(tmp_path))
    assert (limits.chat.rate, limits.chat_ip.rate, limits.login.rate) == (Rate(20, 10), Rate(300, 60), Rate(5, 300))
    assert [limiter.name for limiter in (limits.chat, limits.chat_ip, limits.login)] == ["chat", "chat_ip", "login"]
    # Without TOPUP_REDIS_URL the process counts alone: one memory backend for all its limits.
    assert isinstance(limits.chat.backend, MemoryBackend)
    assert limits.chat.backend is limits.chat_ip.backend is limits.login.backend


def test_redis_url_in_the_settings_selects_the_redis_backend(tmp_path: Path) -> None:
    limits = Limits.build(make_settings(tmp_path, TOPUP_REDIS_URL=REDIS_URL))  # nothing connects yet
    backend = limits.chat.backend
    assert isinstance(backend, RedisBackend) and backend.url == REDIS_URL
    assert limits.chat_ip.backend is backend and limits.login.backend is backend  # one client per process


def test_the_application_object_carries_its_limits_and_backend(tmp_path: Path) -> None:
    backend = MemoryBackend()
    app = App.build(make_settings(tmp_path, TOPUP_LOGIN_RATE="3/60"), rate_backend=backend)
    try:
        assert app.limits.login.rate == Rate(3, 60) and app.limits.login.backend is backend
        assert app.limits.chat.backend is backend and app.limits.chat_ip.backend is backend
    finally:
        app.close()


@pytest.fixture
async def redis_backend() -> AsyncIterator[RedisBackend]:
    require_services(postgres=False, redis=True)
    backend = RedisBackend(REDIS_URL, prefix=f"topup:test:{uuid.uuid4().hex}")
    yield backend
    client = backend._client
    if client is not None:
        keys = [key async for key in client.scan_iter(f"{backend.prefix}:*")]
        if keys:
            await client.delete(*keys)
    await backend.close()


async def test_redis_sliding_window(redis_backend: RedisBackend) -> None:
    limiter = RateLimiter("chat", Rate(3, 1), redis_backend)
    assert [await limiter.allow("c1") for _ in range(4)] == [True, True, True, False]
    assert await limiter.allow("c2")
    await asyncio.sleep(1.1)
    assert await limiter.allow("c1")


async def test_redis_counts_are_shared_between_servers(redis_backend: RedisBackend) -> None:
    other = RedisBackend(REDIS_URL, prefix=redis_backend.prefix)  # a second Rasa server, same Redis
    try:
        one, two = RateLimiter("ip", Rate(4, 60), redis_backend), RateLimiter("ip", Rate(4, 60), other)
        results = await asyncio.gather(*(lim.allow("1.2.3.4") for lim in [one, two] * 5))
        assert sum(results) == 4
    finally:
        await other.close()


async def test_redis_reset_and_key_expiry(redis_backend: RedisBackend) -> None:
    limiter = RateLimiter("login", Rate(1, 300), redis_backend)
    assert await limiter.allow("ip|agent") and not await limiter.allow("ip|agent")
    ttl_ms = await redis_backend._client.pttl(f"{redis_backend.prefix}:login:ip|agent")
    assert 0 < ttl_ms <= 300_000
    await limiter.reset("ip|agent")
    assert await limiter.allow("ip|agent")


async def test_redis_down_fails_open_with_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    backend = RedisBackend(f"redis://127.0.0.1:{_closed_port()}/0", retry_after_s=0)
    limiter = RateLimiter("chat", Rate(1, 60), backend)
    with caplog.at_level(logging.WARNING, logger="topup.ratelimit"):
        assert all([await limiter.allow("c") for _ in range(5)])
        await limiter.reset("c")
    warnings = [r for r in caplog.records if "not enforced" in r.getMessage()]
    assert len(warnings) == 1
    await backend.close()


async def test_redis_down_skips_redis_for_a_while() -> None:
    backend = RedisBackend(f"redis://127.0.0.1:{_closed_port()}/0", retry_after_s=30)
    assert await backend.hit("k", Rate(1, 60))
    assert backend._down_until > 0
    client = backend._client
    assert await backend.hit("k", Rate(1, 60)) and backend._client is client  # no new attempt meanwhile
    await backend.close()


async def test_redis_url_with_password_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    backend = RedisBackend(f"redis://:s3cret@127.0.0.1:{_closed_port()}/0")
    with caplog.at_level(logging.WARNING, logger="topup.ratelimit"):
        assert await backend.hit("k", Rate(1, 60))
    assert caplog.records and "s3cret" not in caplog.text
    await backend.close()

"""Sliding-window rate limits, counted in this process's memory or in Redis shared by every server.

A limit is written "count/seconds" ("20/10": at most 20 hits in any 10 seconds); "0" or "off" switches it off
(in the settings an empty value means the default). The limits are settings (TOPUP_CHAT_RATE,
TOPUP_CHAT_IP_RATE, TOPUP_LOGIN_RATE); the application object builds the limiters from them, over one backend
per process.

Only allowed hits are counted: a client that keeps hammering gets through at the limit's rate, no faster.
The Redis backend fails open: when Redis cannot be reached the hit is allowed and a warning logged (at most
once a minute), because a Redis outage must not silence the chat.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import os
import time
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)

_OFF = {"", "0", "off", "none", "false", "no", "disabled"}


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: float

    def __str__(self) -> str:
        return f"{self.count}/{self.seconds:g}"

    @classmethod
    def parse(cls, text: str | None) -> Rate | None:
        """ "20/10" -> Rate(20, 10.0); "0"/"off"/"" -> None (no limit). Anything else is a configuration error."""
        value = (text or "").strip().lower()
        if value in _OFF:
            return None
        count, sep, seconds = value.partition("/")
        try:
            rate = cls(int(count), float(seconds))
        except ValueError:
            raise ValueError(f"a rate limit is 'count/seconds' or 'off', not {text!r}") from None
        if not sep or not math.isfinite(rate.seconds) or rate.seconds <= 0 or rate.count < 0:
            raise ValueError(f"a rate limit is 'count/seconds' or 'off', not {text!r}")
        return None if rate.count == 0 else rate


class Backend(Protocol):
    async def hit(self, key: str, rate: Rate) -> bool:
        """Record a hit for key if it is within the rate; False when over the limit."""

    async def reset(self, key: str) -> None:
        """Forget every hit for key."""


class MemoryBackend:
    """Per-process counts: one deque of hit times per key, the least recently used keys evicted past max_keys."""

    def __init__(self, max_keys: int = 100_000, clock: object = time.monotonic) -> None:
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    def _current(self, key: str, rate: Rate, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            while len(self._hits) > self._max_keys:
                self._hits.popitem(last=False)
        else:
            self._hits.move_to_end(key)
        while hits and hits[0] <= now - rate.seconds:
            hits.popleft()
        return hits

    async def hit(self, key: str, rate: Rate) -> bool:
        # No await inside: on one event loop this check-and-add is atomic.
        now = self._clock()  # type: ignore[operator]
        hits = self._current(key, rate, now)
        if len(hits) >= rate.count:
            return False
        hits.append(now)
        return True

    async def reset(self, key: str) -> None:
        self._hits.pop(key, None)


# KEYS[1] a sorted set of hit times; ARGV: window (ms), count, a unique id. Atomic in Redis, and on Redis's
# clock, so servers whose clocks disagree still share one window.
_SLIDING_WINDOW = """
redis.replicate_commands()
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now, now .. ':' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
"""


class RedisBackend:
    """Counts shared by every server through Redis; fails open (allows) when Redis is unreachable."""

    def __init__(self, url: str, prefix: str = "topup:rl", timeout_s: float = 0.5, retry_after_s: float = 5.0) -> None:
        self.url = url
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.retry_after_s = retry_after_s  # after a failure, skip Redis this long instead of timing out per message
        self._client = None
        self._script = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._down_until = 0.0
        self._warned_at = float("-inf")
        self._seq = 0
        self._id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    def _connect(self) -> None:
        import redis.asyncio as aioredis  # imported here: nothing connects (or needs redis) at import time

        self._client = aioredis.from_url(
            self.url, socket_connect_timeout=self.timeout_s, socket_timeout=self.timeout_s, health_check_interval=30
        )
        self._script = self._client.register_script(_SLIDING_WINDOW)
        self._loop = asyncio.get_running_loop()

    def _failed(self, exc: Exception, now: float) -> None:
        self._down_until = now + self.retry_after_s
        if now - self._warned_at >= 60:
            self._warned_at = now
            logger.warning("rate limits not enforced: Redis at %s unreachable (%s: %s); allowing everything",
                           _redact(self.url), type(exc).__name__, exc)

    def _ready(self) -> None:
        if self._client is None or self._loop is not asyncio.get_running_loop():
            self._connect()

    async def hit(self, key: str, rate: Rate) -> bool:
        now = time.monotonic()
        if now < self._down_until:
            return True
        self._seq += 1
        args = [int(rate.seconds * 1000), rate.count, f"{self._id}:{self._seq}"]
        try:
            self._ready()
            return bool(await self._script(keys=[f"{self.prefix}:{key}"], args=args))
        except Exception as exc:  # redis errors, OSError, timeouts: all mean "no answer", and we fail open
            self._failed(exc, now)
            return True

    async def reset(self, key: str) -> None:
        now = time.monotonic()
        if now < self._down_until:
            return
        try:
            self._ready()
            await self._client.delete(f"{self.prefix}:{key}")
        except Exception as exc:
            self._failed(exc, now)

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None


def _redact(url: str) -> str:
    """The Redis URL without its password, for logs."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


def _key_part(value: str) -> str:
    """Keys stay short and printable whatever a client sends as its id."""
    if len(value) <= 64 and value.isprintable() and ":" not in value:
        return value
    return "h:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RateLimiter:
    """One named limit ("chat", "chat_ip", "login") over a backend; rate None means unlimited."""

    def __init__(self, name: str, rate: Rate | None, backend: Backend | None = None) -> None:
        self.name = name
        self.rate = rate
        self.backend = backend or MemoryBackend()

    async def allow(self, key: str) -> bool:
        """Count a hit for key; False (and not counted) when key is already at the limit."""
        if self.rate is None:
            return True
        return await self.backend.hit(f"{self.name}:{_key_part(key)}", self.rate)

    async def reset(self, key: str) -> None:
        """Forget key's hits (a console sign-in that succeeded clears its failed attempts)."""
        if self.rate is not None:
            await self.backend.reset(f"{self.name}:{_key_part(key)}")


class OncePer:
    """Says yes the first time a key is seen in each period: one log line per flood, not one per request."""

    def __init__(self, max_keys: int = 10_000) -> None:
        self._seen: dict[str, float] = {}
        self._max_keys = max_keys

    def first(self, key: str, seconds: float) -> bool:
        now = time.monotonic()
        if now - self._seen.get(key, float("-inf")) < seconds:
            return False
        if len(self._seen) >= self._max_keys:
            self._seen = {k: t for k, t in self._seen.items() if now - t < 600}
        self._seen[key] = now
        return True

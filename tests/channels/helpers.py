"""A real Sanic app with the guarded REST channel, driven over ASGI (no server, no Rasa agent)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx2
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from rasa_plugins.channels.guard import MessageGuard
from rasa_plugins.channels.rest_channel import GuardedRestInput
from topup.ratelimit import MemoryBackend, Rate, RateLimiter

CLIENT = "203.0.113.7"
REPLY = "收到，我看一下"
WEBHOOK = "/webhooks/rest/webhook"


@dataclass
class Rasa:
    """Stands in for Rasa's on_new_message: records what reached it and answers once."""

    received: list[UserMessage] = field(default_factory=list)
    fail: bool = False

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.fail:
            raise RuntimeError("the agent broke")
        await message.output_channel.send_text_message(message.sender_id, REPLY)


def make_guard(chat: str = "off", chat_ip: str = "off", max_chars: int = 1000) -> MessageGuard:
    backend = MemoryBackend()
    return MessageGuard(max_chars, RateLimiter("chat", Rate.parse(chat), backend),
                        RateLimiter("chat_ip", Rate.parse(chat_ip), backend))


@dataclass
class RestHarness:
    rasa: Rasa
    client: httpx2.AsyncClient

    async def say(self, message: object, sender: object = "conv-1", **extra: object) -> httpx2.Response:
        return await self.client.post(WEBHOOK, json={"sender": sender, "message": message, **extra})

    async def post(self, content: bytes) -> httpx2.Response:
        return await self.client.post(WEBHOOK, content=content, headers={"Content-Type": "application/json"})


@dataclass
class _Shared:
    """Sanic's start-up rewrites module code once per process (TouchUp), so every test shares one app; the
    guard and the stand-in for Rasa are swapped per test."""

    app: Sanic
    channel: GuardedRestInput
    rasa: Rasa


_SHARED: list[_Shared] = []


async def _shared() -> _Shared:
    if not _SHARED:
        channel = GuardedRestInput(make_guard())
        shared = _Shared(Sanic(f"guard_test_{uuid.uuid4().hex}", configure_logging=False), channel, Rasa())

        async def on_new_message(message: UserMessage) -> None:
            await shared.rasa(message)

        shared.app.blueprint(channel.blueprint(on_new_message), url_prefix=f"/webhooks/{channel.name()}")
        await shared.app._startup()
        _SHARED.append(shared)
    return _SHARED[0]


@asynccontextmanager
async def rest_app(
    guard: MessageGuard | None = None, client_ip: str = CLIENT, fail: bool = False
) -> AsyncIterator[RestHarness]:
    shared = await _shared()
    shared.channel.guard = guard or make_guard()
    shared.rasa = rasa = Rasa(fail=fail)
    transport = httpx2.ASGITransport(app=shared.app, client=(client_ip, 40000))
    async with httpx2.AsyncClient(transport=transport, base_url="http://rasa.test") as client:
        yield RestHarness(rasa, client)

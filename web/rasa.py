"""Telling the Rasa server that a person joined, replied or left, so the customer's chat window shows it."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

AGENT_JOINED = "action_agent_joined"
DELIVER_AGENT_MESSAGES = "action_deliver_agent_messages"
AGENT_LEFT = "action_agent_left"


class RasaUnavailable(Exception):
    """Rasa did not run the action (down, slow or refused); the database change has already happened."""


class RasaClient:
    """One shared HTTP session with a short timeout: a slow Rasa must never hang the console."""

    def __init__(self, base_url: str, token: str | None = None, timeout_s: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self.timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def execute(self, conversation_id: str, action: str) -> None:
        """Run an action in the conversation; its messages go to the customer's latest channel (socket.io)."""
        if self._session is None:
            raise RasaUnavailable("client not started")
        url = f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/execute"
        params = {"output_channel": "latest"}
        if self.token:
            params["token"] = self.token
        try:
            async with self._session.post(url, params=params, json={"name": action}) as response:
                if response.status >= 300:
                    body = (await response.text())[:300]
                    raise RasaUnavailable(f"{action}: HTTP {response.status} {body}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(f"{action}: {exc.__class__.__name__} {exc}") from exc
        logger.info("rasa ran %s in %s", action, conversation_id)

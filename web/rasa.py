"""Telling the Rasa server that a person joined, replied or left, so the customer's chat window shows it."""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import aiohttp

logger = logging.getLogger(__name__)

# What the console runs in the conversation, in order: exactly the steps of data/rules/takeover.yml, then
# action_listen, because Rasa's execute endpoint runs one action and predicts nothing after it.
AGENT_JOINED = ("action_agent_joined", "utter_agent_joined", "action_listen")
DELIVER_AGENT_MESSAGES = ("action_deliver_agent_messages", "action_listen")
AGENT_LEFT = ("action_agent_left", "utter_agent_left", "utter_ask_rating", "action_listen")
# The agent put the case back in the queue: the assistant does not take over and asks no rating; the customer
# hears the case is still open and the next agent will pick it up (web/tools_api.py: release).
AGENT_RELEASED = ("action_agent_released", "utter_agent_released", "action_listen")


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

    async def execute(self, conversation_id: str, actions: tuple[str, ...]) -> None:
        """Run actions in the conversation, in order; their messages go to the customer's latest channel."""
        if self._session is None:
            raise RasaUnavailable("client not started")
        url = f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/execute"
        params = {"output_channel": "latest"}
        if self.token:
            params["token"] = self.token
        for action in actions:
            try:
                async with self._session.post(url, params=params, json={"name": action}) as response:
                    if response.status >= 300:
                        body = (await response.text())[:300]
                        raise RasaUnavailable(f"{action}: HTTP {response.status} {body}")
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                raise RasaUnavailable(f"{action}: {exc.__class__.__name__} {exc}") from exc
        logger.info("rasa ran %s in %s", ", ".join(actions), conversation_id)

    async def trigger(self, conversation_id: str, intent: str, entities: dict[str, str]) -> None:
        """Trigger an intent in the conversation (Rasa's trigger_intent): the assistant answers as to a message,
        on the customer's latest channel, without the customer typing."""
        if self._session is None:
            raise RasaUnavailable("client not started")
        url = f"{self.base_url}/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        params = {"output_channel": "latest", **({"token": self.token} if self.token else {})}
        try:
            async with self._session.post(url, params=params, json={"name": intent, "entities": entities}) as response:
                if response.status >= 300:
                    raise RasaUnavailable(f"{intent}: HTTP {response.status} {(await response.text())[:300]}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise RasaUnavailable(f"{intent}: {exc.__class__.__name__} {exc}") from exc
        logger.info("rasa triggered %s in %s", intent, conversation_id)


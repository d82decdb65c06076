"""The door every customer message goes through before Rasa sees it (REST and socket.io channels alike).

For each message: rate limits (per conversation and per client IP), control/bidi/zero-width characters out,
cut to TOPUP_MAX_MESSAGE_CHARS, card and mobile numbers masked, and the client IP put in the metadata as
``client_ip`` (whatever the client sent under that key is overwritten: lookup limits downstream rely on it).
So the tracker store, the logs, the NLU, the actions and the tickets only ever see the cleaned text.

Importing this module (Rasa imports the channel modules at start-up) also installs topup.pii's logging filter
on the root logger's handlers; the channels install it again when the server starts, for handlers Rasa adds
later (its --log-file handler).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import OutputChannel, UserMessage

from topup.app import App
from topup.pii import Keep, for_log, install_log_filter, mask_pii
from topup.ratelimit import OncePer, RateLimiter
from topup.textguard import clean_text

logger = logging.getLogger(__name__)
security_log = logging.getLogger("topup.security")

# These two are said by the channel itself, before (or instead of) Rasa handling the message, so they cannot
# come from domain.yml's responses the way every other sentence does.
SLOW_DOWN = "您发得有点快，我这边还在看前面的消息。请稍等几秒再发，每条我都会认真看的。"
TOO_LONG = "您的消息比较长，我先看了前 {limit} 个字。要是重要的内容在后面，麻烦分成几条发给我。"

CLIENT_IP = "client_ip"
MAX_METADATA_CHARS = 8192  # metadata is stored with every message in the tracker; a chat widget sends a token
_KEEP_WHEN_OVERSIZE = ("customer_token",)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

install_log_filter()


def request_ip(request: Any) -> str:  # noqa: ANN401 - a sanic.Request
    """The client's address: Sanic's proxy-aware remote_addr when proxies are configured, else the peer."""
    return (getattr(request, "remote_addr", "") or getattr(request, "ip", "") or "unknown").strip() or "unknown"


def guarded_metadata(metadata: object, client_ip: str) -> dict:
    """The client's metadata as a dict (a JSON string is decoded), bounded, with client_ip set by us."""
    if isinstance(metadata, (str, bytes)):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            metadata = None
    data = dict(metadata) if isinstance(metadata, dict) else {}
    try:
        size = len(json.dumps(data, ensure_ascii=False, default=str))
    except (TypeError, ValueError):
        size = MAX_METADATA_CHARS + 1
    if size > MAX_METADATA_CHARS:
        data = {k: v for k, v in data.items() if k in _KEEP_WHEN_OVERSIZE and isinstance(v, str) and len(v) < 4096}
    data[CLIENT_IP] = client_ip
    return data


class MessageGuard:
    """Limits, cleaning and masking for one Rasa server; built when the channel is (i.e. at server start)."""

    def __init__(self, max_chars: int, chat: RateLimiter | None = None, chat_ip: RateLimiter | None = None,
                 keep: Keep | None = None) -> None:
        self.max_chars = max_chars
        self.keep = keep  # the order source's numbers, never masked as a card (topup/sources/formats.py)
        self.chat = chat or RateLimiter("chat", None)
        self.chat_ip = chat_ip or RateLimiter("chat_ip", None)
        self._logged = OncePer()

    @classmethod
    def for_app(cls, app: App) -> MessageGuard:
        """The process's limits (TOPUP_CHAT_RATE, TOPUP_CHAT_IP_RATE, shared through TOPUP_REDIS_URL) and
        TOPUP_MAX_MESSAGE_CHARS."""
        return cls(app.settings.max_message_chars, app.limits.chat, app.limits.chat_ip, app.source.order_format.keep)

    async def _over_limit(self, sender_id: str, client_ip: str) -> RateLimiter | None:
        if not await self.chat_ip.allow(client_ip):
            return self.chat_ip
        if not await self.chat.allow(sender_id):
            return self.chat
        return None

    def _log_limited(self, limiter: RateLimiter, sender_id: str, client_ip: str, channel: str | None) -> None:
        """One security event per client and limit per window: a flood must not flood the log too."""
        key = f"{limiter.name}:{client_ip if limiter is self.chat_ip else sender_id}"
        if not self._logged.first(key, limiter.rate.seconds if limiter.rate else 60.0):
            return
        security_log.warning(
            "rate_limited limit=%s rate=%s channel=%s client=%s conversation=%s",
            limiter.name, limiter.rate, for_log(channel), for_log(client_ip), for_log(sender_id),
        )

    @staticmethod
    async def _say(output: OutputChannel | None, recipient: str, text: str) -> None:
        if output is None:
            return
        try:
            await output.send_text_message(recipient, text)
        except Exception:  # the note is a courtesy: failing to send it must not lose the customer's message
            logger.exception("could not send the guard's note to %s", for_log(recipient))

    async def handle(self, message: UserMessage, client_ip: str, on_new_message: OnNewMessage) -> bool:
        """Pass the cleaned message to Rasa, or answer "slow down" instead; True when Rasa got it."""
        sender_id = message.sender_id
        limited = await self._over_limit(sender_id, client_ip)
        if limited is not None:
            self._log_limited(limited, sender_id, client_ip, message.input_channel)
            await self._say(message.output_channel, sender_id, SLOW_DOWN)
            return False
        cleaned = clean_text(message.text, self.max_chars)
        if cleaned.cut:
            security_log.info(
                "message_cut channel=%s client=%s conversation=%s length=%d kept=%d",
                for_log(message.input_channel), for_log(client_ip), for_log(sender_id),
                cleaned.original_length, self.max_chars,
            )
            await self._say(message.output_channel, sender_id, TOO_LONG.format(limit=self.max_chars))
        guarded = UserMessage(
            mask_pii(cleaned.text, self.keep),
            message.output_channel,
            sender_id,
            input_channel=message.input_channel,
            message_id=message.message_id,
            metadata=guarded_metadata(message.metadata, client_ip),
        )
        await on_new_message(guarded)
        return True

"""Rasa's REST channel (same name "rest", same URL /webhooks/rest/webhook) behind rasa_plugins/channels/guard.py.

Also stricter at parsing than Rasa's: a body that is too big, not UTF-8 JSON, not an object, or has a
non-string message gets a clear 4xx instead of a 500; the input channel is always "rest" (Rasa lets the
client name any channel, which then decides where the console's "latest channel" messages go).
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
from asyncio import CancelledError
from collections.abc import Awaitable, Callable
from typing import Any

import rasa.utils.endpoints
from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse, ResponseStream

from rasa_plugins.channels.guard import MessageGuard, request_ip
from topup.app import App
from topup.pii import for_log, install_log_filter
from topup.textguard import clean_text

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024  # a 10,000-character message escaped as \uXXXX is about 60 KB; the guard cuts it anyway
MAX_SENDER_CHARS = 128


class BadRequest(Exception):
    def __init__(self, status: int, text: str, code: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.text, self.code, self.detail = status, text, code, detail

    def response(self) -> HTTPResponse:
        body = {"error": self.text, "code": self.code, "detail": self.detail}
        return response.json(body, status=self.status, ensure_ascii=False)


_NOT_JSON = (
    "消息格式不对，没能读出来。请发送 JSON，例如 {\"sender\": \"会话编号\", \"message\": \"您的问题\"}。",
    "invalid_json",
)


def parse_body(body: bytes | None) -> tuple[str | None, str, dict | None]:
    """sender, message text and metadata from a webhook body, or BadRequest."""
    raw = body or b""
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(413, "消息太长了，麻烦分成几条发送。", "body_too_large",
                         f"the request body is limited to {MAX_BODY_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadRequest(400, *_NOT_JSON, "the body must be UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise BadRequest(400, *_NOT_JSON, "the body must be a JSON object")
    sender = data.get("sender")
    if sender is not None:
        if isinstance(sender, bool) or not isinstance(sender, (str, int)):
            raise BadRequest(400, *_NOT_JSON, "'sender' must be a string")
        sender = str(sender)
        if not sender or len(sender) > MAX_SENDER_CHARS or clean_text(sender, MAX_SENDER_CHARS).text != sender:
            raise BadRequest(400, *_NOT_JSON, f"'sender' must be 1-{MAX_SENDER_CHARS} printable characters")
    message = data.get("message")
    if message is not None and not isinstance(message, str):
        raise BadRequest(400, *_NOT_JSON, "'message' must be a string")
    metadata = data.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        raise BadRequest(400, *_NOT_JSON, "'metadata' must be a JSON object")
    return sender, message or "", metadata


class GuardedRestInput(RestInput):
    """RestInput whose every message passes the guard (the process's limits, from its application object)."""

    def __init__(self, guard: MessageGuard | None = None) -> None:
        self.guard = guard or MessageGuard.for_app(App.current())

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        module = inspect.getmodule(self)
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", module.__name__ if module else None)

        @webhook.listener("before_server_start")
        async def _mask_logs(*_: Any) -> None:  # noqa: ANN401 - Rasa adds its --log-file handler after import
            install_log_filter()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> ResponseStream | HTTPResponse:
            try:
                sender_id, text, metadata = parse_body(request.body)
            except BadRequest as exc:
                logger.info("rest webhook refused %s from %s: %s", exc.code, for_log(request_ip(request)), exc.detail)
                return exc.response()
            guarded = functools.partial(self.guard.handle, client_ip=request_ip(request),
                                        on_new_message=on_new_message)
            if rasa.utils.endpoints.bool_arg(request, "stream", default=False):
                return response.stream(
                    self.stream_response(guarded, text, sender_id, self.name(), metadata),
                    content_type="text/event-stream",
                )
            collector = CollectingOutputChannel()
            try:
                await guarded(UserMessage(text, collector, sender_id, input_channel=self.name(), metadata=metadata))
            except CancelledError:
                logger.error("rest message from %s timed out", for_log(sender_id))
            except Exception:
                logger.exception("rest message from %s failed", for_log(sender_id))
            return response.json(collector.messages)

        return webhook

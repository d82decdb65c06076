"""Rasa 3.6's socket.io channel, with the session room actually joined, and every message through the guard.

Two handlers of SocketIOInput are re-registered on the same server: session_request awaits enter_room
(python-socketio >= 5.10, RasaHQ/rasa#13027), and user_uttered (Rasa's logic, copied) hands each message to
rasa_plugins/channels/guard.py instead of straight to Rasa. The connect handler is wrapped, not replaced (JWT
checks stay), to remember the client's address: engine.io's environ always says REMOTE_ADDR 127.0.0.1 under
Sanic, so the address comes from the handshake's Sanic request.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput
from sanic import Blueprint

from rasa_plugins.channels.guard import CLIENT_IP, MessageGuard, request_ip
from topup.app import App
from topup.pii import for_log, install_log_filter
from topup.textguard import clean_text

logger = logging.getLogger(__name__)

MAX_SESSION_ID_CHARS = 128


class StampedOutput(SocketIOOutput):
    """Every message the customer's page gets carries the server's time (`ts`, seconds): a page that comes back
    asks the web app for what it missed after the last one it saw (web/notify.py: missed)."""

    async def _send_message(self, socket_id: str, response: Any) -> None:  # noqa: ANN401 - Rasa's message dict
        stamped = {**response, "ts": time.time()} if isinstance(response, dict) else response
        await self.sio.emit(self.bot_message_evt, stamped, room=socket_id)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:  # noqa: ANN401
        """A custom message (who holds the chat: actions/takeover.py) as `{"custom": ...}`, the shape the missed
        fetch returns too. Rasa's own spreads the dict into emit()'s keyword arguments, which fails."""
        await self._send_message(recipient_id, {"custom": json_message})


def _environ_ip(environ: dict | None) -> str:
    environ = environ or {}
    request = environ.get("sanic.request")
    return request_ip(request) if request is not None else str(environ.get("REMOTE_ADDR") or "unknown")


def _session_id(value: object) -> str | None:
    """A usable conversation id, or None: printable, bounded, a string (or a number a client sent as one)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value)
    if not text or len(text) > MAX_SESSION_ID_CHARS or clean_text(text, MAX_SESSION_ID_CHARS).text != text:
        return None
    return text


def _message_text(value: object) -> str:
    """What the customer typed; a number becomes its digits, anything else a blank message."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def share_across_servers(sio: Any, url: str) -> None:  # noqa: ANN401 - a socketio.AsyncServer
    """With TOPUP_REDIS_URL set, emits go through Redis to whichever Rasa server holds the customer's socket.

    An agent's reply reaches Rasa's execute endpoint on any server (the web app goes through the balancer);
    without a shared message queue that server would emit into an empty room and the customer would never see
    it. Rasa creates the AsyncServer itself, so its manager is swapped before the first connection initialises it.
    """
    if not url:
        return
    from socketio import AsyncRedisManager

    manager = AsyncRedisManager(url, channel="topup-socketio")
    manager.set_server(sio)
    sio.manager = manager
    sio.manager_initialized = False
    logger.info("socket.io messages shared across Rasa servers through Redis")


class PersistentSocketIOInput(SocketIOInput):
    """Same channel, name and events as SocketIOInput, with the process's limits (its application object)."""

    def __init__(self, *args: Any, guard: MessageGuard | None = None, **kwargs: Any) -> None:  # noqa: ANN401
        super().__init__(*args, **kwargs)
        self.app = App.current()
        self.guard = guard or MessageGuard.for_app(self.app)

    def get_output_channel(self) -> StampedOutput | None:
        """The channel of messages the system sends without a customer message (an agent's reply, an order's
        news): stamped like every other."""
        return None if self.sio is None else StampedOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(on_new_message)
        sio = self.sio
        share_across_servers(sio, self.app.settings.redis_url)
        namespace = self.namespace
        original_connect = sio.handlers[namespace or "/"]["connect"]

        @blueprint.listener("before_server_start")
        async def _mask_logs(*_: Any) -> None:  # noqa: ANN401 - Rasa adds its --log-file handler after import
            install_log_filter()

        @sio.on("connect", namespace=namespace)
        async def connect(sid: str, environ: dict, auth: dict | None = None) -> bool:
            allowed = await original_connect(sid, environ, auth)
            if allowed:
                await sio.save_session(sid, {CLIENT_IP: _environ_ip(environ)}, namespace=namespace)
            return allowed

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: str, data: dict | None) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = _session_id(data.get("session_id"))
            data["session_id"] = session_id or uuid.uuid4().hex
            if self.session_persistence:
                await sio.enter_room(sid, data["session_id"], namespace=namespace)
            await sio.emit("session_confirm", data["session_id"], room=sid, namespace=namespace)

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: str, data: dict) -> None:
            output_channel = StampedOutput(sio, self.bot_message_evt)
            if not isinstance(data, dict):
                logger.warning("socket.io message from %s ignored: not an object", for_log(sid))
                return
            if self.session_persistence:
                sender_id = _session_id(data.get("session_id"))
                if sender_id is None:
                    logger.warning("socket.io message from %s ignored: no valid session_id "
                                   "(send a session_request first)", for_log(sid))
                    return
            else:
                sender_id = sid
            session = await sio.get_session(sid, namespace=namespace)
            client_ip = session.get(CLIENT_IP) or _environ_ip(sio.get_environ(sid, namespace=namespace))
            message = UserMessage(
                _message_text(data.get("message", "")),
                output_channel,
                sender_id,
                input_channel=self.name(),
                metadata=data.get(self.metadata_key, {}),
            )
            await self.guard.handle(message, client_ip, on_new_message)

        return blueprint

"""The socket.io channel's re-registered handlers: every message through the guard, the room fix kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from rasa_plugins.channels.guard import SLOW_DOWN, TOO_LONG
from rasa_plugins.channels.socketio_channel import PersistentSocketIOInput
from tests.appkit import installed, make_app
from tests.channels.helpers import REPLY, Rasa, make_guard
from topup.ratelimit import Rate

PEER = "198.51.100.4"


@pytest.fixture(autouse=True)
def _app(tmp_path: Path) -> Iterator[None]:
    """The channel takes the process's application object (its settings say whether to share through Redis)."""
    app = make_app(tmp_path)
    with installed(app):
        yield
    app.close()


class FakeServer:
    """The parts of python-socketio's AsyncServer the handlers use, recorded instead of sent."""

    def __init__(self, sio: Any) -> None:  # noqa: ANN401
        self.handlers = sio.handlers
        self.sessions: dict[str, dict] = {}
        self.emitted: list[tuple[str, Any, str | None]] = []
        self.rooms: list[tuple[str, str]] = []
        sio.save_session = self.save_session
        sio.get_session = self.get_session
        sio.emit = self.emit
        sio.enter_room = self.enter_room
        sio.get_environ = lambda sid, namespace=None: {"REMOTE_ADDR": "127.0.0.1"}

    async def save_session(self, sid: str, session: dict, namespace: str | None = None) -> None:
        self.sessions[sid] = dict(session)

    async def get_session(self, sid: str, namespace: str | None = None) -> dict:
        return self.sessions.setdefault(sid, {})

    async def emit(self, event: str, data: Any = None, room: str | None = None, **_: Any) -> None:  # noqa: ANN401
        self.emitted.append((event, data, room))

    async def enter_room(self, sid: str, room: str, namespace: str | None = None) -> None:
        self.rooms.append((sid, room))

    def handler(self, event: str) -> Any:  # noqa: ANN401
        return self.handlers["/"][event]

    def bot_texts(self) -> list[str]:
        return [data["text"] for event, data, _ in self.emitted if event == "bot_uttered"]


def make_channel(jwt_key: str | None = None, **guard: Any) -> tuple[FakeServer, Rasa]:  # noqa: ANN401
    channel = PersistentSocketIOInput("user_uttered", "bot_uttered", None, True, "/socket.io", jwt_key,
                                      guard=make_guard(**guard))
    rasa = Rasa()  # answers through the socket.io output channel, i.e. FakeServer.emit
    channel.blueprint(rasa)
    return FakeServer(channel.sio), rasa


def environ(ip: str = PEER) -> dict:
    return {"REMOTE_ADDR": "127.0.0.1", "sanic.request": SimpleNamespace(remote_addr="", ip=ip)}


async def connect(server: FakeServer, sid: str = "sid-1", ip: str = PEER) -> None:
    assert await server.handler("connect")(sid, environ(ip), None)


async def test_client_ip_from_the_handshake_overwrites_the_clients_claim() -> None:
    server, rasa = make_channel()
    await connect(server)
    await server.handler("user_uttered")("sid-1", {
        "message": "卡号6222021234567890123", "session_id": "s-1",
        "metadata": {"client_ip": "10.0.0.1", "customer_token": "tok.sig"},
    })
    message = rasa.received[0]
    assert message.text == "卡号622202*********0123" and message.sender_id == "s-1"
    assert message.metadata == {"client_ip": PEER, "customer_token": "tok.sig"}
    assert message.input_channel == "socketio"
    assert server.bot_texts() == [REPLY]


async def test_metadata_sent_as_a_json_string_is_decoded() -> None:
    server, rasa = make_channel()
    await connect(server)
    await server.handler("user_uttered")("sid-1", {"message": "你好", "session_id": "s-1",
                                                   "metadata": '{"customer_token": "t"}'})
    assert rasa.received[0].metadata == {"customer_token": "t", "client_ip": PEER}


async def test_over_the_limit_the_customer_is_asked_to_slow_down() -> None:
    server, rasa = make_channel(chat="2/60")
    await connect(server)
    for i in range(3):
        await server.handler("user_uttered")("sid-1", {"message": f"第{i}条", "session_id": "s-1"})
    assert [m.text for m in rasa.received] == ["第0条", "第1条"]
    assert server.bot_texts() == [REPLY, REPLY, SLOW_DOWN]
    assert server.emitted[-1][2] == "s-1"  # to the session room, as the bot's own messages


async def test_long_message_gets_the_note_first() -> None:
    server, rasa = make_channel(max_chars=10)
    await connect(server)
    await server.handler("user_uttered")("sid-1", {"message": "充" * 50, "session_id": "s-1"})
    assert server.bot_texts() == [TOO_LONG.format(limit=10), REPLY]
    assert rasa.received[0].text == "充" * 10


@pytest.mark.parametrize("message", ["\u202e\u200b", "", None, {"a": 1}])
async def test_blank_or_odd_messages_are_passed_on_as_blank(message: object) -> None:
    server, rasa = make_channel()
    await connect(server)
    await server.handler("user_uttered")("sid-1", {"message": message, "session_id": "s-1"})
    assert rasa.received[0].text == ""


@pytest.mark.parametrize("data", [None, "text", ["x"], {"message": "hi"}, {"message": "hi", "session_id": "a\u202eb"},
                                  {"message": "hi", "session_id": {"x": 1}}])
async def test_messages_without_a_usable_session_are_ignored(data: object) -> None:
    server, rasa = make_channel()
    await connect(server)
    await server.handler("user_uttered")("sid-1", data)
    assert rasa.received == [] and server.emitted == []


async def test_session_request_still_joins_the_room() -> None:
    server, _ = make_channel()
    await server.handler("session_request")("sid-1", {"session_id": "s-9"})
    assert server.rooms == [("sid-1", "s-9")]
    assert ("session_confirm", "s-9", "sid-1") in server.emitted


async def test_session_request_with_an_unusable_id_gets_a_fresh_one() -> None:
    server, _ = make_channel()
    await server.handler("session_request")("sid-1", {"session_id": "x\x00y"})
    (sid, room), = server.rooms
    assert sid == "sid-1" and len(room) == 32 and room.isalnum()


async def test_jwt_refusal_is_kept() -> None:
    server, _ = make_channel(jwt_key="secret")
    assert not await server.handler("connect")("sid-1", environ(), None)
    assert "sid-1" not in server.sessions


async def test_ip_limit_counts_one_client_across_sockets_and_sessions() -> None:
    server, rasa = make_channel(chat_ip="2/60")
    for n in range(3):
        await connect(server, f"sid-{n}")
        await server.handler("user_uttered")(f"sid-{n}", {"message": "你好", "session_id": f"s-{n}"})
    assert len(rasa.received) == 2 and server.bot_texts()[-1] == SLOW_DOWN


def test_without_a_guard_the_channel_takes_the_limits_of_the_application_object(tmp_path: Path) -> None:
    app = make_app(tmp_path / "own", TOPUP_CHAT_RATE="4/40", TOPUP_MAX_MESSAGE_CHARS="60")
    with installed(app):
        channel = PersistentSocketIOInput("user_uttered", "bot_uttered", None, True, "/socket.io", None)
    app.close()
    assert channel.app is app and channel.guard.max_chars == 60
    assert channel.guard.chat is app.limits.chat and channel.guard.chat.rate == Rate(4, 40)

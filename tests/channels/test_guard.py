"""The guarded REST channel over a real Sanic app: what reaches Rasa, what the customer gets back."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from rasa_plugins.channels.guard import SLOW_DOWN, TOO_LONG, guarded_metadata
from rasa_plugins.channels.rest_channel import MAX_BODY_BYTES, GuardedRestInput
from tests.appkit import installed, make_app
from tests.channels.helpers import CLIENT, REPLY, make_guard, rest_app
from topup.ratelimit import Rate

pytestmark = pytest.mark.filterwarnings("ignore:You have set a listener")


def texts(response: object) -> list[str]:
    return [m["text"] for m in response.json()]  # type: ignore[attr-defined]


async def test_channel_keeps_rasa_rest_name_and_url() -> None:
    assert GuardedRestInput.name() == "rest" and GuardedRestInput(make_guard()).url_prefix() == "rest"
    async with rest_app() as app:
        assert (await app.client.get("/webhooks/rest/")).json() == {"status": "ok"}


async def test_ten_thousand_characters_get_the_note_then_the_reply() -> None:
    async with rest_app() as app:
        response = await app.say("充" * 10_000)
    assert response.status_code == 200
    assert texts(response) == [TOO_LONG.format(limit=1000), REPLY]
    assert app.rasa.received[0].text == "充" * 1000


async def test_html_stays_literal() -> None:
    async with rest_app() as app:
        await app.say("<script>alert('x')</script>&amp;<b>充值</b>")
    assert app.rasa.received[0].text == "<script>alert('x')</script>&amp;<b>充值</b>"


async def test_bidi_zero_width_and_control_characters_removed() -> None:
    async with rest_app() as app:
        response = await app.say("\u202e退款\u2066\u200b给我\x00\x1b[31m\u200f")
    assert app.rasa.received[0].text == "退款给我[31m"
    assert texts(response) == [REPLY]


async def test_card_and_mobile_masked_order_number_kept() -> None:
    async with rest_app() as app:
        await app.say("订单KM20261127004215 卡号6222 0212 3456 7890 123 手机13812345678 尾号5678")
    assert app.rasa.received[0].text == "订单KM20261127004215 卡号622202*********0123 手机*******5678 尾号5678"


async def test_client_ip_overwritten_other_metadata_kept() -> None:
    async with rest_app() as app:
        await app.say("你好", metadata={"client_ip": "127.0.0.1", "customer_token": "tok.sig", "page": "/shop"})
    assert app.rasa.received[0].metadata == {"client_ip": CLIENT, "customer_token": "tok.sig", "page": "/shop"}


async def test_client_ip_set_without_client_metadata() -> None:
    async with rest_app() as app:
        await app.say("你好")
    assert app.rasa.received[0].metadata == {"client_ip": CLIENT}
    assert app.rasa.received[0].input_channel == "rest"


async def test_input_channel_cannot_be_claimed_by_the_client() -> None:
    async with rest_app() as app:
        await app.say("你好", input_channel="socketio")
    assert app.rasa.received[0].input_channel == "rest"


async def test_over_the_conversation_limit_gets_a_polite_reply(caplog: pytest.LogCaptureFixture) -> None:
    sender = "13812345678"  # a phone number as conversation id: the security log must mask it
    async with rest_app(make_guard(chat="3/60")) as app:
        with caplog.at_level(logging.INFO, logger="topup.security"):
            answers = [texts(await app.say(f"第{i}条", sender=sender)) for i in range(5)]
        other = await app.say("别的会话", sender="conv-2")
    assert answers[:3] == [[REPLY]] * 3 and answers[3:] == [[SLOW_DOWN]] * 2
    assert [m.text for m in app.rasa.received] == ["第0条", "第1条", "第2条", "别的会话"]
    assert texts(other) == [REPLY]
    events = [r.getMessage() for r in caplog.records if r.name == "topup.security"]
    assert len(events) == 1  # one event per conversation and window, not one per refused message
    assert "rate_limited limit=chat" in events[0] and CLIENT in events[0]
    assert "13812345678" not in caplog.text and "*******5678" in events[0]


async def test_over_the_ip_limit_across_conversations() -> None:
    async with rest_app(make_guard(chat_ip="2/60")) as app:
        answers = [texts(await app.say("你好", sender=f"conv-{i}")) for i in range(3)]
    assert answers == [[REPLY], [REPLY], [SLOW_DOWN]]
    assert len(app.rasa.received) == 2


@pytest.mark.parametrize("message", ["", "   ", "\u202e\u200b\x00", None])
async def test_blank_after_cleaning_is_still_passed_on(message: str | None) -> None:
    async with rest_app() as app:
        response = await app.say(message)
    assert response.status_code == 200 and texts(response) == [REPLY]
    assert app.rasa.received[0].text == ""


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"\xff\xfe\x00\x01binary", 400),
        (b"", 400),
        (b"[1, 2]", 400),
        (b'"just a string"', 400),
        (b'{"sender": "a", "message": 42}', 400),
        (b'{"sender": "a", "message": ["x"]}', 400),
        (b'{"sender": {"a": 1}, "message": "x"}', 400),
        (b'{"sender": "a\\u202eb", "message": "x"}', 400),
        (json.dumps({"sender": "a" * 500, "message": "x"}).encode(), 400),
        (b'{"sender": "a", "message": "x", "metadata": "not an object"}', 400),
        (b"[" * 100_000 + b"]" * 100_000, 400),
        (json.dumps({"sender": "a", "message": "x" * (MAX_BODY_BYTES + 1)}).encode(), 413),
    ],
    ids=["broken", "binary", "empty", "list", "string", "number-message", "list-message", "object-sender",
         "bidi-sender", "long-sender", "string-metadata", "deep-nesting", "oversize"],
)
async def test_bad_bodies_get_a_clear_4xx_never_a_5xx(body: bytes, status: int) -> None:
    async with rest_app() as app:
        response = await app.post(body)
    assert response.status_code == status
    assert response.json()["code"] in {"invalid_json", "body_too_large"} and response.json()["error"]
    assert app.rasa.received == []


async def test_lone_surrogates_in_json_are_removed() -> None:
    async with rest_app() as app:
        response = await app.post(b'{"sender": "a", "message": "\\ud800\\u9000\\u6b3e"}')
    assert response.status_code == 200 and app.rasa.received[0].text == "退款"


async def test_numeric_sender_is_accepted_as_text() -> None:
    async with rest_app() as app:
        await app.say("你好", sender=12345)
    assert app.rasa.received[0].sender_id == "12345"


async def test_rasa_failure_still_answers_200_with_the_note() -> None:
    async with rest_app(make_guard(max_chars=3), fail=True) as app:
        response = await app.say("你好你好")
    assert response.status_code == 200 and texts(response) == [TOO_LONG.format(limit=3)]


async def test_stream_mode_goes_through_the_guard() -> None:
    async with rest_app(make_guard(max_chars=5)) as app:
        response = await app.client.post("/webhooks/rest/webhook?stream=true",
                                         json={"sender": "s", "message": "卡号6222021234567890123"})
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    assert [line["text"] for line in lines] == [TOO_LONG.format(limit=5), REPLY]
    assert app.rasa.received[0].text == "卡号622"


def test_metadata_json_string_decoded_and_oversize_metadata_trimmed() -> None:
    assert guarded_metadata('{"customer_token": "t"}', "1.2.3.4") == {"customer_token": "t", "client_ip": "1.2.3.4"}
    assert guarded_metadata("{broken", "1.2.3.4") == {"client_ip": "1.2.3.4"}
    assert guarded_metadata(["a"], "1.2.3.4") == {"client_ip": "1.2.3.4"}
    big = {"customer_token": "t", "junk": "x" * 20_000}
    assert guarded_metadata(big, "1.2.3.4") == {"customer_token": "t", "client_ip": "1.2.3.4"}


def test_guard_takes_the_limits_of_the_application_object(tmp_path: Path) -> None:
    """As Rasa builds the channel from credentials.yml: the process's App gives the limits and the length."""
    app = make_app(tmp_path, TOPUP_CHAT_RATE="off", TOPUP_CHAT_IP_RATE="9/9", TOPUP_MAX_MESSAGE_CHARS="50")
    with installed(app):
        guard = GuardedRestInput.from_credentials(None).guard
    app.close()
    assert guard.chat.rate is None and guard.chat_ip.rate == Rate(9, 9) and guard.max_chars == 50
    assert guard.chat is app.limits.chat and guard.chat_ip is app.limits.chat_ip  # one count per process


def test_importing_the_channel_masks_the_root_handlers() -> None:
    """As at Rasa's start-up: logging configured first, then the channel module imported."""
    code = (
        "import logging, sys; logging.basicConfig(stream=sys.stdout, format='%(message)s');"
        "import rasa_plugins.channels.socketio_channel;"
        "logging.getLogger('rasa.x').warning('user said %s', '卡号6222021234567890123 手机13812345678')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "user said 卡号622202*********0123 手机*******5678"

"""Hostile messages through the REST channel against the real servers: every request is answered.

About thirty generated messages (huge, empty, whitespace, binary-ish, HTML, emoji, SQL-looking, JSON payloads),
half of them in one running conversation and half each opening a new one. The property is deliberately loose
(HTTP 200 and at least one non-empty bot message), because the channel guard may cut long messages with a note.
A request body over the channel's limit (JSON escapes a Chinese character as six bytes, so 100,000 of them are
about 600 KB) is refused with 413 and a message the chat page can show instead.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import delete

from ops.launcher.stack import Stack
from tests.fuzz.strategies import fuzz_settings, hostile_texts
from topup.db.engine import unit_of_work
from topup.db.schema import SecurityEventRow

try:
    from rasa_plugins.channels.rest_channel import MAX_BODY_BYTES
except ImportError:  # the guarded channel not there (yet): Rasa's own REST channel takes any size
    MAX_BODY_BYTES = 1 << 62

ONE_CONVERSATION = "e2e-fuzz-one-conversation"
_new_conversations = (f"e2e-fuzz-new-{n}" for n in itertools.count())


@pytest.fixture(scope="module")
def rest(servers: Stack) -> Iterator[Stack]:
    """The stack; afterwards the failed lookups the fuzzing caused are forgotten, so no later test is locked out."""
    yield servers
    with unit_of_work(servers.app.engine) as session:
        session.execute(delete(SecurityEventRow))


def _non_empty(reply: dict) -> bool:
    return bool((reply.get("text") or "").strip() or reply.get("buttons") or reply.get("image") or reply.get("custom"))


@fuzz_settings(max_examples=21)
@given(text=hostile_texts(), same_conversation=st.booleans())
@example(text="", same_conversation=True)
@example(text=" \t\u3000\n", same_conversation=False)
@example(text="KM2026' OR 1=1 --", same_conversation=True)
@example(text="<script>alert(1)</script><img src=x onerror=alert(1)>", same_conversation=True)
@example(text=b"\xff\xfe\x00KM\x80\x81".decode("latin-1"), same_conversation=False)
@example(text="😡🤬" * 40 + "\u202e到账没" + "\x00", same_conversation=True)
@example(text='/inform{"order_id": true, "phone_last4": 3821}', same_conversation=False)
@example(text="话费一直没到账" * 15_000, same_conversation=True)
@example(text="KM20261127004215 " * 6_000, same_conversation=True)
def test_every_hostile_message_gets_a_reply(rest: Stack, text: str, same_conversation: bool) -> None:
    sender = ONE_CONVERSATION if same_conversation else next(_new_conversations)
    body = json.dumps({"sender": sender, "message": text}).encode()  # as requests' json= would send it
    response = requests.post(
        f"{rest.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )
    if len(body) > MAX_BODY_BYTES:
        assert response.status_code == 413 and response.json()["error"].strip(), response.text[:500]
        return
    assert response.status_code == 200, response.text[:500]
    replies = response.json()
    assert isinstance(replies, list) and any(_non_empty(r) for r in replies), (sender, text[:200], replies)

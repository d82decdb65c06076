"""The lookup bounds over the real channel: new conversations and a forged address do not reset them.

The guarded channel puts the caller's address into the metadata (whatever the caller claims); the action server
counts failed ownership checks per order number and per address in the orders database. One order guessed at five
times, from any conversations, is not checked again for a while, even with the right tail; the same address
mistyping on other orders is not held back (the per-address ceiling is high enough for a shared NAT).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import delete, select

from ops.launcher.stack import Stack
from topup.db.engine import unit_of_work
from topup.db.schema import SecurityEventRow
from topup.services.security import order_key

ORDER, TAIL = "KM20261127004215", "3821"
OTHER, OTHER_TAIL = "KM20261128000107", "2233"


def _forget(servers: Stack) -> None:
    with unit_of_work(servers.app.engine) as session:
        session.execute(delete(SecurityEventRow))


@pytest.fixture
def clean(servers: Stack) -> Iterator[Stack]:
    """No failed lookups before, none left for later tests (they all come from this machine's address)."""
    _forget(servers)
    yield servers
    _forget(servers)


def say(servers: Stack, sender: str, text: str, metadata: dict | None = None) -> str:
    payload = {"sender": sender, "message": text, "metadata": metadata or {}}
    response = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", json=payload, timeout=30)
    assert response.status_code == 200
    return "\n".join(r.get("text", "") for r in response.json())


def test_five_failures_on_one_order_across_conversations_stop_its_checks(clean: Stack) -> None:
    for n in range(5):
        reply = say(clean, f"e2e-limit-{n}", f"{ORDER} 000{n}")
        assert "没能对上" in reply and ORDER in reply, reply  # the order number is kept, the tail asked again
    # A new conversation, the right tail, and a forged address in the metadata: that order is not checked now.
    reply = say(clean, "e2e-limit-fresh", f"{ORDER} {TAIL}", {"client_ip": "198.51.100.99"})
    assert "核对失败的次数比较多" in reply and "转人工" in reply, reply
    assert "中国移动话费" not in reply and "查到了" not in reply
    # The same address, another order and its right tail: looked up as usual.
    assert "查到了" in say(clean, "e2e-limit-other", f"{OTHER} {OTHER_TAIL}")
    with unit_of_work(clean.app.engine) as session:
        rows = session.execute(select(SecurityEventRow).order_by(SecurityEventRow.id)).scalars().all()
    failed = [r for r in rows if r.kind == "lookup_failed"]
    assert len(failed) == 10 and {r.client_key for r in failed} == {failed[0].client_key, order_key(ORDER)}
    assert failed[0].client_key.startswith("ip:") and "198.51.100.99" not in rows[-1].client_key
    assert rows[-1].kind == "lookup_locked" and rows[-1].conversation_id == "e2e-limit-fresh"

"""The per-client lookup limit over the real channel: new conversations from one address do not reset it.

The guarded channel puts the caller's address into the metadata (whatever the caller claims), the action
server counts failed lookups per address in the orders database, and Rasa words the "locked" answer by
the lock_reason slot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import delete, select

from ops.launcher.stack import Stack
from topup.db.engine import unit_of_work
from topup.db.schema import SecurityEventRow

ORDER, TAIL = "KM20261127004215", "3821"


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


def test_ten_failures_across_conversations_lock_the_address(clean: Stack) -> None:
    for n in range(10):
        reply = say(clean, f"e2e-limit-{n // 3}", f"{ORDER} 0000")
        assert "没能对上" in reply or "核对好几次" in reply, reply
    # A new conversation, the right tail, and a forged address in the metadata: still cooling down.
    reply = say(clean, "e2e-limit-fresh", f"{ORDER} {TAIL}", {"client_ip": "198.51.100.99"})
    assert "查询订单的次数有点多" in reply and "转人工" in reply, reply
    assert "中国移动话费" not in reply and "核对好几次" not in reply
    with unit_of_work(clean.app.engine) as session:
        rows = session.execute(select(SecurityEventRow).order_by(SecurityEventRow.id)).scalars().all()
    assert [r.kind for r in rows] == ["lookup_failed"] * 10 + ["lookup_locked"]
    assert len({r.client_key for r in rows}) == 1 and rows[0].client_key.startswith("ip:")
    assert "198.51.100.99" not in rows[-1].client_key and rows[-1].conversation_id == "e2e-limit-fresh"

"""Per-client limits on order lookups: across conversations, per IP or signed customer, in a sliding window."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from helpers import apply_events, final_slots, make_tracker, run_action
from sqlalchemy import select

from actions.verification import ActionVerifyOrder
from tests.appkit import installed, rebuilt
from topup.app import App
from topup.clock import utcnow
from topup.customer_token import Customer
from topup.db.engine import unit_of_work
from topup.db.schema import SecurityEventRow
from topup.services.security import LOOKUP_FAILED, LOOKUP_LOCKED, client_key, mask_order_no

ORDER, TAIL = "KM20261127004215", "3821"
OTHER_ORDER = "KM20261128000107"  # tail 2233, phone 13911112233
IP = "203.0.113.7"


async def attempt(text: str, sender: str, metadata: dict | None = None, slots: dict | None = None) -> tuple:
    """One message in conversation ``sender``; returns (events, dispatcher, slots after it)."""
    tracker = make_tracker(text=text, slots=slots or {}, sender_id=sender)
    tracker.latest_message["metadata"] = metadata or {}
    events, dispatcher = await run_action(ActionVerifyOrder(), tracker)
    return events, dispatcher, apply_events(slots or {}, events)


async def fail_in_conversations(failures: int, metadata: dict, prefix: str = "attacker") -> None:
    """``failures`` wrong tails, three per conversation (the per-conversation limit), each in a new chat."""
    done, conversation = 0, 0
    while done < failures:
        slots: dict = {}
        for _ in range(min(3, failures - done)):
            _, _, slots = await attempt(f"{ORDER} 0000", f"{prefix}-{conversation}", metadata, slots)
            assert slots["next_move"] in ("not_verified", "locked") and slots.get("lock_reason") != "client_cooldown"
            done += 1
        conversation += 1


def rows(app: App) -> list[SecurityEventRow]:
    with unit_of_work(app.engine) as session:
        return list(session.execute(select(SecurityEventRow).order_by(SecurityEventRow.id)).scalars())


def _assert_cooldown(slots: dict) -> None:
    assert (slots["next_move"], slots["awaiting"], slots["lock_reason"]) == ("locked", "offer_human", "client_cooldown")
    assert slots["order_id"] is None and slots["phone_last4"] is None and slots["verified"] is False
    assert "diagnosis" not in slots and "order_product" not in slots


async def test_one_ip_is_locked_across_conversations_even_with_the_right_tail(db: App) -> None:
    await fail_in_conversations(10, {"client_ip": IP})
    _, dispatcher, slots = await attempt(f"{ORDER} {TAIL}", "fresh-chat", {"client_ip": IP})
    _assert_cooldown(slots)
    assert dispatcher.messages == [] and "verify_attempts" not in slots  # the rules answer; no conversation strike
    kinds = [(r.kind, r.client_key) for r in rows(db)]
    assert kinds == [(LOOKUP_FAILED, f"ip:{IP}")] * 10 + [(LOOKUP_LOCKED, f"ip:{IP}")]


async def test_below_the_limit_the_ip_can_still_look_up(db: App) -> None:
    await fail_in_conversations(9, {"client_ip": IP})
    _, _, slots = await attempt(f"{ORDER} {TAIL}", "fresh-chat", {"client_ip": IP})
    assert slots["next_move"] == "diag_processing_overdue" and slots["verified"] is True


async def test_a_locked_client_is_not_looked_up(db: App, monkeypatch: pytest.MonkeyPatch) -> None:
    await fail_in_conversations(10, {"client_ip": IP})

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("looked up while cooling down")

    monkeypatch.setattr(db.lookups, "look_up", must_not_run)
    _, _, slots = await attempt(f"{ORDER} {TAIL}", "fresh-chat", {"client_ip": IP})
    _assert_cooldown(slots)


async def test_a_different_ip_is_unaffected(db: App) -> None:
    await fail_in_conversations(10, {"client_ip": IP})
    _assert_cooldown((await attempt(f"{ORDER} {TAIL}", "again", {"client_ip": IP}))[2])
    _, _, slots = await attempt(f"{ORDER} {TAIL}", "neighbour", {"client_ip": "198.51.100.20"})
    assert slots["next_move"] == "diag_processing_overdue"


async def test_a_signed_customer_is_keyed_by_customer_id_whatever_the_ip(db: App) -> None:
    token = db.customers.sign("cust-42", "13800003821")
    for n in range(10):  # someone else's order, from a new IP and a new chat each time
        _, _, slots = await attempt(OTHER_ORDER, f"c{n}", {"customer_token": token, "client_ip": f"10.0.0.{n}"})
        assert slots["next_move"] == "not_verified"
    assert {r.client_key for r in rows(db)} == {"customer:cust-42"}
    _, _, slots = await attempt(ORDER, "c-last", {"customer_token": token, "client_ip": "10.9.9.9"})
    _assert_cooldown(slots)
    # Another signed customer behind the same IP, and an anonymous visitor on it, are not held back.
    other = db.customers.sign("cust-7", "13911112233")
    _, _, slots = await attempt(OTHER_ORDER, "c-other", {"customer_token": other, "client_ip": "10.0.0.1"})
    assert slots["next_move"] == "diag_processing_recent"
    _, _, slots = await attempt(f"{ORDER} {TAIL}", "anon", {"client_ip": "10.0.0.1"})
    assert slots["next_move"] == "diag_processing_overdue"


async def test_without_an_ip_the_conversation_is_the_client(db: App) -> None:
    await attempt(f"{ORDER} 0000", "no-ip-chat", {})
    await attempt(f"{ORDER} 0000", "no-ip-chat", {"client_ip": "  "})
    assert [r.client_key for r in rows(db)] == ["sender:no-ip-chat", "sender:no-ip-chat"]


@pytest.mark.parametrize(("minutes_ago", "locked"), [(16, False), (14, True)])
async def test_the_window_slides(db: App, minutes_ago: int, locked: bool) -> None:
    then = utcnow() - timedelta(minutes=minutes_ago)
    for _ in range(10):
        db.security.record_event(LOOKUP_FAILED, f"ip:{IP}", "earlier-chat", "order=KM2026********15", now=then)
    _, _, slots = await attempt(f"{ORDER} {TAIL}", "later-chat", {"client_ip": IP})
    assert (slots["next_move"] == "locked") is locked


async def test_limit_and_window_come_from_the_settings(db: App) -> None:
    with installed(rebuilt(db, TOPUP_CLIENT_MAX_FAILED_LOOKUPS="2", TOPUP_LOOKUP_COOLDOWN_MINUTES="1")) as app:
        app.security.record_event(LOOKUP_FAILED, f"ip:{IP}", "x", now=utcnow() - timedelta(seconds=90))  # outside 1 min
        await fail_in_conversations(2, {"client_ip": IP})
        _, _, slots = await attempt(f"{ORDER} {TAIL}", "later-chat", {"client_ip": IP})
    _assert_cooldown(slots)


async def test_events_are_written_and_logged_masked(db: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="topup.security")
    await fail_in_conversations(10, {"client_ip": IP}, prefix="chat")
    await attempt(f"{ORDER} {TAIL}", "chat-last", {"client_ip": IP})
    stored = rows(db)
    assert stored[0].conversation_id == "chat-0" and stored[-1].conversation_id == "chat-last"
    assert all(r.created_at is not None for r in stored)
    assert stored[0].detail == "order=KM2026********15" and "failures=10" in stored[-1].detail
    logged = [r for r in caplog.records if r.name == "topup.security"]
    assert len(logged) == 11 and all(r.levelno == logging.WARNING for r in logged)
    assert logged[-1].security_event == {  # type: ignore[attr-defined]
        "kind": LOOKUP_LOCKED, "client": f"ip:{IP}", "conversation": "chat-last", "detail": stored[-1].detail
    }  # fmt: skip
    text = caplog.text + json.dumps([r.detail for r in stored])
    assert ORDER not in text and "0000" not in text and TAIL not in text


async def test_wrong_tail_and_unknown_order_stay_identical_and_both_count(db: App) -> None:
    wrong_tail = await attempt(f"{ORDER} 0000", "chat-a", {"client_ip": IP})
    unknown = await attempt(f"KM20261127999999 {TAIL}", "chat-a", {"client_ip": IP})
    assert json.dumps(wrong_tail[0], sort_keys=True) == json.dumps(unknown[0], sort_keys=True)
    assert wrong_tail[1].messages == unknown[1].messages == []
    assert [(r.kind, r.client_key) for r in rows(db)] == [(LOOKUP_FAILED, f"ip:{IP}")] * 2


async def test_while_cooling_down_known_and_unknown_orders_look_the_same(db: App) -> None:
    await fail_in_conversations(10, {"client_ip": IP})
    known = await attempt(f"{ORDER} {TAIL}", "chat-z", {"client_ip": IP})
    unknown = await attempt(f"KM20261127999999 {TAIL}", "chat-z", {"client_ip": IP})
    assert json.dumps(known[0], sort_keys=True) == json.dumps(unknown[0], sort_keys=True)


async def test_database_down_gives_the_system_trouble_answer(db_down: App) -> None:
    _, _, slots = await attempt(TAIL, "chat", {"client_ip": IP}, {"order_id": ORDER, "awaiting": "phone_last4"})
    assert (slots["next_move"], slots["order_id"], slots["phone_last4"]) == ("lookup_error", ORDER, TAIL)


async def test_no_security_table_gives_the_system_trouble_answer(db: App) -> None:
    SecurityEventRow.__table__.drop(db.engine)
    _, _, slots = await attempt(f"{ORDER} {TAIL}", "chat", {"client_ip": IP})
    assert slots["next_move"] == "lookup_error"


async def test_failing_to_store_a_failure_keeps_the_answer(db: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(db.security, "record_event", broken)
    events, _, slots = await attempt(f"{ORDER} 0000", "chat", {"client_ip": IP})
    assert final_slots(events)["next_move"] == "not_verified" and slots["verify_attempts"] == 1


def test_client_keys_fit_the_column_and_stay_distinct() -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    assert client_key({"client_ip": long_a}, "s", None) != client_key({"client_ip": long_b}, "s", None)
    assert all(len(client_key({"client_ip": v}, "s", None)) <= 128 for v in (long_a, long_b))
    assert client_key("not a dict", "s\n", None) == "sender:s?"  # type: ignore[arg-type]
    assert client_key({"client_ip": 7}, "s", None) == "sender:s"
    assert client_key({"client_ip": IP}, "s", Customer("", "138")) == f"ip:{IP}"


@pytest.mark.parametrize(
    ("order", "masked"), [(ORDER, "KM2026********15"), ("KM1", "***"), (None, ""), ("1234567890", "123456**90")]
)
def test_mask_order_no(order: str | None, masked: str) -> None:
    assert mask_order_no(order) == masked


def test_log_lines_cannot_be_forged(caplog: pytest.LogCaptureFixture, empty_db: App) -> None:
    caplog.set_level(logging.WARNING, logger="topup.security")
    empty_db.security.record_event(LOOKUP_FAILED, "ip:1", "evil\nsecurity_event kind=ok\u202e", "x\r\ny")
    assert "\n" not in caplog.records[0].getMessage() and "\u202e" not in caplog.records[0].getMessage()

"""Bounds on guessing who owns an order: per conversation, per order number from anywhere, per client address with a
ceiling high enough for a shared NAT. Played as the people involved: honest customers behind one carrier address
who mistype, a guesser spreading one order over many addresses, an enumerator on one address."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from helpers import Conversation
from sqlalchemy import select

from tests.appkit import installed, rebuilt
from topup.app import App
from topup.clock import utcnow
from topup.customer_token import Customer
from topup.db.engine import unit_of_work
from topup.db.schema import SecurityEventRow
from topup.services.security import LOOKUP_FAILED, LOOKUP_LOCKED, client_key, mask_order_no, order_key

ORDER, TAIL = "KM20261127004215", "3821"
OTHER_ORDER, OTHER_TAIL = "KM20261128000107", "2233"
NAT = "203.0.113.7"  # one carrier-grade NAT address in front of many customers
REFUSED = {"utter_verify_cooldown", "utter_order_locked"}


async def attempt(text: str, sender: str, ip: str | None = NAT, metadata: dict | None = None) -> Conversation:
    """One message in a new conversation `sender` from `ip`."""
    chat = Conversation(sender, {**({"client_ip": ip} if ip else {}), **(metadata or {})})
    await chat.say(text)
    return chat


def unknown_order(n: int) -> str:
    return f"KM20261127{900000 + n:06d}"


def rows(app: App) -> list[SecurityEventRow]:
    with unit_of_work(app.engine) as session:
        return list(session.execute(select(SecurityEventRow).order_by(SecurityEventRow.id)).scalars())


def failures(app: App, key: str) -> int:
    return sum(1 for r in rows(app) if r.kind == LOOKUP_FAILED and r.client_key == key)


def refused(chat: Conversation) -> bool:
    return bool(REFUSED & set(chat.replies[-1])) and not chat.case.get("verified") and not chat.case.get("facts")


# --- honest customers ---------------------------------------------------------------------------------------------


async def test_honest_customers_behind_one_busy_address_are_never_refused(db: App) -> None:
    for n in range(40):  # forty other customers on the same carrier address, each mistyping their own tail once
        chat = await attempt(f"{unknown_order(n)} 0000", f"neighbour-{n}")
        assert chat.replies[-1] == ["utter_not_verified_keep_order"]
    chat = await attempt(f"{ORDER} {TAIL}", "honest")
    assert chat.case["verified"] and chat.replies[-1][0] == "utter_diagnosis_processing_overdue"


async def test_a_customer_who_mistyped_in_another_chat_still_gets_in(db: App) -> None:
    earlier = await attempt(f"{ORDER} 3812", "first-try")
    await earlier.say("3128")
    chat = await attempt(f"{ORDER} {TAIL}", "second-chat")
    assert chat.case["verified"]


async def test_a_wrong_tail_keeps_the_order_and_the_right_one_then_works(db: App) -> None:
    chat = await attempt(f"{ORDER} 3812", "typo")
    assert chat.case["order_no"] == ORDER and chat.case["attempts"] == 1
    await chat.say("哦打错了 是3821")
    assert chat.case["verified"]


# --- guessers -----------------------------------------------------------------------------------------------------


async def test_guessing_one_order_from_many_addresses_is_bounded_per_order(db: App) -> None:
    for n in range(5):
        chat = await attempt(f"{ORDER} {1000 + n}", f"spread-{n}", ip=f"198.51.100.{n}")
        assert chat.replies[-1] == ["utter_not_verified_keep_order"]
    assert failures(db, order_key(ORDER)) == 5
    guess = await attempt(f"{ORDER} {TAIL}", "spread-right", ip="198.51.100.99")
    assert refused(guess) and guess.replies[-1][0] == "utter_order_locked"
    other = await attempt(f"{OTHER_ORDER} {OTHER_TAIL}", "someone-else", ip="198.51.100.99")
    assert other.case["verified"]  # the other orders are not held back


async def test_enumeration_from_one_address_stops_at_the_ceiling(db: App, monkeypatch: pytest.MonkeyPatch) -> None:
    limit = db.settings.client_max_failed_lookups
    for n in range(limit):
        await attempt(f"{unknown_order(n)} 0000", f"enum-{n}")
    looked_up: list[str] = []
    real = db.lookups.look_up
    monkeypatch.setattr(db.lookups, "look_up", lambda *a, **k: looked_up.append(a[0]) or real(*a, **k))
    chat = await attempt(f"{ORDER} {TAIL}", "enum-last")
    assert refused(chat) and chat.replies[-1][0] == "utter_verify_cooldown" and looked_up == []
    assert failures(db, f"ip:{NAT}") == limit


async def test_a_locked_address_does_not_hold_back_another(db: App) -> None:
    with installed(rebuilt(db, TOPUP_CLIENT_MAX_FAILED_LOOKUPS="4")):
        for n in range(4):
            await attempt(f"{unknown_order(n)} 0000", f"a-{n}")
        assert refused(await attempt(f"{ORDER} {TAIL}", "a-last"))
        assert (await attempt(f"{ORDER} {TAIL}", "b", ip="198.51.100.20")).case["verified"]


async def test_three_wrong_tails_stop_the_conversation_even_with_the_right_one_after(db: App) -> None:
    chat = await attempt(f"{ORDER} 1111", "three")
    await chat.say("2222")
    await chat.say("3333")
    assert chat.replies[-1] == ["utter_verify_locked", "utter_offer_human"] and chat.case["phase"] == "locked"
    await chat.say(f"{ORDER} {TAIL}")
    assert not chat.case["verified"] and "utter_verify_locked_still" in chat.replies[-1]


async def test_a_signed_customer_is_counted_by_customer_id_whatever_the_address(db: App) -> None:
    token = db.customers.sign("cust-42", "13800003821")
    with installed(rebuilt(db, TOPUP_CLIENT_MAX_FAILED_LOOKUPS="4")):
        for n in range(4):  # someone else's order, from a new address and a new chat each time
            chat = await attempt(OTHER_ORDER, f"c{n}", ip=f"10.0.0.{n}", metadata={"customer_token": token})
            assert chat.replies[-1][0] == "utter_ask_phone_last4", chat.replies
        assert {r.client_key for r in rows(db) if r.kind == LOOKUP_FAILED} >= {"customer:cust-42"}
        assert refused(await attempt(ORDER, "c-last", ip="10.9.9.9", metadata={"customer_token": token}))
        # An anonymous visitor on one of those addresses is not held back.
        assert (await attempt(f"{ORDER} {TAIL}", "anon", ip="10.0.0.1")).case["verified"]


async def test_without_an_address_the_conversation_is_the_client(db: App) -> None:
    await attempt(f"{ORDER} 0000", "no-ip-chat", ip=None)
    await attempt(f"{ORDER} 0000", "no-ip-chat", ip="  ")
    assert [r.client_key for r in rows(db) if not r.client_key.startswith("order:")] == ["sender:no-ip-chat"] * 2


@pytest.mark.parametrize(("minutes_ago", "locked"), [(16, False), (14, True)])
async def test_the_window_slides(db: App, minutes_ago: int, locked: bool) -> None:
    then = utcnow() - timedelta(minutes=minutes_ago)
    for _ in range(db.settings.order_max_failed_lookups):
        db.security.record_event(LOOKUP_FAILED, order_key(ORDER), "earlier-chat", "order=KM2026********15", now=then)
    chat = await attempt(f"{ORDER} {TAIL}", "later-chat")
    assert refused(chat) is locked


async def test_limits_and_window_come_from_the_settings(db: App) -> None:
    env = {"TOPUP_ORDER_MAX_FAILED_LOOKUPS": "2", "TOPUP_LOOKUP_COOLDOWN_MINUTES": "1"}
    with installed(rebuilt(db, **env)) as app:
        app.security.record_event(LOOKUP_FAILED, order_key(ORDER), "x", now=utcnow() - timedelta(seconds=90))
        await attempt(f"{ORDER} 0000", "s1", ip="192.0.2.1")
        assert not refused(await attempt(f"{ORDER} {TAIL}", "s2", ip="192.0.2.2"))
        await attempt(f"{ORDER} 0001", "s3", ip="192.0.2.3")
        assert refused(await attempt(f"{ORDER} {TAIL}", "s4", ip="192.0.2.4"))


# --- what is stored and said ---------------------------------------------------------------------------------------


async def test_events_are_written_and_logged_masked(db: App, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="topup.security")
    for n in range(5):
        await attempt(f"{ORDER} 000{n}", f"chat-{n}", ip=f"192.0.2.{n}")
    await attempt(f"{ORDER} {TAIL}", "chat-last")
    stored = rows(db)
    assert [r.kind for r in stored].count(LOOKUP_FAILED) == 10  # each failure: for the client and for the order
    assert stored[-1].kind == LOOKUP_LOCKED and "limit=order_locked" in stored[-1].detail
    assert all(r.created_at is not None for r in stored) and stored[0].detail == "order=KM2026********15"
    logged = [r for r in caplog.records if r.name == "topup.security"]
    assert len(logged) == 6 and all(r.levelno == logging.WARNING for r in logged)
    text = caplog.text + json.dumps([(r.detail, r.client_key) for r in stored])
    assert ORDER not in text and "0000" not in text and TAIL not in text


async def test_wrong_tail_and_unknown_order_get_the_same_answer_and_both_count(db: App) -> None:
    wrong_tail = await attempt(f"{ORDER} 0000", "chat-a")
    unknown = await attempt(f"KM20261127999999 {TAIL}", "chat-b")
    assert wrong_tail.replies == unknown.replies == [["utter_not_verified_keep_order"]]
    assert failures(db, f"ip:{NAT}") == 2


async def test_while_refused_known_and_unknown_orders_look_the_same(db: App) -> None:
    with installed(rebuilt(db, TOPUP_CLIENT_MAX_FAILED_LOOKUPS="2")):
        for n in range(2):
            await attempt(f"{unknown_order(n)} 0000", f"z-{n}")
        known = await attempt(f"{ORDER} {TAIL}", "chat-z")
        unknown = await attempt(f"KM20261127999999 {TAIL}", "chat-y")
    assert known.replies == unknown.replies and known.texts == unknown.texts


async def test_database_down_gives_the_system_trouble_answer(db_down: App) -> None:
    chat = await attempt(f"{ORDER} {TAIL}", "chat")
    assert chat.replies[-1] == ["utter_lookup_error", "utter_offer_human"]
    assert (chat.case["order_no"], chat.case["tail"]) == (ORDER, TAIL)


async def test_no_security_table_gives_the_system_trouble_answer(db: App) -> None:
    SecurityEventRow.__table__.drop(db.engine)
    chat = await attempt(f"{ORDER} {TAIL}", "chat")
    assert chat.replies[-1][0] == "utter_lookup_error"


async def test_failing_to_store_a_failure_keeps_the_answer(db: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(db.security, "record_failure", broken)
    chat = await attempt(f"{ORDER} 0000", "chat")
    assert chat.replies[-1] == ["utter_not_verified_keep_order"] and chat.case["attempts"] == 1


def test_client_keys_fit_the_column_and_stay_distinct() -> None:
    long_a, long_b = "a" * 300, "a" * 299 + "b"
    assert client_key({"client_ip": long_a}, "s", None) != client_key({"client_ip": long_b}, "s", None)
    assert all(len(client_key({"client_ip": v}, "s", None)) <= 128 for v in (long_a, long_b))
    assert client_key("not a dict", "s\n", None) == "sender:s?"  # type: ignore[arg-type]
    assert client_key({"client_ip": 7}, "s", None) == "sender:s"
    assert client_key({"client_ip": NAT}, "s", Customer("", "138")) == f"ip:{NAT}"
    assert order_key(ORDER) != order_key(OTHER_ORDER) and ORDER not in order_key(ORDER)
    assert len(order_key(ORDER)) <= 128


@pytest.mark.parametrize(
    ("order", "masked"), [(ORDER, "KM2026********15"), ("KM1", "***"), (None, ""), ("1234567890", "123456**90")]
)
def test_mask_order_no(order: str | None, masked: str) -> None:
    assert mask_order_no(order) == masked


def test_log_lines_cannot_be_forged(caplog: pytest.LogCaptureFixture, empty_db: App) -> None:
    caplog.set_level(logging.WARNING, logger="topup.security")
    empty_db.security.record_event(LOOKUP_FAILED, "ip:1", "evil\nsecurity_event kind=ok\u202e", "x\r\ny")
    assert "\n" not in caplog.records[0].getMessage() and "\u202e" not in caplog.records[0].getMessage()

"""action_verify_order: collecting the order number and phone tail, verifying, diagnosing, locking."""

from __future__ import annotations

import pytest
from helpers import apply_events, entity, final_slots, make_tracker, run_action, user_event

from actions.verification import ActionVerifyOrder
from topup.app import App

ORDER = "KM20261127004215"
TAIL = "3821"
ORDER_SLOTS = (
    "order_product", "order_amount", "order_payment", "order_paid_at", "minutes_waiting",
    "wait_until", "notice_title", "refund_time", "diagnosis", "selfhelp_plan",
)  # fmt: skip


async def verify(**kwargs: object) -> tuple[list[dict], dict]:
    events, dispatcher = await run_action(ActionVerifyOrder(), make_tracker(**kwargs))  # type: ignore[arg-type]
    assert dispatcher.messages == []  # the rules utter the responses, never the action
    return events, final_slots(events)


async def test_complaint_without_order_asks_for_it_and_remembers_the_complaint() -> None:
    _, slots = await verify(text="充值一直没到账，怎么回事", intent="recharge_stuck")
    assert slots == {"complaint": "recharge_stuck", "awaiting": "order_id", "next_move": "ask_order_id"}


@pytest.mark.parametrize(
    "text",
    [
        "km20261127004215",
        "KM 2026 1127 004215",
        "KM-20261127-004215",
        "ＫＭ２０２６１１２７００４２１５",
        "20261127004215",
        "我的订单号是KM20261127004215，帮我查查",
    ],
)
async def test_order_number_in_any_form_is_normalised_and_the_tail_asked(text: str) -> None:
    _, slots = await verify(text=text)
    assert slots["next_move"] == "ask_phone_last4"
    assert slots["awaiting"] == "phone_last4"
    assert slots["order_id"] == ORDER
    assert slots["phone_last4"] is None and slots["verified"] is False


async def test_order_number_as_entity() -> None:
    text = f"订单 {ORDER.lower()}"
    _, slots = await verify(text=text, entities=[entity("order_id", ORDER.lower(), text)])
    assert (slots["next_move"], slots["awaiting"], slots["order_id"]) == ("ask_phone_last4", "phone_last4", ORDER)


async def test_a_new_order_number_drops_the_previous_verification_and_tail() -> None:
    previous = {"order_id": "KM20261128000107", "phone_last4": "2233", "verified": True, "steps_log": [{"x": 1}]}
    _, slots = await verify(text=ORDER, slots=previous)
    assert slots["verified"] is False and slots["steps_log"] == []
    assert (slots["order_id"], slots["phone_last4"], slots["next_move"]) == (ORDER, None, "ask_phone_last4")


@pytest.mark.parametrize("text", ["KM2026112700421", "1' OR '1'='1", "KM20261332004215", "订单号我忘了"])
@pytest.mark.parametrize("intent", ["inform", "nlu_fallback"])
async def test_malformed_order_number_while_awaiting_it(
    empty_db: App, text: str, intent: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(empty_db.lookups, "look_up", _unavailable)
    _, slots = await verify(text=text, intent=intent, slots={"awaiting": "order_id"})
    assert slots == {"next_move": "order_id_malformed", "awaiting": "order_id", "order_id": None, "verified": False}


@pytest.mark.parametrize("text", ["abc", "12345", "382", "尾号是 3821 还是 5566"])
async def test_invalid_phone_tail_while_awaiting_it(text: str) -> None:
    _, slots = await verify(text=text, slots={"order_id": ORDER, "awaiting": "phone_last4"})
    assert slots == {"next_move": "phone_last4_invalid", "awaiting": "phone_last4", "order_id": ORDER}


def _assert_verified_overdue(slots: dict) -> None:
    assert slots["next_move"] == "diag_processing_overdue"
    assert slots["awaiting"] is None
    assert (slots["order_id"], slots["phone_last4"], slots["verified"]) == (ORDER, TAIL, True)
    assert slots["order_product"] == "中国移动话费"
    assert (slots["order_amount"], slots["order_payment"], slots["minutes_waiting"]) == ("100", "支付宝", "45")
    assert slots["selfhelp_plan"] == ["refresh_relogin", "check_account"]
    assert slots["diagnosis"] == "processing_overdue" and slots["order_paid_at"]


async def test_order_and_tail_in_one_message_separated_by_a_space(db: App) -> None:
    _, slots = await verify(text=f"{ORDER} {TAIL}")
    _assert_verified_overdue(slots)


@pytest.mark.parametrize(
    "text", [f"{ORDER}，{TAIL}", f"订单{ORDER} 手机尾号{TAIL}", f"ＫＭ２０２６１１２７００４２１５，{TAIL}"]
)
async def test_order_and_tail_in_one_message(db: App, text: str) -> None:
    _, slots = await verify(text=text)
    _assert_verified_overdue(slots)


async def test_order_and_tail_as_entities(db: App) -> None:
    text = f"{ORDER} {TAIL}"
    _, slots = await verify(text=text, entities=[entity("order_id", ORDER, text), entity("phone_last4", TAIL, text)])
    _assert_verified_overdue(slots)


async def test_tail_answered_after_the_order(db: App) -> None:
    _, slots = await verify(text=TAIL, slots={"order_id": ORDER, "awaiting": "phone_last4"})
    _assert_verified_overdue(slots)


async def test_full_phone_number_answers_the_tail_question(db: App) -> None:
    _, slots = await verify(text="13800003821", slots={"order_id": ORDER, "awaiting": "phone_last4"})
    _assert_verified_overdue(slots)


DEMO = [  # order, tail, diagnosis kind, awaiting afterwards
    ("KM20261127004215", "3821", "processing_overdue", None),
    ("KM20261128000107", "2233", "processing_recent", "anything_else"),
    ("KM20261128000233", "5566", "processing_overdue", None),
    ("KM20261127003390", "7788", "delivered", None),
    ("KM20261128000415", "1234", "unpaid", "anything_else"),
    ("KM20261128000522", "4321", "payment_failed", "anything_else"),
    ("KM20261126002001", "6666", "failed_refunding", "anything_else"),
    ("KM20261127001888", "8888", "failed_no_refund", None),
    ("KM20261125000999", "9999", "refunded", None),
    ("KM20261128000648", "4455", "under_review", None),
    ("KM20261128000777", "7777", "duplicate_charge", None),
    ("KM20261128000808", "8080", "processing_notice", "anything_else"),
]


@pytest.mark.parametrize(("order", "tail", "kind", "awaiting"), DEMO, ids=[d[2] + "-" + d[1] for d in DEMO])
async def test_each_demo_order_gets_its_diagnosis(db: App, order: str, tail: str, kind: str, awaiting: str) -> None:
    _, slots = await verify(text=tail, slots={"order_id": order, "awaiting": "phone_last4"})
    assert (slots["next_move"], slots["diagnosis"], slots["awaiting"]) == (f"diag_{kind}", kind, awaiting)
    assert slots["verified"] is True and slots["order_amount"]
    if kind == "processing_notice":
        assert "游戏币充值通道系统升级维护" in slots["notice_title"] and slots["wait_until"]
    if kind in ("failed_refunding", "refunded"):
        assert slots["refund_time"]


@pytest.mark.parametrize(
    ("order", "tail", "intent", "text", "kind"),
    [
        ("KM20261128000415", "1234", "charged_not_received", "扣了钱没到账 1234", "debit_not_recorded"),
        ("KM20261128000415", "1234", "inform", "钱已经扣了，尾号1234", "debit_not_recorded"),
        (ORDER, TAIL, "duplicate_charge", "被扣了两次 3821", "duplicate_claim"),
    ],
)
async def test_the_customers_claim_changes_the_diagnosis(
    db: App, order: str, tail: str, intent: str, text: str, kind: str
) -> None:
    _, slots = await verify(text=text, intent=intent, slots={"order_id": order, "awaiting": "phone_last4"})
    assert slots["next_move"] == f"diag_{kind}"


async def test_wrong_tail_and_unknown_order_are_indistinguishable(db: App) -> None:
    wrong_tail, _ = await verify(text="0000", slots={"order_id": ORDER, "awaiting": "phone_last4"})
    unknown, _ = await verify(text=TAIL, slots={"order_id": "KM20261127999999", "awaiting": "phone_last4"})
    assert wrong_tail == unknown
    assert final_slots(unknown) == {
        "order_id": None,
        "phone_last4": None,
        "verify_attempts": 1,
        "verified": False,
        "awaiting": "order_id",
        "next_move": "not_verified",
    }


async def test_third_failure_locks_and_reveals_nothing(db: App) -> None:
    slots: dict = {"awaiting": "order_id"}
    moves = []
    for _ in range(3):
        events, _ = await verify(text=f"{ORDER}，0000", slots=slots)
        slots = apply_events(slots, events)
        moves.append(slots["next_move"])
    assert moves == ["not_verified", "not_verified", "locked"]
    assert (slots["awaiting"], slots["verify_attempts"], slots["lock_reason"]) == ("offer_human", 3, "conversation")
    assert slots["order_id"] is None and slots["phone_last4"] is None
    assert not set(ORDER_SLOTS) & set(final_slots(events)) and slots.get("verified") is not True


@pytest.mark.parametrize("attempts", [3, 3.0, 7])
async def test_once_locked_even_the_right_order_and_tail_stay_locked(db: App, attempts: float) -> None:
    text = f"{ORDER}，{TAIL}"
    _, slots = await verify(text=text, intent="recharge_stuck", slots={"verify_attempts": attempts})
    assert slots == {
        "complaint": "recharge_stuck", "awaiting": "offer_human", "next_move": "locked", "lock_reason": "conversation"
    }  # fmt: skip


async def test_database_down_keeps_what_the_customer_gave(db_down: App) -> None:
    _, slots = await verify(text=TAIL, slots={"order_id": ORDER, "awaiting": "phone_last4"})
    assert slots == {"next_move": "lookup_error", "awaiting": "offer_human", "order_id": ORDER, "phone_last4": TAIL}


async def test_lookup_raising_gives_lookup_error(db: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db.lookups, "look_up", _unavailable)
    _, slots = await verify(text=f"{ORDER}，{TAIL}")
    assert (slots["next_move"], slots["order_id"], slots["phone_last4"]) == ("lookup_error", ORDER, TAIL)
    assert "verified" in slots and slots["verified"] is False


@pytest.mark.parametrize(
    ("text", "slots", "move"),
    [
        ("卡" * 10_000, {}, "ask_order_id"),
        ("1" * 10_000, {"awaiting": "order_id"}, "order_id_malformed"),
        ("我" * 9_984 + ORDER, {}, "ask_phone_last4"),
        ("<script>alert(1)</script>", {"awaiting": "order_id"}, "order_id_malformed"),
        ("<script>alert(1)</script>", {"order_id": ORDER, "awaiting": "phone_last4"}, "phone_last4_invalid"),
        ("<b>" * 2_500, {}, "ask_order_id"),
    ],
)
async def test_hostile_or_huge_messages_do_not_raise(db: App, text: str, slots: dict, move: str) -> None:
    _, final = await verify(text=text, slots=slots, events=[user_event("你好", "greet")])
    assert final["next_move"] == move


def _unavailable(*args: object, **kwargs: object) -> None:
    raise RuntimeError("database unavailable")


@pytest.mark.parametrize("text", [f"{ORDER}，0000", "KM2026112700421"])
async def test_a_failed_reverification_clears_verified(db: App, text: str) -> None:
    before = {"order_id": ORDER, "phone_last4": TAIL, "verified": True, "awaiting": "order_id"}
    events, _ = await verify(text=text, slots=before)
    assert apply_events(before, events)["order_id"] is None
    assert apply_events(before, events)["verified"] is False


@pytest.mark.parametrize("value", [True, ["KM20261127004215"], {"v": 1}, 3.5, None, ""])
async def test_entity_values_that_are_not_text_are_ignored(value: object) -> None:
    """`/inform{"order_id": true}` typed into the chat reaches the action with that JSON value."""
    _, slots = await verify(text="/inform", entities=[{"entity": "order_id", "value": value}])
    assert slots == {"awaiting": "order_id", "next_move": "ask_order_id"}


async def test_numeric_entity_values_are_read_as_digits(db: App) -> None:
    entities = [{"entity": "order_id", "value": 20261127004215}, {"entity": "phone_last4", "value": 3821}]
    _, slots = await verify(text="/inform", entities=entities)
    _assert_verified_overdue(slots)

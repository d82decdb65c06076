"""action_request_human and action_handoff: one ticket per conversation, filled in, never an exception."""

from __future__ import annotations

import re

import pytest
from helpers import bot_event, entity, final_slots, make_tracker, run_action, user_event
from rasa_sdk import Action

from actions.digressions import ActionFallback, ActionSetIdle
from actions.handoff import ActionHandoff, ActionRequestHuman, handoff_reason
from actions.verification import ActionVerifyOrder
from topup.app import App
from topup.model import TicketView

ORDER = "KM20261127004215"
STEPS = [{"step": "refresh_relogin", "outcome": "not_helped"}, {"step": "check_account", "outcome": "not_helped"}]
HISTORY = [
    user_event("充值一直卡在正在充值，钱已经扣了", "recharge_stuck"),
    bot_event("麻烦把订单号发我一下"),
    user_event("KM20261127004215，3821", "inform"),
]
VERIFIED = {
    "order_id": ORDER, "phone_last4": "3821", "verified": True, "complaint": "recharge_stuck",
    "steps_log": STEPS, "next_move": "handoff", "awaiting": None,
}  # fmt: skip


async def request_human(slots: dict) -> dict:
    events, dispatcher = await run_action(ActionRequestHuman(), make_tracker("转人工", "request_human", slots=slots))
    assert dispatcher.messages == []
    return final_slots(events)


async def hand_off(text: str = "还是不行", intent: str = "deny", slots: dict | None = None, **kw: object) -> dict:
    tracker = make_tracker(text, intent, slots=slots if slots is not None else VERIFIED, events=HISTORY, **kw)  # type: ignore[arg-type]
    events, dispatcher = await run_action(ActionHandoff(), tracker)
    assert dispatcher.messages == []
    return final_slots(events)


def only_ticket(app: App) -> TicketView:
    tickets = app.handoffs.list_tickets()
    assert len(tickets) == 1
    return tickets[0]


async def test_request_human_without_order_asks_for_it_once() -> None:
    assert await request_human({}) == {"awaiting": "human_order", "next_move": "ask_human_order"}


@pytest.mark.parametrize(
    "slots",
    [
        {"order_id": ORDER, "awaiting": "step_feedback"},
        {"order_id": ORDER, "awaiting": None},
        {"awaiting": "order_id"},
        {"awaiting": "human_order"},
        {"awaiting": "phone_last4"},
    ],
)
async def test_request_human_hands_off_when_the_order_is_known_or_was_asked_for(slots: dict) -> None:
    assert await request_human(slots) == {"awaiting": slots["awaiting"], "next_move": "handoff"}


async def test_handoff_creates_a_filled_in_ticket(db: App) -> None:
    slots = await hand_off()
    assert (slots["next_move"], slots["awaiting"], slots["order_id"]) == ("handoff_created", "handed_off", ORDER)
    assert re.fullmatch(r"TK\d{8}\d{6}", slots["ticket_no"])
    assert slots["ticket_wait"] == "3"  # high priority, nobody ahead
    ticket = only_ticket(db)
    assert (ticket.ticket_no, ticket.order_no, ticket.conversation_id) == (
        slots["ticket_no"],
        ORDER,
        "test-conversation",
    )
    assert ticket.priority.value == "high"
    details = ticket.details
    assert details["verified"] is True and details["complaint"] == "recharge_stuck"
    assert details["handoff_reason"] == "selfhelp_exhausted"
    assert "debited_processing_30min" in details["priority_reasons"]
    assert details["steps"] == STEPS
    assert details["customer_description"] == "充值一直卡在正在充值，钱已经扣了"
    assert details["order"]["order_no"] == ORDER and details["order"]["diagnosis"] == "processing_overdue"
    assert [(t["role"], t["text"]) for t in details["transcript"]] == [
        ("customer", "充值一直卡在正在充值，钱已经扣了"),
        ("assistant", "麻烦把订单号发我一下"),
        ("customer", "KM20261127004215，3821"),
        ("customer", "还是不行"),
    ]


async def test_handoff_twice_in_one_conversation_keeps_one_ticket(db: App) -> None:
    first = await hand_off()
    second = await hand_off("人呢？快点", "request_human", slots={**VERIFIED, **first})
    assert second["ticket_no"] == first["ticket_no"] and second["next_move"] == "handoff_created"
    ticket = only_ticket(db)
    assert ticket.details["handoff_reason"] == "customer_request"  # refreshed, not duplicated
    assert ticket.details["transcript"][-1]["text"] == "人呢？快点"


async def test_another_conversation_gets_its_own_ticket(db: App) -> None:
    first = await hand_off()
    other = await hand_off(sender_id="someone-else")
    assert other["ticket_no"] != first["ticket_no"]
    assert len(db.handoffs.list_tickets()) == 2


@pytest.mark.parametrize("with_entity", [False, True])
async def test_order_number_given_for_the_human_goes_on_the_ticket_unverified(db: App, with_entity: bool) -> None:
    text = "订单号 km 2026 1128 000107"
    ents = [entity("order_id", "km 2026 1128 000107", text)] if with_entity else []
    slots = {"awaiting": "human_order", "next_move": "ask_human_order", "verified": True}
    result = await hand_off(text, "inform", slots=slots, entities=ents)
    assert (result["order_id"], result["next_move"]) == ("KM20261128000107", "handoff_created")
    ticket = only_ticket(db)
    assert ticket.order_no == "KM20261128000107"
    assert ticket.details["verified"] is False  # the customer never proved it is theirs
    assert ticket.details["handoff_reason"] == "customer_request"


@pytest.mark.parametrize(
    ("text", "intent"), [("KM2026112700421", "inform"), ("没有", "deny"), ("1' OR '1'='1", "inform")]
)
async def test_no_usable_order_number_still_hands_off_without_order(db: App, text: str, intent: str) -> None:
    result = await hand_off(text, intent, slots={"awaiting": "human_order", "next_move": "ask_human_order"})
    assert (result["next_move"], result["awaiting"], result["order_id"]) == ("handoff_created", "handed_off", None)
    ticket = only_ticket(db)
    assert ticket.order_no is None and ticket.details["order"] is None
    assert ticket.priority.value == "normal" and result["ticket_wait"] == "8"


async def test_order_number_in_text_is_ignored_unless_asked_for_the_human(db: App) -> None:
    result = await hand_off(ORDER, "inform", slots={"awaiting": "offer_human", "next_move": "locked"})
    assert result["order_id"] is None and only_ticket(db).order_no is None
    assert only_ticket(db).details["handoff_reason"] == "verification_failed"


async def test_two_frustrated_messages_make_it_high_priority(empty_db: App) -> None:
    angry = [user_event("太坑了！！", "express_frustration"), user_event("气死我了", "express_frustration")]
    tracker = make_tracker("转人工", "request_human", slots={"next_move": "handoff"}, events=angry)
    events, _ = await run_action(ActionHandoff(), tracker)
    ticket = only_ticket(empty_db)
    assert final_slots(events)["ticket_no"] == ticket.ticket_no
    assert ticket.priority.value == "high" and ticket.details["priority_reasons"] == ["very_frustrated"]
    assert ticket.details["customer_description"] == "太坑了！！ / 气死我了"


async def test_huge_message_is_truncated_in_the_transcript(db: App) -> None:
    await hand_off("急" * 10_000, "express_frustration")
    assert len(only_ticket(db).details["transcript"][-1]["text"]) == 2000


async def test_database_down_keeps_the_handoff_on_disk_and_says_so(db_down: App) -> None:
    slots = await hand_off()
    assert (slots["next_move"], slots["awaiting"]) == ("handoff_queued", "handed_off")
    assert "ticket_no" not in slots  # no number is promised before the ticket exists
    queued = db_down.outbox.pending()
    assert len(queued) == 1 and "还是不行" in queued[0].read_text(encoding="utf-8")


async def test_database_and_disk_both_down_gives_handoff_failed(db_down: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(db_down.outbox, "enqueue", disk_full)
    assert await hand_off() == {"awaiting": None, "next_move": "handoff_failed"}


async def test_service_raising_gives_handoff_failed(db: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("tickets table locked")

    monkeypatch.setattr(db.handoffs, "hand_off", broken)
    assert await hand_off() == {"awaiting": None, "next_move": "handoff_failed"}


@pytest.mark.parametrize(
    ("next_move", "latest", "reason"),
    [
        ("handoff", "request_human", "customer_request"),
        ("locked", "request_human", "customer_request"),
        ("diag_under_review", "affirm", "diagnosis:under_review"),
        ("diag_failed_no_refund", None, "diagnosis:failed_no_refund"),
        ("locked", "affirm", "verification_failed"),
        ("lookup_error", "affirm", "system_error"),
        ("fallback_twice", "affirm", "not_understood"),
        ("handoff", "deny", "selfhelp_exhausted"),
        ("ask_human_order", "inform", "customer_request"),
        (None, None, "customer_request"),
        ("", "deny", "customer_request"),
    ],
)
def test_handoff_reason(next_move: str | None, latest: str | None, reason: str) -> None:
    assert handoff_reason(next_move, latest) == reason


async def test_an_unverified_answer_never_becomes_a_verified_ticket(db: App) -> None:
    fallback = [user_event("？？", "nlu_fallback")]
    slots: dict = {"order_id": ORDER, "phone_last4": "3821", "verified": True, "awaiting": "anything_else"}
    turns: list[tuple[Action, str, str | None, list[dict]]] = [
        (ActionVerifyOrder(), f"{ORDER}，0000", "inform", []),  # re-typed with a wrong tail: not_verified
        (ActionFallback(), "？？", "nlu_fallback", fallback),  # two misunderstandings: offer a human
        (ActionSetIdle(), "先不用", "deny", []),
        (ActionRequestHuman(), "转人工", "request_human", []),  # no order now: ask for one
        (ActionHandoff(), "KM20261128000107", "inform", []),  # someone else's order, never verified
        (ActionRequestHuman(), "转人工", "request_human", []),
        (ActionHandoff(), "转人工", "request_human", []),
    ]
    moves = []
    for action, text, intent, history in turns:
        events, _ = await run_action(action, make_tracker(text, intent, slots=slots, events=history))
        slots = {**slots, **final_slots(events)}
        moves.append(slots.get("next_move"))
        if isinstance(action, ActionHandoff):
            assert only_ticket(db).details["verified"] is False, moves
    assert moves[0] == "not_verified" and moves[-1] == "handoff_created"

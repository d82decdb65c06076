"""Notices, fallbacks, resuming after a digression, and going idle."""

from __future__ import annotations

import pytest
from helpers import DOMAIN, final_slots, make_tracker, responses, run_action, user_event

from actions.digressions import _PENDING_QUESTION, ActionCheckNotices, ActionFallback, ActionResume, ActionSetIdle
from topup.app import App

NOTICE = "游戏币充值通道系统升级维护"
AWAITING = [None, "order_id", "phone_last4", "step_feedback", "human_order", "offer_human", "anything_else"]
STEPS = ["refresh_relogin", "check_network", "check_debit", "clear_cache", "check_account", "official_app"]


async def check_notices(awaiting: str | None, **slots: object) -> dict:
    tracker = make_tracker("现在是不是在维护？", "ask_maintenance", slots={"awaiting": awaiting, **slots})
    events, dispatcher = await run_action(ActionCheckNotices(), tracker)
    assert dispatcher.messages == []
    return final_slots(events)


@pytest.mark.parametrize("awaiting", AWAITING)
async def test_active_notice_is_reported_and_awaiting_kept(db: App, awaiting: str | None) -> None:
    slots = await check_notices(awaiting)
    assert (slots["next_move"], slots["awaiting"]) == ("notice_active", awaiting)
    assert NOTICE in slots["notice_title"]
    assert slots["wait_until"]


@pytest.mark.parametrize(
    ("product_type", "payment_method", "move"),
    [("话费", "alipay", "notice_unrelated"), ("游戏币", "wechat", "notice_active"), ("点卡", None, "notice_unrelated")],
)
async def test_notice_for_another_product_is_said_not_to_affect_the_order(
    db: App, product_type: str, payment_method: str | None, move: str
) -> None:
    order = {"verified": True, "order_product_type": product_type, "order_payment_method": payment_method}
    slots = await check_notices("step_feedback", **order)
    assert (slots["next_move"], slots["awaiting"]) == (move, "step_feedback")
    assert NOTICE in slots["notice_title"]


async def test_unverified_conversation_hears_about_every_notice(db: App) -> None:
    slots = await check_notices(None, verified=False, order_product_type="话费")
    assert slots["next_move"] == "notice_active"


@pytest.mark.parametrize("awaiting", ["phone_last4", None])
async def test_no_notice(empty_db: App, awaiting: str | None) -> None:
    assert await check_notices(awaiting) == {"awaiting": awaiting, "next_move": "notice_none"}


@pytest.mark.parametrize("awaiting", ["order_id", None])
async def test_notices_unavailable(db_down: App, awaiting: str | None) -> None:
    assert await check_notices(awaiting) == {"awaiting": awaiting, "next_move": "notice_error"}


async def test_notice_service_raising(db: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(db.lookups, "active_notices", broken)
    assert await check_notices("step_feedback") == {"awaiting": "step_feedback", "next_move": "notice_error"}


async def fallback(history: list[dict], awaiting: str | None) -> dict:
    tracker = make_tracker("阿巴阿巴", "nlu_fallback", slots={"awaiting": awaiting}, events=history)
    events, dispatcher = await run_action(ActionFallback(), tracker)
    assert dispatcher.messages == []
    return final_slots(events)


@pytest.mark.parametrize("awaiting", ["phone_last4", "step_feedback", None])
async def test_first_fallback_asks_to_rephrase_and_keeps_awaiting(awaiting: str | None) -> None:
    history = [user_event("充值卡住了", "recharge_stuck")]
    assert await fallback(history, awaiting) == {"awaiting": awaiting, "next_move": "rephrase"}


async def test_fallbacks_separated_by_an_understood_message_are_not_consecutive() -> None:
    history = [user_event("？？", "nlu_fallback"), user_event("KM20261127004215", "inform")]
    assert (await fallback(history, "phone_last4"))["next_move"] == "rephrase"


async def test_second_consecutive_fallback_offers_a_human() -> None:
    history = [user_event("充值卡住了", "recharge_stuck"), user_event("？？", "nlu_fallback")]
    assert await fallback(history, "order_id") == {"awaiting": "offer_human", "next_move": "fallback_twice"}


async def resume(slots: dict) -> list[str | None]:
    events, dispatcher = await run_action(ActionResume(), make_tracker("谢谢", "thank", slots=slots))
    assert events == []
    return responses(dispatcher)


@pytest.mark.parametrize("step", STEPS)
async def test_resume_repeats_the_pending_step(step: str) -> None:
    assert await resume({"awaiting": "step_feedback", "current_step": step}) == [f"utter_step_{step}"]


@pytest.mark.parametrize(
    ("awaiting", "response"),
    [
        ("order_id", "utter_ask_order_id"),
        ("phone_last4", "utter_ask_phone_last4"),
        ("human_order", "utter_ask_order_for_human"),
        ("offer_human", "utter_offer_human"),
        (None, "utter_how_can_help"),
        ("anything_else", "utter_how_can_help"),
        ("handed_off", "utter_how_can_help"),
        ("step_feedback", "utter_how_can_help"),  # no current step known
        ("something_unknown", "utter_how_can_help"),
    ],
)
async def test_resume_repeats_the_pending_question(awaiting: str | None, response: str) -> None:
    assert await resume({"awaiting": awaiting}) == [response]


def test_every_response_resume_can_utter_exists_in_the_domain() -> None:
    names = set(_PENDING_QUESTION.values()) | {f"utter_step_{s}" for s in STEPS}
    names.add("utter_how_can_help")
    assert names - set(DOMAIN["responses"]) == set()
    assert set(DOMAIN["slots"]["awaiting"]["values"]) - {"step_feedback", "anything_else", "handed_off"} == set(
        _PENDING_QUESTION
    )


@pytest.mark.parametrize("awaiting", ["offer_human", None])
async def test_set_idle(awaiting: str | None) -> None:
    events, dispatcher = await run_action(ActionSetIdle(), make_tracker("先不用", "deny", slots={"awaiting": awaiting}))
    assert events == [{"event": "slot", "timestamp": None, "name": "awaiting", "value": "anything_else"}]
    assert dispatcher.messages == []

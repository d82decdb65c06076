"""action_offer_step and action_step_feedback: one self-help step at a time, every outcome recorded."""

from __future__ import annotations

import copy

import pytest
from helpers import final_slots, make_tracker, run_action

from actions.selfhelp import ActionOfferStep, ActionStepFeedback

PLAN = ["refresh_relogin", "check_account"]
ALL_STEPS = ["refresh_relogin", "check_network", "check_debit", "clear_cache", "check_account", "official_app"]


async def offer(slots: dict) -> dict:
    events, dispatcher = await run_action(ActionOfferStep(), make_tracker(text="", intent=None, slots=slots))
    assert dispatcher.messages == []
    return final_slots(events)


async def feedback(intent: str, slots: dict, text: str = "") -> dict:
    events, dispatcher = await run_action(ActionStepFeedback(), make_tracker(text=text, intent=intent, slots=slots))
    assert dispatcher.messages == []
    return final_slots(events)


async def test_offers_the_first_step_and_logs_it_pending() -> None:
    slots = await offer({"selfhelp_plan": PLAN})
    assert slots == {
        "current_step": "refresh_relogin",
        "steps_log": [{"step": "refresh_relogin", "outcome": "pending"}],
        "awaiting": "step_feedback",
        "next_move": "step_refresh_relogin",
    }


async def test_offers_the_first_step_not_offered_yet_and_keeps_the_log() -> None:
    log = [{"step": "refresh_relogin", "outcome": "not_helped"}]
    before = copy.deepcopy(log)
    slots = await offer({"selfhelp_plan": PLAN, "steps_log": log})
    assert slots["current_step"] == "check_account" and slots["next_move"] == "step_check_account"
    assert slots["steps_log"] == before + [{"step": "check_account", "outcome": "pending"}]
    assert log == before  # the tracker's slot value is not mutated


@pytest.mark.parametrize("step", ALL_STEPS)
async def test_every_step_has_a_next_move(step: str) -> None:
    slots = await offer({"selfhelp_plan": [step]})
    assert (slots["next_move"], slots["awaiting"]) == (f"step_{step}", "step_feedback")


@pytest.mark.parametrize(
    "slots",
    [
        {"selfhelp_plan": PLAN, "steps_log": [{"step": s, "outcome": "not_helped"} for s in PLAN]},
        {"selfhelp_plan": [], "steps_log": []},
        {},
    ],
    ids=["all-offered", "empty-plan", "no-slots"],
)
async def test_no_step_left_hands_off(slots: dict) -> None:
    result = await offer(slots)
    assert result == {"awaiting": None, "next_move": "handoff"}


@pytest.mark.parametrize("intent", ["affirm", "thank"])
async def test_the_step_helped(intent: str) -> None:
    log = [{"step": "refresh_relogin", "outcome": "pending"}]
    slots = await feedback(intent, {"selfhelp_plan": PLAN, "steps_log": log, "awaiting": "step_feedback"})
    assert slots == {
        "steps_log": [{"step": "refresh_relogin", "outcome": "helped"}],
        "awaiting": None,
        "next_move": "resolved",
    }


@pytest.mark.parametrize("intent", ["deny", "recharge_stuck", "charged_not_received", "check_order_status"])
async def test_not_helped_with_steps_left_offers_the_next(intent: str) -> None:
    log = [{"step": "refresh_relogin", "outcome": "pending"}]
    slots = await feedback(intent, {"selfhelp_plan": PLAN, "steps_log": log, "awaiting": "step_feedback"}, "还是不行")
    assert slots == {
        "steps_log": [{"step": "refresh_relogin", "outcome": "not_helped"}],
        "awaiting": None,
        "next_move": "offer_step",
    }


async def test_not_helped_on_the_last_step_hands_off() -> None:
    log = [{"step": "refresh_relogin", "outcome": "not_helped"}, {"step": "check_account", "outcome": "pending"}]
    slots = await feedback("deny", {"selfhelp_plan": PLAN, "steps_log": log, "awaiting": "step_feedback"})
    assert slots["next_move"] == "handoff" and slots["awaiting"] is None
    assert slots["steps_log"] == [
        {"step": "refresh_relogin", "outcome": "not_helped"},
        {"step": "check_account", "outcome": "not_helped"},
    ]


async def test_feedback_without_a_pending_step_changes_no_outcome() -> None:
    log = [{"step": "refresh_relogin", "outcome": "not_helped"}]
    slots = await feedback("affirm", {"selfhelp_plan": PLAN, "steps_log": log})
    assert slots["steps_log"] == log and slots["next_move"] == "resolved"


async def test_feedback_with_no_plan_or_log_does_not_raise() -> None:
    slots = await feedback("deny", {})
    assert slots == {"steps_log": [], "awaiting": None, "next_move": "handoff"}


async def test_the_walk_end_to_end_records_every_outcome() -> None:
    slots: dict = {"selfhelp_plan": PLAN}
    moves = []
    for _ in PLAN:
        slots |= await offer(slots)
        moves.append(slots["next_move"])
        slots |= await feedback("deny", slots)
        moves.append(slots["next_move"])
    assert moves == ["step_refresh_relogin", "offer_step", "step_check_account", "handoff"]
    assert [e["outcome"] for e in slots["steps_log"]] == ["not_helped", "not_helped"]

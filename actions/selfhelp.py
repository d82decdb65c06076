"""Walking the self-help steps the diagnosis chose, one at a time, recording each outcome."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import TopupAction, branch, latest_intent
from topup.selfhelp import HELPED_INTENTS, next_step, record_outcome


class ActionOfferStep(TopupAction):
    """Offers the next step of the plan that has not been offered yet (or hands off when none is left)."""

    def name(self) -> str:
        return "action_offer_step"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        plan = tracker.get_slot("selfhelp_plan") or []
        log = list(tracker.get_slot("steps_log") or [])
        step = next_step(plan, log)
        if step is None:
            return branch("handoff")
        log.append({"step": step, "outcome": "pending"})
        return branch(f"step_{step}", "step_feedback", current_step=step, steps_log=log)


class ActionStepFeedback(TopupAction):
    """Records whether the step helped and decides: finished, next step, or a person."""

    def name(self) -> str:
        return "action_step_feedback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        helped = latest_intent(tracker) in HELPED_INTENTS
        log = record_outcome(tracker.get_slot("steps_log") or [], helped)
        if helped:
            return branch("resolved", None, steps_log=log)
        if next_step(tracker.get_slot("selfhelp_plan") or [], log) is None:
            return branch("handoff", None, steps_log=log)
        return branch("offer_step", None, steps_log=log)

"""Side questions and misunderstandings: answer, then pick the thread up again."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import TopupAction, branch, within_turn
from topup.conversation import consecutive_fallbacks
from topup.presentation import local_time

logger = logging.getLogger(__name__)

# The question to repeat for each thing the assistant may be waiting for.
_PENDING_QUESTION = {
    "order_id": "utter_ask_order_id",
    "phone_last4": "utter_ask_phone_last4",
    "human_order": "utter_ask_order_for_human",
    "offer_human": "utter_offer_human",
    "rating": "utter_ask_rating",
}


class ActionCheckNotices(TopupAction):
    """Answers "are you under maintenance?" from the platform's active notices."""

    def name(self) -> str:
        return "action_check_notices"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        awaiting = tracker.get_slot("awaiting")
        try:
            notices = await within_turn(self.app, self.app.lookups.active_notices)
        except Exception:
            logger.exception("notice lookup failed")
            return branch("notice_error", awaiting)
        if not notices:
            return branch("notice_none", awaiting)
        last_end = max(n.ends_at for n in notices)
        move = "notice_active"
        if tracker.get_slot("verified") and tracker.get_slot("order_product_type"):
            product, method = tracker.get_slot("order_product_type"), tracker.get_slot("order_payment_method")
            if not any(n.applies_to(product, method) for n in notices):
                move = "notice_unrelated"  # say there is one, and that this order is not affected
        return branch(
            move,
            awaiting,
            notice_title="；".join(n.title for n in notices),
            wait_until=local_time(last_end, self.app.clock.now(), self.app.clock.zone),
        )


class ActionFallback(TopupAction):
    """Low NLU confidence: ask to rephrase; twice in a row, offer a person."""

    def name(self) -> str:
        return "action_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if consecutive_fallbacks(tracker.events) >= 2:
            return branch("fallback_twice", "offer_human")
        return branch("rephrase", tracker.get_slot("awaiting"))


class ActionResume(TopupAction):
    """After a digression, repeat whatever the assistant was waiting for."""

    def name(self) -> str:
        return "action_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        awaiting = tracker.get_slot("awaiting")
        if awaiting == "step_feedback" and tracker.get_slot("current_step"):
            dispatcher.utter_message(response=f"utter_step_{tracker.get_slot('current_step')}")
        elif awaiting in _PENDING_QUESTION:
            dispatcher.utter_message(response=_PENDING_QUESTION[awaiting])
        else:
            dispatcher.utter_message(response="utter_how_can_help")
        return []


class ActionSetIdle(TopupAction):
    """The customer declined the offer: nothing is pending any more."""

    def name(self) -> str:
        return "action_set_idle"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        return [SlotSet("awaiting", "anything_else")]

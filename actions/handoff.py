"""Handing the conversation to a person with the case already filled in."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import TopupAction, branch, latest_entity, latest_intent, latest_text, off_loop, within_turn
from topup.app import App
from topup.conversation import claims_debit, customer_description, frustration, transcript
from topup.intake import read_message
from topup.model import Complaint, StepRecord
from topup.presentation import local_time
from topup.services.handoff import HandoffRequest
from topup.services.outbox import DATABASE_DOWN

logger = logging.getLogger(__name__)

# Where the conversation was when it came to a handoff -> the reason the agent sees.
_REASONS = {
    "locked": "verification_failed",
    "lookup_error": "system_error",
    "fallback_twice": "not_understood",
    "handoff": "selfhelp_exhausted",
}
_ASKED_FOR_ORDER = {"order_id", "phone_last4", "human_order"}


def handoff_reason(next_move: str | None, latest: str | None) -> str:
    if latest == "request_human":
        return "customer_request"
    if next_move and next_move.startswith("diag_"):
        return "diagnosis:" + next_move.removeprefix("diag_")
    return _REASONS.get(next_move or "", "customer_request")


class ActionRequestHuman(TopupAction):
    """The customer asks for a person: ask for the order number once if we have none, else hand off."""

    def name(self) -> str:
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if tracker.get_slot("order_id") or tracker.get_slot("awaiting") in _ASKED_FOR_ORDER:
            return branch("handoff", tracker.get_slot("awaiting"))
        return branch("ask_human_order", "human_order")


def _order_from_answer(tracker: Tracker) -> str | None:
    """An order number the customer gave when asked for one before the handoff (unverified)."""
    return read_message(latest_text(tracker), latest_entity(tracker, "order_id")).order_no


class ActionHandoff(TopupAction):
    """Creates (or refreshes) the conversation's ticket and tells the customer its number and the wait."""

    def name(self) -> str:
        return "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        order_id = tracker.get_slot("order_id")
        if not order_id and tracker.get_slot("awaiting") == "human_order":
            order_id = _order_from_answer(tracker)
        events = tracker.events
        request = HandoffRequest(
            conversation_id=tracker.sender_id,
            order_no=order_id,
            verified=bool(tracker.get_slot("verified")) and order_id == tracker.get_slot("order_id"),
            complaint=Complaint.parse(tracker.get_slot("complaint")),
            customer_description=customer_description(events),
            reason=handoff_reason(tracker.get_slot("next_move"), latest_intent(tracker)),
            steps=[StepRecord(e["step"], e["outcome"]) for e in tracker.get_slot("steps_log") or []],
            transcript=transcript(events),
            claims_debit=claims_debit(events),
            frustration=frustration(events),
        )
        app = self.app
        try:
            result = await within_turn(app, app.handoffs.hand_off, request)
        except asyncio.TimeoutError:
            # The database is too slow for this turn: keep the case on disk as well. If the slow call finishes
            # after all, delivering the file finds its ticket (one per conversation and order), so one ticket.
            logger.warning("handoff for %s took longer than %.1fs; queued on disk", tracker.sender_id,
                           app.settings.action_db_seconds)
            return await _queue(app, request, order_id)
        except DATABASE_DOWN as error:
            logger.warning("database unreachable during handoff for %s: %s", tracker.sender_id, type(error).__name__)
            return await _queue(app, request, order_id)
        except Exception:
            logger.exception("handoff failed for conversation %s", tracker.sender_id)
            return branch("handoff_failed", None)
        logger.info("handoff %s (%s) for %s", result.ticket_no, result.priority.value, tracker.sender_id)
        now, zone = app.clock.now(), app.clock.zone
        hours = app.settings.business_hours
        if not hours.is_open(now, zone):
            move = "handoff_offhours"
        else:
            try:
                online = await within_turn(app, app.console.agents_online)
            except Exception:  # the ticket exists; not knowing who is online must not hide that
                logger.exception("agent presence unknown for %s", tracker.sender_id)
                online = 1
            move = "handoff_created" if online else "handoff_no_agent"
        return branch(
            move,
            "handed_off",
            order_id=order_id,
            verified=request.verified,
            ticket_no=result.ticket_no,
            ticket_wait=str(result.wait_minutes),
            opening_time=local_time(hours.next_opening(now, zone), now, zone),
        )


async def _queue(app: App, request: HandoffRequest, order_id: str | None) -> list[EventType]:
    """The database is down or slow: keep the case on disk (delivered when it is back) and say so plainly."""
    try:
        await off_loop(app.outbox.enqueue, request)
    except OSError:
        logger.exception("handoff for %s could not be queued either", request.conversation_id)
        return branch("handoff_failed", None)
    return branch("handoff_queued", "handed_off", order_id=order_id, verified=request.verified)

"""Finding the customer's order and proving it is theirs, then explaining it."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import TopupAction, branch, latest_entity, latest_intent, latest_text, within_turn
from topup.clock import Clock
from topup.conversation import COMPLAINT_INTENTS, claims_debit
from topup.diagnosis import Diagnosis, NextMove
from topup.intake import read_message
from topup.model import Complaint, OrderFacts
from topup.presentation import local_time, payment_label, yuan
from topup.services.security import LOOKUP_FAILED, client_key, mask_order_no

logger = logging.getLogger(__name__)
ATTEMPTS = "verify_attempts"
# Why lookups stopped; utter_verify_locked picks its wording by this slot.
LOCK_REASON = "lock_reason"
# Intents with which a customer answers a question (as opposed to changing the subject).
ANSWERS = {"inform", "nlu_fallback"}


def _order_slots(order: OrderFacts, diagnosis: Diagnosis, clock: Clock) -> dict[str, Any]:
    now, zone = clock.now(), clock.zone
    refund_at = order.refunded_at or order.refund_started_at
    return {
        "verified": True,
        "order_product": order.product_name,
        "order_product_type": order.product_type,
        "order_payment_method": order.payment_method,
        "order_amount": yuan(order.amount_cents),
        "order_payment": payment_label(order.payment_method),
        "order_paid_at": local_time(order.paid_at, now, zone),
        "minutes_waiting": str(diagnosis.minutes_since_paid or 0),
        "wait_until": local_time(diagnosis.wait_until, now, zone),
        "notice_title": diagnosis.notice.title if diagnosis.notice else None,
        "refund_time": local_time(refund_at, now, zone),
        "diagnosis": diagnosis.kind.value,
        "selfhelp_plan": [step.value for step in diagnosis.steps],
    }


class ActionVerifyOrder(TopupAction):
    """Collects the order number and phone tail from whatever the customer wrote, then looks the order up.

    A wrong tail and an unknown order get the same answer; after the configured number of
    failures the conversation stops looking orders up and offers a human. Failures also count per
    client (customer id or IP) across conversations: over that limit, nothing is looked up until the
    window has passed (the same "locked" branch, with a cool-down wording).
    """

    def name(self) -> str:
        return "action_verify_order"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        app = self.app
        limit = app.settings.max_verify_attempts
        intent = latest_intent(tracker)
        text = latest_text(tracker)
        awaiting = tracker.get_slot("awaiting")
        events: list[EventType] = []
        if intent in COMPLAINT_INTENTS:
            events.append(SlotSet("complaint", intent))
        attempts = int(tracker.get_slot(ATTEMPTS) or 0)
        if attempts >= limit:
            return events + branch("locked", "offer_human", **{LOCK_REASON: "conversation"})

        order_id = tracker.get_slot("order_id")
        phone = tracker.get_slot("phone_last4")
        # A shop's signed token identifies a logged-in customer: their phone stands in for the tail.
        metadata = tracker.latest_message.get("metadata") or {}
        customer = app.customers.verify(metadata.get("customer_token") if isinstance(metadata, dict) else None)
        given = read_message(text, latest_entity(tracker, "order_id"), latest_entity(tracker, "phone_last4"))
        if given.malformed_order:
            return events + branch("order_id_malformed", "order_id", order_id=None, verified=False)
        if given.order_no:
            if given.order_no != order_id:
                order_id, phone = given.order_no, None
                events += [SlotSet("verified", False), SlotSet("steps_log", [])]
        elif awaiting == "order_id" and intent in ANSWERS:
            return events + branch("order_id_malformed", "order_id", order_id=None, verified=False)
        if not order_id and customer is not None:
            try:
                order_id = await within_turn(app, app.lookups.latest_order_no, customer.phone)
            except Exception:
                logger.exception("order lookup failed for %s", tracker.sender_id)
                return events + branch("lookup_error", "offer_human")
        if customer is not None and order_id:
            phone = customer.phone[-4:]
        if not order_id:
            return events + branch("ask_order_id", "order_id")

        if given.phone_tail:
            phone = given.phone_tail
        elif awaiting == "phone_last4" and intent in ANSWERS and not given.order_text:
            return events + branch("phone_last4_invalid", "phone_last4", order_id=order_id)
        if not phone:
            return events + branch("ask_phone_last4", "phone_last4", order_id=order_id, phone_last4=None)

        complaint = Complaint.parse(tracker.get_slot("complaint") if intent not in COMPLAINT_INTENTS else intent)
        client = client_key(metadata, tracker.sender_id, customer)
        masked = f"order={mask_order_no(order_id)}"
        try:
            if not await within_turn(app, app.security.lookup_allowed, client, tracker.sender_id, masked):
                # Too many failures from this client lately: look nothing up, reveal nothing, offer a person.
                return events + branch(
                    "locked", "offer_human", order_id=None, phone_last4=None, verified=False,
                    **{LOCK_REASON: "client_cooldown"},
                )  # fmt: skip
            result = await within_turn(app, app.lookups.look_up, order_id, phone, complaint,
                                       claims_debit(tracker.events))
        except asyncio.TimeoutError:  # the database is too slow for this turn: say so, keep what was given
            logger.error("order lookup for %s took longer than %.1fs", tracker.sender_id,
                         app.settings.action_db_seconds)
            return events + branch("lookup_error", "offer_human", order_id=order_id, phone_last4=phone)
        except Exception:  # the database is down or broken: say so, keep what the customer gave
            logger.exception("order lookup failed for %s", tracker.sender_id)
            return events + branch("lookup_error", "offer_human", order_id=order_id, phone_last4=phone)

        if not result.verified:
            try:
                await within_turn(app, app.security.record_event, LOOKUP_FAILED, client, tracker.sender_id, masked)
            except Exception:  # the answer stays the same; record_event logged it before writing
                logger.exception("security event not stored for %s", tracker.sender_id)
            attempts += 1
            logger.warning("order verification failed (%d) in conversation %s", attempts, tracker.sender_id)
            if attempts >= limit:
                return events + branch(
                    "locked", "offer_human", order_id=None, phone_last4=None, verified=False,
                    **{ATTEMPTS: attempts, LOCK_REASON: "conversation"},
                )  # fmt: skip
            return events + branch(
                "not_verified", "order_id", order_id=None, phone_last4=None, verified=False, **{ATTEMPTS: attempts}
            )

        assert result.order is not None and result.diagnosis is not None
        diagnosis = result.diagnosis
        awaiting_next = "anything_else" if diagnosis.next_move is NextMove.DONE else None
        slots = _order_slots(result.order, diagnosis, app.clock)
        return events + branch(
            f"diag_{diagnosis.kind.value}", awaiting_next, order_id=order_id, phone_last4=phone, **slots
        )

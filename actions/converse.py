"""The one action of the conversation: a translator between Rasa's tracker and the conversation engine.

It reads the customer's message (its words, the NLU's intent and entities), hands it with the conversation's state
(slot `case`) to topup.dialogue.engine, says the responses the engine chose, and stores the new state.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import TopupAction, latest_intent, latest_text, off_loop, original_text
from topup.diagnosis import complaint_of
from topup.dialogue.engine import respond
from topup.dialogue.model import Case, Kind, Phase
from topup.dialogue.service_ports import ServicePorts
from topup.dialogue.understand import read_message
from topup.services.conversations import DROPPED, HANDED_OFF, OPEN, SOLVED

logger = logging.getLogger(__name__)
RECORD_WAIT_S = 0.5


def new_session(events: list[dict]) -> bool:
    """Whether this is the first message the engine answers in this session (the tracker store gives the events of
    the latest session only; a state carried over from an earlier one makes it a returning customer)."""
    for event in reversed(events):
        if event.get("event") == "action" and event.get("name") == "action_converse":
            return False  # answered already in this session
        if event.get("event") == "session_started":
            return True
    return False


class ActionConverse(TopupAction):
    def name(self) -> str:
        return "action_converse"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        case = Case.from_slot(tracker.get_slot("case"))
        source = self.app.source
        message = read_message(latest_text(tracker), latest_intent(tracker),
                               tracker.latest_message.get("entities") or [], original_text(tracker),
                               returning=new_session(tracker.events) and case != Case(),
                               order_format=source.order_format, proof=source.proof,
                               awaiting_proof=case.phase is Phase.NEED_PROOF)
        metadata = tracker.latest_message.get("metadata") or {}
        ports = ServicePorts(self.app, tracker.sender_id, metadata, tracker.events)
        turn = await off_loop(respond, case, message, ports)
        logger.debug("%s: %s %s -> %s %s", tracker.sender_id, message.kind.value, case.phase.value,
                     turn.case.phase.value, turn.responses)
        for say in turn.says:
            dispatcher.utter_message(response=say.response, **_template_values(say.values))
        await self._record(tracker.sender_id, message.kind, turn.case, metadata)
        events: list[EventType] = [SlotSet("case", turn.case.as_slot())]
        if tracker.get_slot("awaiting"):  # the rating question went unanswered: the conversation moved on
            events.append(SlotSet("awaiting", None))
        return events


    async def _record(self, sender: str, kind: Kind, case: Case, metadata: dict) -> None:
        """The conversation's line in the reports: what it is about and how it ended (never fails the turn)."""
        customer = self.app.customers.verify(metadata.get("customer_token"))
        try:  # a short wait: with the database hung the turn has waited its deadline already
            said = complaint_of(case.complaint, case.diagnosis, case.claims_debit).value \
                if case.complaint or case.diagnosis else None
            await asyncio.wait_for(off_loop(self.app.conversations.record, sender, said,
                                            outcome(kind, case), customer.customer_id if customer else None),
                                   timeout=min(RECORD_WAIT_S, self.app.settings.action_db_seconds))
        except Exception:
            logger.exception("conversation record not written for %s", sender)


def outcome(kind: Kind, case: Case) -> str:
    """How the conversation stands after this turn: handed off (a ticket), solved by the assistant alone (the
    customer said it arrived, with no ticket), dropped (they gave up), else still open."""
    if case.ticket_no or case.phase is Phase.TICKET:
        return HANDED_OFF
    if case.phase is Phase.DONE and kind is Kind.SOLVED:
        return SOLVED
    if case.phase is Phase.DONE and kind is Kind.CANCEL:
        return DROPPED
    return OPEN


def _template_values(values: dict[str, Any]) -> dict[str, Any]:
    """The values a response template reads, as text (a missing one shows as empty, never as "None")."""
    return {k: ("" if v is None else v if isinstance(v, str) else str(v)) for k, v in values.items()
            if isinstance(k, str) and k.isidentifier()}

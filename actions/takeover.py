"""A person takes the conversation over: the console executes these actions through Rasa's HTTP API."""

from __future__ import annotations

import logging
import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import TopupAction, branch, latest_entity, original_text, within_turn
from topup.conversation import EXTERNAL, shown_text
from topup.services.attachments import attachment_url

logger = logging.getLogger(__name__)
TAKEOVER = "topup_takeover"  # the custom message the chat page reads for its header (web/static/widget.js)
_CN_RATING = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "满": 5}


def parse_rating(entity: object, text: str) -> int | None:
    """5 from a button's entity, "5分", "五星" or "满分"; None unless it is 1 to 5."""
    candidates = [str(entity)] if entity is not None else []
    candidates += re.findall(r"\d+", text) + [str(_CN_RATING[c]) for c in text if c in _CN_RATING]
    for candidate in candidates:
        if candidate.isdigit() and 1 <= int(candidate) <= 5:
            return int(candidate)
    return None


class ActionAgentJoined(TopupAction):
    def name(self) -> str:
        return "action_agent_joined"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            ticket = await within_turn(self.app, self.app.console.active_takeover, tracker.sender_id)
        except Exception:
            logger.exception("takeover lookup failed for %s", tracker.sender_id)
            ticket = None
        name = self.app.agents.display_name(ticket.details.get("assigned_agent") if ticket else None) or "同事"
        dispatcher.utter_message(json_message={TAKEOVER: {"agent": name}})  # the chat header: 客服小王
        return [SlotSet("agent_active", True), SlotSet("agent_name", name), SlotSet("awaiting", None)]


class ActionRelayToAgent(TopupAction):
    """During a takeover the customer's message goes to the agent's view; the assistant says nothing."""

    def name(self) -> str:
        return "action_relay_to_agent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        if original_text(tracker).startswith(EXTERNAL):
            return []  # the system's news of an order change: the ticket has its line (web/notify.py)
        try:
            relayed = await within_turn(self.app, self.app.console.relay_customer_message, tracker.sender_id,
                                        shown_text(original_text(tracker), tracker.events))
        except Exception:
            logger.exception("relay to agent failed for %s", tracker.sender_id)
            return []
        if relayed is None:  # nobody holds the conversation any more: the assistant takes it back and answers
            return [SlotSet("agent_active", False), FollowupAction("action_converse")]
        return []


class ActionDeliverAgentMessages(TopupAction):
    """Shows the agent's queued replies in the customer's chat window, in order, each once."""

    def name(self) -> str:
        return "action_deliver_agent_messages"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        messages = await within_turn(self.app, self.app.console.take_undelivered, tracker.sender_id)
        for message in messages:
            if message.attachment:  # an image: the page shows it with the agent's badge and fetches it itself
                dispatcher.utter_message(image=attachment_url(message.attachment))
                continue
            dispatcher.utter_message(text=f"【客服{self.app.agents.display_name(message.author)}】{message.text}")
        return []


class ActionAgentLeft(TopupAction):
    def name(self) -> str:
        return "action_agent_left"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        try:
            resolved = await within_turn(self.app, self.app.conversations.last_resolution, tracker.sender_id)
        except Exception:
            logger.exception("resolution not read for %s", tracker.sender_id)
            resolved = None
        if resolved is not None:  # what the agent did, in their words, before the rating question
            text, agent = resolved
            dispatcher.utter_message(response="utter_agent_resolution", resolution=text,
                                     agent_name=self.app.agents.display_name(agent) or tracker.get_slot("agent_name")
                                     or "同事")
        dispatcher.utter_message(json_message={TAKEOVER: {"agent": None}})  # the header: the assistant again
        return [SlotSet("agent_active", False), SlotSet("agent_name", None), SlotSet("awaiting", "rating")]


class ActionAgentReleased(TopupAction):
    """The agent put the case back in the queue: the assistant listens again, the ticket waits for the next agent,
    and nobody is asked to rate a case that is not over."""

    def name(self) -> str:
        return "action_agent_released"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(json_message={TAKEOVER: {"agent": None}})  # the header: the assistant again
        return [SlotSet("agent_active", False), SlotSet("agent_name", None), SlotSet("awaiting", None)]


class ActionSaveRating(TopupAction):
    """Stores the 1–5 rating on the conversation's resolved ticket."""

    def name(self) -> str:
        return "action_save_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        rating = parse_rating(latest_entity(tracker, "rating"), original_text(tracker))
        if rating is None:  # the customer moved on: no more rating question, the engine answers the message
            return branch("rating_invalid", None)
        try:
            await within_turn(self.app, self.app.console.rate, tracker.sender_id, rating)
        except Exception:
            logger.exception("rating not stored for %s", tracker.sender_id)
        return branch("rated", None)

"""Custom actions that fail politely (an apology and the offer of a person instead of silence), and fast.

Rasa 3.6 waits up to five minutes for the action server (a constant, not a setting) and, when the
call fails, drops the action's events and carries on: the customer gets nothing back. This subclass
of Rasa's RemoteAction bounds every call by TOPUP_ACTION_TIMEOUT_SECONDS and turns any failure
(refused, reset, timed out, 5xx, a bad body) into the assistant's own apology and the offer of a person,
then listens. What the customer's message gave (an order number, a phone tail) is kept in the conversation's
state (slot `case`, read as the engine reads it), since the action that would have read it never answered: their
next message carries on from it, and a "yes" takes the offer of a person.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections import OrderedDict
from functools import lru_cache
from typing import Any

import jsonschema
import rasa
import rasa.core.actions.action as rasa_actions
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.events import BotUttered, Event, FollowupAction, SlotSet
from rasa.shared.core.trackers import EventVerbosity

from topup import settings
from topup.dialogue.engine import absorb, wording
from topup.dialogue.model import Case, Phase
from topup.dialogue.understand import read_message

logger = logging.getLogger("topup.actions_unavailable")

APOLOGY = ["utter_lookup_error", "utter_offer_human"]
# Spoken when the domain has none of the responses above (e.g. another bot using this module).
LAST_RESORT = "抱歉，系统这会儿出了点问题，不是您的问题。请稍后再试，或者回复“转人工”。"


@lru_cache(maxsize=1)
def _response_validator() -> Any:  # noqa: ANN401 - a jsonschema validator instance
    """The action-response schema compiled once.

    Rasa calls jsonschema.validate() for every custom action response, which re-checks the schema against
    its meta-schema and rebuilds the validator each time: 48 ms per call here, on the event loop, about three
    quarters of the Rasa server's busy time under load (ops/bench/profile.py). The compiled validator checks the
    same schema in about 1.4 ms.
    """
    schema = RemoteAction.action_response_format_spec()
    return jsonschema.validators.validator_for(schema)(schema)


# What an action can read from each event of the conversation, by event type; the rest stays in the tracker store.
# Rasa sends every event in full with every action call: 870 kB of JSON at turn 200 of one conversation, a fifth
# of the Rasa server's time there (intent rankings, token offsets, model ids on every event). The actions read a
# message's text, intent, entities and time (topup/conversation.py); rasa-sdk reads the event types and names.
_LEAN_FIELDS = {
    "user": ("event", "timestamp", "text", "input_channel", "metadata"),
    "bot": ("event", "timestamp", "text"),
    "action": ("event", "timestamp", "name", "action_text"),
    "slot": ("event", "timestamp", "name", "value"),
}
_LEAN_PARSE = ("intent", "entities", "text")
# Slots holding the conversation's whole state: the action reads their current value from the request's slots,
# never their history, so their events go without the value (at turn 200 the history of `case` alone would be
# hundreds of kB per call).
STATE_SLOTS = frozenset({"case"})
_ABOUT_THE_MODEL = ("model_id", "assistant_id")


def lean_event(event: dict[str, Any]) -> dict[str, Any]:
    """One event as the action server needs it (see _LEAN_FIELDS); unknown types lose only the model ids."""
    fields = _LEAN_FIELDS.get(event.get("event", ""))
    if fields is None:
        lean = dict(event)
    else:
        lean = {key: event[key] for key in fields if event.get(key) is not None}
        if lean.get("event") == "slot" and lean.get("name") in STATE_SLOTS:
            lean.pop("value", None)
    if isinstance(lean.get("metadata"), dict):
        lean["metadata"] = {k: v for k, v in lean["metadata"].items() if k not in _ABOUT_THE_MODEL}
    parse = event.get("parse_data")
    if fields is not None and isinstance(parse, dict):
        lean["parse_data"] = {key: parse[key] for key in _LEAN_PARSE if key in parse}
    if event.get("event") == "bot":
        data = {k: v for k, v in (event.get("data") or {}).items() if v}
        if data:
            lean["data"] = data
        utter = (event.get("metadata") or {}).get("utter_action")
        if utter:
            lean["metadata"] = {"utter_action": utter}
    return lean


# Each recent conversation's lean events so far: (how many, the last one itself, the lean dicts). A call converts
# only the events added since (Rasa's copies of a tracker hold the same event objects, in an append-only log).
_LEAN: OrderedDict[str, tuple[int, Any, list[dict[str, Any]]]] = OrderedDict()


def lean_events(tracker: Any) -> list[dict[str, Any]]:
    """`lean_event` of every event of the tracker, converting only those added since its last action call."""
    events = tracker.events
    count = len(events)
    done, last, lean = _LEAN.pop(tracker.sender_id, None) or (0, None, [])
    if not done or count < done or events[done - 1] is not last:
        done, lean = 0, []
    lean.extend(lean_event(event.as_dict()) for event in itertools.islice(events, done, None))
    _LEAN[tracker.sender_id] = (count, events[-1] if count else None, lean)
    while len(_LEAN) > settings.current().action_event_cache:
        _LEAN.popitem(last=False)
    return list(lean)


class ResilientRemoteAction(RemoteAction):
    """RemoteAction with a bounded wait, an apology on failure, its response checked by a compiled schema, and a
    lean request (each event with the fields an action reads)."""

    def _action_call_format(self, tracker: Any, domain: Any) -> dict[str, Any]:
        """Rasa's request, with the events lean (`lean_events`) instead of every event in full."""
        state = tracker.current_state(EventVerbosity.NONE)
        state["events"] = lean_events(tracker)
        call = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
                "version": rasa.__version__}
        if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
            call["domain"] = domain.as_dict()
        return call

    def _validate_action_result(self, result: dict[str, Any]) -> bool:
        """The answer's shape (events and responses as lists of objects, each event named); the full schema,
        compiled once, with TOPUP_STRICT_ACTION_RESPONSES=1. Rasa rejects unknown events when it reads them."""
        if settings.current().strict_action_responses:
            try:
                _response_validator().validate(result)
            except jsonschema.ValidationError as error:
                error.message += ". Failed to validate Action server response from API."
                raise
            return True
        events, responses = result.get("events", []), result.get("responses", [])
        if not (isinstance(result, dict) and isinstance(events, list) and isinstance(responses, list)
                and all(isinstance(e, dict) and isinstance(e.get("event"), str) for e in events)
                and all(isinstance(r, dict) for r in responses)):
            raise jsonschema.ValidationError("Failed to validate Action server response from API: "
                                             "'events' and 'responses' must be lists of objects.")
        return True

    async def run(self, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Event]:
        started = time.monotonic()
        try:
            return await asyncio.wait_for(
                super().run(output_channel, nlg, tracker, domain), timeout=settings.current().action_timeout_seconds
            )
        except ActionExecutionRejection:
            raise  # a form's normal "not me" answer: Rasa handles it
        except Exception as error:  # noqa: BLE001 - every failure gets the same polite answer
            reason = "timed out" if isinstance(error, asyncio.TimeoutError) else f"{type(error).__name__}: {error}"
            logger.error(
                "custom action %s failed after %.1fs (%s); conversation %s gets an apology",
                self.name(), time.monotonic() - started, reason, tracker.sender_id,
            )
            return await self._apology(output_channel, nlg, tracker)

    async def _apology(self, output_channel: Any, nlg: Any, tracker: Any) -> list[Event]:
        case = kept_case(tracker)
        messages: list[Event] = []
        for response in filter(None, (wording(case, r) for r in APOLOGY)):
            try:
                draft = await nlg.generate(response, tracker, output_channel.name())
            except Exception:  # noqa: BLE001 - the apology must not fail in turn
                draft = None
            if draft:
                draft["utter_action"] = response
                messages.append(create_bot_utterance(draft))
        if not messages:
            messages.append(BotUttered(LAST_RESORT))
        # Listen next: the rules only know what to do after an action that answered.
        return messages + [SlotSet("case", case.as_slot()), FollowupAction("action_listen")]


def kept_case(tracker: Any) -> Case:  # noqa: ANN401 - a DialogueStateTracker
    """The conversation's state with what the latest message gave (topup.dialogue.engine.absorb: a new order
    number replaces the one before, unverified; a tail is kept for the order), and the offer of a person pending
    (unless a ticket is open already)."""
    message = tracker.latest_message
    case = Case.from_slot(tracker.get_slot("case"))
    intent = (getattr(message, "intent", None) or {}).get("name")
    absorb(case, read_message(getattr(message, "text", None) or "", intent, getattr(message, "entities", None) or []))
    if case.phase is not Phase.TICKET:
        case.phase, case.asked, case.handoff_reason = Phase.OFFERED, {"offer": 1}, "system_error"
    return case


def install() -> None:
    """Make Rasa build ResilientRemoteAction for every custom action (call before the server starts)."""
    rasa_actions.RemoteAction = ResilientRemoteAction  # type: ignore[misc]

"""Custom actions that fail politely (an apology and the offer of a person instead of silence), and fast.

Rasa 3.6 waits up to five minutes for the action server (a constant, not a setting) and, when the
call fails, drops the action's events and carries on: the customer gets nothing back. This subclass
of Rasa's RemoteAction bounds every call by TOPUP_ACTION_TIMEOUT_SECONDS and turns any failure
(refused, reset, timed out, 5xx, a bad body) into the assistant's own apology, then listens.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from functools import lru_cache
from typing import Any

import jsonschema
import rasa.core.actions.action as rasa_actions
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, create_bot_utterance
from rasa.shared.core.events import BotUttered, Event, FollowupAction, SlotSet

from topup import config

logger = logging.getLogger("topup.actions_unavailable")

# Actions whose failure means the handoff itself did not happen: say so, don't offer it again.
HANDOFF_ACTIONS = {"action_handoff"}
APOLOGY = ["utter_lookup_error", "utter_offer_human"]
HANDOFF_APOLOGY = ["utter_handoff_failed"]
# Spoken when the domain has none of the responses above (e.g. another bot using this module).
LAST_RESORT = "抱歉，系统这会儿出了点问题，不是您的问题。请稍后再试，或者回复“转人工”。"


@lru_cache(maxsize=1)
def _response_validator() -> Any:  # noqa: ANN401 - a jsonschema validator instance
    """The action-response schema compiled once.

    Rasa calls jsonschema.validate() for every custom action response, which re-checks the schema against
    its meta-schema and rebuilds the validator each time: 48 ms per call here, on the event loop, about three
    quarters of the Rasa server's busy time under load (bench/profile.py). The compiled validator checks the
    same schema in about 1.4 ms.
    """
    schema = RemoteAction.action_response_format_spec()
    return jsonschema.validators.validator_for(schema)(schema)


class ResilientRemoteAction(RemoteAction):
    """RemoteAction with a bounded wait, an apology on failure, and its response checked by a compiled schema."""

    def _validate_action_result(self, result: dict[str, Any]) -> bool:
        """The answer's shape (events and responses as lists of objects, each event named); the full schema,
        compiled once, with TOPUP_STRICT_ACTION_RESPONSES=1. Rasa rejects unknown events when it reads them."""
        if os.environ.get("TOPUP_STRICT_ACTION_RESPONSES") == "1":
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
                super().run(output_channel, nlg, tracker, domain), timeout=config.action_timeout_seconds()
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
        handoff = self.name() in HANDOFF_ACTIONS
        messages: list[Event] = []
        for response in HANDOFF_APOLOGY if handoff else APOLOGY:
            try:
                draft = await nlg.generate(response, tracker, output_channel.name())
            except Exception:  # noqa: BLE001 - the apology must not fail in turn
                draft = None
            if draft:
                draft["utter_action"] = response
                messages.append(create_bot_utterance(draft))
        if not messages:
            messages.append(BotUttered(LAST_RESORT))
        slots: list[Event] = [SlotSet("awaiting", None if handoff else "offer_human")]
        # Listen next: the rules only know what to do after an action that answered.
        return messages + slots + [FollowupAction("action_listen")]


def install() -> None:
    """Make Rasa build ResilientRemoteAction for every custom action (call before the server starts)."""
    rasa_actions.RemoteAction = ResilientRemoteAction  # type: ignore[misc]

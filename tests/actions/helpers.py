"""Building Rasa-shaped trackers and running actions without a server."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

ROOT = Path(__file__).resolve().parents[2]
DOMAIN: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
DEMO_ORDERS = ROOT / "demo" / "orders.yml"


def user_event(
    text: str, intent: str | None = "inform", entities: list[dict] | None = None, timestamp: float | None = None
) -> dict:
    """A user event as Rasa stores it in the tracker."""
    return {
        "event": "user",
        "timestamp": timestamp if timestamp is not None else time.time(),
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": intent, "confidence": 0.95},
            "entities": entities or [],
        },
        "input_channel": "socketio",
    }


def bot_event(text: str, timestamp: float | None = None) -> dict:
    return {"event": "bot", "timestamp": timestamp if timestamp is not None else time.time(), "text": text}


def entity(name: str, value: str, text: str | None = None) -> dict:
    """An extracted entity; start/end point into ``text`` when given."""
    start = text.find(value) if text else 0
    return {"entity": name, "value": value, "start": max(start, 0), "end": max(start, 0) + len(value)}


def make_tracker(
    text: str = "",
    intent: str | None = "inform",
    entities: list[dict] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict] | None = None,
    sender_id: str = "test-conversation",
) -> Tracker:
    """A tracker whose latest message is ``text``; the user event for it is appended to ``events``."""
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.95}, "entities": entities or []}
    history = list(events or []) + [user_event(text, intent, entities)]
    return Tracker(
        sender_id=sender_id,
        slots=dict(slots or {}),
        latest_message=latest,
        events=history,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


def slot_events(events: list[dict]) -> list[dict]:
    return [e for e in events if e.get("event") == "slot"]


def final_slots(events: list[dict]) -> dict[str, Any]:
    """Slot values after the events are applied (the last SlotSet for a name wins)."""
    return {e["name"]: e["value"] for e in slot_events(events)}


def apply_events(slots: dict[str, Any], events: list[dict]) -> dict[str, Any]:
    return {**slots, **final_slots(events)}


def responses(dispatcher: CollectingDispatcher) -> list[str | None]:
    return [m.get("response") for m in dispatcher.messages]


def check_against_domain(events: list[dict], dispatcher: CollectingDispatcher) -> None:
    """Every slot set is declared, categorical values are allowed, every uttered response exists."""
    slots = DOMAIN["slots"]
    for event in events:
        if event.get("event") == "followup":
            assert event["name"] in DOMAIN["actions"], f"followup {event['name']} is not in domain.yml"
            continue
        assert event.get("event") == "slot", f"unexpected event {event}"
        assert event["name"] in slots, f"slot {event['name']} is not in domain.yml"
        values = slots[event["name"]].get("values")
        if values is not None and event["value"] is not None:
            assert event["value"] in values, f"{event['name']}={event['value']!r} is not an allowed value"
    for name in responses(dispatcher):
        if name is not None:
            assert name in DOMAIN["responses"], f"response {name} is not in domain.yml"


async def run_action(action: Action, tracker: Tracker) -> tuple[list[dict], CollectingDispatcher]:
    """Run the action as the action server would, and check its output against the domain."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, DOMAIN)
    assert isinstance(events, list)
    check_against_domain(events, dispatcher)
    return events, dispatcher


class Conversation:
    """One conversation through action_converse, as Rasa would run it: the case slot and the events carried
    from turn to turn, the assistant's messages appended as bot events (rendered as Rasa renders them)."""

    def __init__(self, sender: str = "test-conversation", metadata: dict | None = None) -> None:
        self.sender, self.metadata = sender, dict(metadata or {})
        self.slots: dict[str, Any] = {}
        self.events: list[dict] = []
        self.replies: list[list[str]] = []  # response names per turn
        self.texts: list[str] = []

    async def say(self, text: str, intent: str | None = "inform", entities: list[dict] | None = None) -> list[str]:
        from actions.converse import ActionConverse
        from topup.dialogue.responses import render

        tracker = make_tracker(text, intent, entities, slots=self.slots, events=self.events, sender_id=self.sender)
        tracker.latest_message["metadata"] = self.metadata
        events, dispatcher = await run_action(ActionConverse(), tracker)
        self.events = list(tracker.events)
        self.slots = apply_events(self.slots, events)
        names = []
        for message in dispatcher.messages:
            values = {k: v for k, v in message.items() if k not in ("response", "text", "buttons", "elements",
                                                                     "custom", "image", "attachment", "template")}
            rendered = render(message["response"], values, strict=True)
            names.append(message["response"])
            self.texts.append(rendered)
            self.events.append(bot_event(rendered))
        self.replies.append(names)
        return names

    @property
    def case(self) -> dict[str, Any]:
        return self.slots.get("case") or {}

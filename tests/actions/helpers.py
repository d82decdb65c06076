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

"""What every adapter shares: reading the tracker and running blocking core calls off the event loop."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from topup.app import App

logger = logging.getLogger(__name__)
T = TypeVar("T")


async def off_loop(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a blocking (database) call in a worker thread so the action server keeps serving."""
    return await asyncio.to_thread(func, *args, **kwargs)


async def within_turn(app: App, func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """A database call in a worker thread, waited for at most TOPUP_ACTION_DB_SECONDS.

    Past that the action answers without it (asyncio.TimeoutError), before Rasa stops waiting for the action
    server: the customer hears the truth quickly. The call itself runs on in its thread and its effect stands
    (a handoff that times out is also queued on disk; the ticket service makes one ticket of both).
    """
    return await asyncio.wait_for(off_loop(func, *args, **kwargs), timeout=app.settings.action_db_seconds)


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


def original_text(tracker: Tracker) -> str:
    """The customer's own words (the parse data holds the normalised text)."""
    user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), None)
    return (user or {}).get("text") or ""


def latest_entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def branch(next_move: str, awaiting: str | None = None, **slots: Any) -> list[EventType]:
    """The slot events a branching action ends with: where to go next, what to wait for, data slots."""
    events = [SlotSet(name, value) for name, value in slots.items()]
    events.append(SlotSet("awaiting", awaiting))
    events.append(SlotSet("next_move", next_move))
    return events


class TopupAction(Action, ABC):
    """Base for the assistant's actions: abstract, so the SDK registers only the concrete ones."""

    @property
    def app(self) -> App:
        """The action server's application object (built at start; tests install their own)."""
        return App.current()

    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]: ...

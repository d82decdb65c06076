"""The lean action request: each event with only what the actions read, and everything they read unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker

from rasa_plugins import resilient_action
from rasa_plugins.resilient_action import STATE_SLOTS, ResilientRemoteAction, lean_event, lean_events
from tests.appkit import make_settings
from tests.dialogue.conversations import story_trackers
from topup import conversation, settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:Slot auto-fill:UserWarning")
READERS = (conversation.transcript, conversation.customer_description, conversation.frustration)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def said(text: str, intent: str, order: str | None = None) -> UserUttered:
    """A customer message as the NLU really leaves it: ranking, token offsets, ids, metadata."""
    entities = [{"entity": "order_id", "value": order, "start": 0, "end": 16, "extractor": "SpacyEntityExtractor",
                 "processors": ["EntityValueNormalizer"]}] if order else []
    ranking = [{"name": intent, "confidence": 0.97}] + [{"name": f"other_{i}", "confidence": 0.003} for i in range(9)]
    parse = {"intent": {"name": intent, "confidence": 0.97}, "entities": entities, "text": text,
             "intent_ranking": ranking, "text_tokens": [[i, i + 1] for i in range(len(text))],
             "message_id": "4f" * 16, "metadata": {"client_ip": "127.0.0.1"}}
    return UserUttered(text, parse["intent"], entities, parse, input_channel="rest", message_id="4f" * 16,
                       metadata={"client_ip": "127.0.0.1", "model_id": "m" * 32, "assistant_id": "topup-support"})


def answered(text: str, utter: str) -> BotUttered:
    data = {"elements": None, "quick_replies": None, "buttons": [{"title": "好了", "payload": "/affirm"}],
            "attachment": None, "image": None, "custom": None}
    return BotUttered(text, data, {"utter_action": utter, "template": utter, "model_id": "m" * 32})


def a_long_conversation(turns: int) -> list[Event]:
    events: list[Event] = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    lines = [("钱都扣了 还没到账 KM20261127004215", "charged_not_received", "KM20261127004215"),
             ("你是机器人还是真人", "bot_challenge", None), ("气死了 怎么还不到", "express_frustration", None),
             ("嗯嗯", "nlu_fallback", None)]
    for turn in range(turns):
        text, intent, order = lines[turn % len(lines)]
        step = "utter_step_refresh_relogin"
        state = {"phase": "step", "order_no": "KM20261127004215", "said": {f"{n:012x}": 1 for n in range(turn)},
                 "steps": [{"step": "refresh_relogin", "outcome": "pending"}], "facts": {"order_product": "话费"}}
        events += [said(text, intent, order),
                   ActionExecuted("action_converse", policy="WindowedRulePolicy", confidence=1.0),
                   answered("先刷新一下页面看看？", step), SlotSet("case", state), ActionExecuted("action_listen")]
    return events


def conversations(domain: Domain) -> list[list[dict]]:
    stories = [[event.as_dict() for event in tracker.events] for tracker in story_trackers(domain, ROOT / "tests")]
    return [*stories, [event.as_dict() for event in a_long_conversation(12)]]


def test_what_the_actions_read_is_the_same(domain: Domain) -> None:
    for events in conversations(domain):
        lean = [lean_event(event) for event in events]
        for reader in READERS:
            assert reader(lean) == reader(events), reader.__name__


def test_rasa_sdk_sees_the_same_conversation(domain: Domain) -> None:
    for events in conversations(domain):
        full = Tracker.from_dict({"sender_id": "c", "events": events, "slots": {}, "latest_message": {}})
        lean = Tracker.from_dict({"sender_id": "c", "events": [lean_event(e) for e in events], "slots": {},
                                  "latest_message": {}})
        assert [e["event"] for e in lean.applied_events()] == [e["event"] for e in full.applied_events()]
        assert [e.get("name") for e in lean.events] == [e.get("name") for e in full.events]
        kept = [(e.get("name"), e.get("value")) for e in full.events if e.get("name") not in STATE_SLOTS]
        assert [(e.get("name"), e.get("value")) for e in lean.events if e.get("name") not in STATE_SLOTS] == kept
        assert lean.get_last_event_for("action") == {k: v for k, v in full.get_last_event_for("action").items()
                                                      if k in lean.get_last_event_for("action")}


def test_a_message_keeps_its_text_intent_entities_time_and_buttons() -> None:
    user = lean_event(said("订单 KM20261127004215", "inform", "KM20261127004215").as_dict())
    assert user["text"] == "订单 KM20261127004215" and user["input_channel"] == "rest"
    assert user["parse_data"]["intent"] == {"name": "inform", "confidence": 0.97}
    assert user["parse_data"]["entities"][0]["value"] == "KM20261127004215"
    assert user["metadata"] == {"client_ip": "127.0.0.1"}
    assert "intent_ranking" not in user["parse_data"] and "text_tokens" not in user["parse_data"]
    bot = lean_event(answered("先刷新一下", "utter_step_refresh_relogin").as_dict())
    assert bot["text"] == "先刷新一下" and bot["data"] == {"buttons": [{"title": "好了", "payload": "/affirm"}]}
    assert bot["metadata"] == {"utter_action": "utter_step_refresh_relogin"}
    assert isinstance(bot["timestamp"], float) and isinstance(user["timestamp"], float)
    other = {"event": "followup", "name": "action_listen", "timestamp": 1.0, "metadata": {"model_id": "m"}}
    assert lean_event(other) == {"event": "followup", "name": "action_listen", "timestamp": 1.0, "metadata": {}}


def test_the_request_is_a_fraction_of_rasas_and_keeps_the_latest_message_whole(domain: Domain) -> None:
    tracker = DialogueStateTracker.from_events("lean", a_long_conversation(200), domain.slots)
    action = ResilientRemoteAction("action_converse", EndpointConfig(url="http://127.0.0.1:1/webhook"))
    ours = action._action_call_format(tracker, domain)
    rasas = super(ResilientRemoteAction, action)._action_call_format(tracker, domain)
    assert ours.keys() == rasas.keys() and ours["tracker"].keys() == rasas["tracker"].keys()
    assert {k: v for k, v in ours.items() if k != "tracker"} == {k: v for k, v in rasas.items() if k != "tracker"}
    assert ours["tracker"]["events"] == [lean_event(event) for event in rasas["tracker"]["events"]]
    assert ours["tracker"]["latest_message"] == rasas["tracker"]["latest_message"]
    assert ours["tracker"]["slots"] == rasas["tracker"]["slots"]  # the state itself comes whole, once
    assert all("value" not in e for e in ours["tracker"]["events"] if e.get("name") in STATE_SLOTS)
    size, stock_size = len(json.dumps(ours)), len(json.dumps(rasas))
    assert size < 0.5 * stock_size, (size, stock_size)


def test_each_call_converts_only_the_new_events_and_a_new_tracker_starts_over(domain: Domain,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    events = a_long_conversation(30)
    tracker = DialogueStateTracker.from_events("lean-growing", events[:50], domain.slots)
    converted: list[object] = []
    monkeypatch.setattr(resilient_action, "lean_event", lambda event: converted.append(event) or dict(event))
    assert len(lean_events(tracker)) == 50 and len(converted) == 50
    for event in events[50:60]:
        tracker.update(event)
    copy = tracker.copy()  # what Rasa hands an action: a copy holding the same event objects
    assert [e["timestamp"] for e in lean_events(copy)] == [e.timestamp for e in events[:60]]
    assert len(converted) == 60
    reread = DialogueStateTracker.from_dict("lean-growing", [e.as_dict() for e in events[:61]], domain.slots)
    assert len(lean_events(reread)) == 61 and len(converted) == 121  # new objects (a re-read): all again
    other = DialogueStateTracker.from_events("lean-growing", events[:61], domain.slots)
    other.update(SlotSet("next_move", "resolved"))  # same sender and length, different last event
    assert lean_events(other)[-1]["value"] == "resolved" and len(converted) == 183


def test_only_the_most_recent_conversations_are_kept(domain: Domain, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    settings.install(make_settings(tmp_path, TOPUP_ACTION_EVENT_CACHE="2"))
    monkeypatch.setattr(resilient_action, "_LEAN", type(resilient_action._LEAN)())
    events = a_long_conversation(2)
    for sender in ("first", "second", "third"):
        assert len(lean_events(DialogueStateTracker.from_events(sender, events, domain.slots))) == len(events)
    assert list(resilient_action._LEAN) == ["second", "third"]

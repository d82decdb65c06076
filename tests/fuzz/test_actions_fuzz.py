"""Every custom action on random hostile input, through the SDK's own registry, against the demo database.

For each action: no exception escapes, the events are ones the SDK accepts and JSON can carry, the domain
declares every slot and response used, and the customer gets an answer: a message from the action itself
(action_converse always has one), or slots after which a rule in data/rules utters something (or runs the action
that does). The two takeover actions are silent by design; for them the property is exactly that (and that queued
agent replies arrive).
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher

from tests.actions.helpers import DEMO_ORDERS, DOMAIN, apply_events, bot_event, check_against_domain, user_event
from tests.appkit import installed, make_app
from tests.fuzz.strategies import WORDS, fuzz_settings, hostile_texts
from topup.app import App
from topup.demo import load_demo
from topup.dialogue.model import Case, Phase
from topup.model import Complaint, SelfHelpStep
from topup.services.handoff import HandoffRequest

ROOT = Path(__file__).resolve().parents[2]
EXECUTOR = ActionExecutor()
EXECUTOR.register_package("actions")
TAKEOVER = "fuzz-takeover-conversation"  # an agent holds this one for the whole module
SILENT_BY_DESIGN = {"action_relay_to_agent", "action_deliver_agent_messages"}
UTTERS_ITSELF = {"action_converse"}  # the conversation engine speaks itself; the takeover actions leave it to rules
ORDERS = ["KM20261127004215", "KM20261128000107", "KM20261127003390", "KM20261128000648", "KM20261127999999"]
STEPS = [s.value for s in SelfHelpStep]
ANY = object()


def _continuations() -> dict[str, list[dict[str, Any]]]:
    """For each custom action, the slot values after which some rule goes on to another action (or none)."""
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8")).get("rules") or []:
            steps = rule.get("steps") or []
            for i, step in enumerate(steps):
                if step.get("action") not in DOMAIN["actions"] or i + 1 >= len(steps):
                    continue
                after = steps[i + 1]
                if "action" in after:
                    found[step["action"]].append({})
                elif "slot_was_set" in after and i + 2 < len(steps) and "action" in steps[i + 2]:
                    required: dict[str, Any] = {}
                    for item in after["slot_was_set"]:
                        required.update(item if isinstance(item, dict) else {item: ANY})
                    found[step["action"]].append(required)
    return found


CONTINUATIONS = _continuations()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[App, str]]:
    """The demo orders, an agent online, and one conversation an agent has taken over (its ticket number), in an
    application object with the default settings (agents on duty around the clock)."""
    app = make_app(tmp_path_factory.mktemp("fuzz-actions"))
    load_demo(DEMO_ORDERS, app.engine)
    app.console.touch_presence("xiaowang")
    request = HandoffRequest(TAKEOVER, ORDERS[0], True, Complaint.RECHARGE_STUCK, "一直在充值", "customer_request")
    ticket_no = app.handoffs.hand_off(request).ticket_no
    app.console.claim(ticket_no, "xiaowang")
    yield app, ticket_no
    app.close()


@pytest.fixture(autouse=True)
def _installed(demo_db: tuple[App, str]) -> Iterator[None]:
    """What the actions see as App.current(), for every test (tests/conftest.py resets it before each one)."""
    with installed(demo_db[0]):
        yield


def _signed(customer_id: str, phone: str) -> str:
    """A token the installed application object accepts (the shop signs with the same secret)."""
    return App.current().customers.sign(customer_id, phone)


short_text = hostile_texts(with_huge=False)
# Kind first, then value: every JSON kind turns up even in a few derandomized examples.
json_values = st.sampled_from(["none", "bool", "int", "float", "list", "dict", "str"]).flatmap(
    lambda kind: {
        "none": st.none(), "bool": st.booleans(), "int": st.integers(-(10**16), 10**16) | st.just(20261127004215),
        "float": st.floats(allow_nan=False), "list": st.lists(st.integers() | short_text, min_size=1, max_size=3),
        "dict": st.dictionaries(st.text(max_size=5), st.integers(), min_size=1, max_size=2), "str": short_text,
    }[kind]
)  # fmt: skip
# "/inform{...}" typed into any channel sets entities to any JSON value; the NLU pipeline sets strings and numbers.
ENTITY_VALUES = {
    "order_id": st.sampled_from(ORDERS + WORDS) | short_text | json_values,
    "phone_last4": st.sampled_from(["3821", "2233", "0000", "13800003821", "３８２１"]) | short_text | json_values,
    "amount": st.integers(-10, 100_000) | st.floats(allow_nan=False) | json_values,
    "rating": st.integers(-3, 9) | st.sampled_from(["5", "五", "满分"]) | json_values,
}
entities = st.lists(
    st.sampled_from(DOMAIN["entities"]).flatmap(
        lambda name: st.fixed_dictionaries(
            {"entity": st.just(name), "value": ENTITY_VALUES.get(name, short_text | json_values),
             "start": st.integers(0, 50), "end": st.integers(0, 60)}
        )
    ),
    max_size=4,
)  # fmt: skip
intents = st.sampled_from([*DOMAIN["intents"], "nlu_fallback", None])


def _slot(name: str, spec: dict) -> st.SearchStrategy:
    """A value the assistant's own actions could have left in this slot (slots are written by actions only)."""
    kind = spec["type"]
    if kind == "categorical":
        return st.sampled_from([*spec["values"], None])
    if kind == "bool":
        return st.none() | st.booleans()
    if kind == "float":  # mostly small counts, so the per-conversation lock does not hide everything after it
        return st.none() | st.integers(0, 2) | st.integers(0, 3) | st.floats(0, float(spec.get("max_value", 100)))
    if name == "case":
        return st.none() | cases | st.dictionaries(st.sampled_from(["phase", "order_no", "said", "steps", "x"]),
                                                    json_values, max_size=4)
    closed = {"agent_name": ["小王"]}
    if name in closed:
        return st.none() | st.sampled_from(closed[name])
    return st.none() | short_text


step_entries = st.fixed_dictionaries(
    {"step": st.sampled_from(STEPS), "outcome": st.sampled_from(["pending", "helped", "not_helped"])})
# A conversation state the engine could have left (any phase, with or without an order, a ticket, steps).
cases = st.builds(
    lambda phase, order, tail, verified, plan, steps, ticket, attempts, asked: Case(
        phase=phase, order_no=order, tail=tail, verified=verified and order is not None, plan=plan, steps=steps,
        ticket_no=ticket, attempts=attempts, asked=asked).as_slot(),
    st.sampled_from(list(Phase)), st.none() | st.sampled_from(ORDERS), st.none() | st.sampled_from(["3821", "0000"]),
    st.booleans(), st.lists(st.sampled_from(STEPS), max_size=3), st.lists(step_entries, max_size=3),
    st.none() | st.sampled_from(["TK20261204000001", "TK-gone"]), st.integers(0, 5),
    st.dictionaries(st.sampled_from(["order", "proof", "step", "offer", "human", "close", "anything_else"]),
                    st.integers(0, 3), max_size=2),
)
slots = st.fixed_dictionaries({}, optional={name: _slot(name, spec) for name, spec in DOMAIN["slots"].items()})
stamps = st.floats(1.6e9, 2.0e9)
history = st.lists(
    st.one_of(
        st.builds(user_event, short_text, intents, st.just([]), stamps),
        st.builds(bot_event, short_text, stamps),
        st.builds(lambda s: {"event": "user", "timestamp": s, "text": None, "parse_data": {}}, stamps),
    ),
    max_size=6,
)
metadata = st.fixed_dictionaries(
    {},
    optional={
        "customer_token": short_text | st.builds(_signed, short_text, st.sampled_from(["13800003821", ""])),
        "client_ip": st.ip_addresses().map(str) | short_text,
    },
)


def _tracker_json(sender: str, text: str, intent: str | None, found: list, slot_values: dict, past: list,
                  meta: dict) -> dict:  # fmt: skip
    latest = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": found, "metadata": meta}
    events = [*past, {**user_event(text, intent, found), "metadata": meta}]
    state = {"sender_id": sender, "slots": slot_values, "latest_message": latest, "events": events, "paused": False,
             "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}  # fmt: skip
    return json.loads(json.dumps(state))  # exactly what survives the trip from Rasa to the action server


def _run(name: str, tracker_json: dict) -> tuple[list[dict], CollectingDispatcher]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(EXECUTOR.actions[name](dispatcher, Tracker.from_dict(tracker_json), DOMAIN))
    assert isinstance(events, list)
    assert EXECUTOR.validate_events(events, name) == events, "the SDK would drop some of these events"
    json.dumps({"events": events, "responses": dispatcher.messages})
    check_against_domain(events, dispatcher)
    return events, dispatcher


def _leads_to_an_answer(name: str, after: dict) -> bool:
    return any(all(v is ANY or after.get(k) == v for k, v in req.items()) for req in CONTINUATIONS[name])


def test_every_action_has_a_continuation_in_the_rules() -> None:
    assert set(DOMAIN["actions"]) - SILENT_BY_DESIGN - UTTERS_ITSELF <= set(CONTINUATIONS)


@pytest.mark.parametrize("name", sorted(set(DOMAIN["actions"]) - SILENT_BY_DESIGN))
@fuzz_settings(max_examples=45)
@given(
    sender=st.sampled_from(["fuzz-a", "fuzz-b"]) | st.text(min_size=1, max_size=60),
    text=hostile_texts(), intent=intents, found=entities, slot_values=slots, past=history, meta=metadata,
)  # fmt: skip
def test_action_survives_and_answers(
    demo_db: tuple, name: str, sender: str, text: str, intent: str | None, found: list, slot_values: dict,
    past: list, meta: dict,
) -> None:  # fmt: skip
    sender = sender if sender != TAKEOVER else "not-the-takeover"
    events, dispatcher = _run(name, _tracker_json(sender, text, intent, found, slot_values, past, meta))
    after = apply_events(slot_values, events)
    if name in UTTERS_ITSELF:
        assert dispatcher.messages and all(m.get("response", "").startswith("utter_") for m in dispatcher.messages)
    else:
        assert dispatcher.messages or _leads_to_an_answer(name, after), (name, after)


@pytest.mark.parametrize("name", ["action_converse", "action_save_rating"])
@pytest.mark.parametrize("entity", ["order_id", "phone_last4", "rating"])
@fuzz_settings(max_examples=12)
@given(value=json_values, awaiting=st.sampled_from([None, "rating"]), case=cases)
def test_entities_of_any_json_type(
    demo_db: tuple, name: str, entity: str, value: object, awaiting: str | None, case: dict
) -> None:
    """Anyone can type `/inform{"order_id": 123}`: Rasa passes such entity values on as they are."""
    found = [{"entity": entity, "value": value, "start": 0, "end": 1}]
    before = {"awaiting": awaiting, "case": case}
    events, dispatcher = _run(name, _tracker_json("fuzz-entities", "/inform", "inform", found, before, [], {}))
    if name in UTTERS_ITSELF:
        assert dispatcher.messages
    else:
        assert dispatcher.messages or _leads_to_an_answer(name, apply_events(before, events))


@fuzz_settings(max_examples=40)
@given(text=hostile_texts(), replies=st.lists(hostile_texts(with_huge=False), max_size=3), past=history)
def test_takeover_actions_stay_silent_and_deliver_every_agent_reply(
    demo_db: tuple, text: str, replies: list[str], past: list
) -> None:
    app, ticket_no = demo_db
    for reply in replies:
        app.console.post_agent_message(ticket_no, "xiaowang", reply)
    state = _tracker_json(TAKEOVER, text, "inform", [], {"agent_active": True}, past, {})
    events, dispatcher = _run("action_relay_to_agent", state)
    assert events == [] and dispatcher.messages == []  # relayed to the agent, the assistant says nothing
    events, dispatcher = _run("action_deliver_agent_messages", state)
    assert events == [] and len(dispatcher.messages) == len(replies)
    assert all(m["text"].startswith("【客服小王】") for m in dispatcher.messages)


@fuzz_settings(max_examples=25)
@given(text=hostile_texts(), sender=st.text(min_size=1, max_size=60).filter(lambda s: s != TAKEOVER))
def test_without_a_takeover_the_assistant_takes_the_conversation_back(demo_db: tuple, text: str, sender: str) -> None:
    events, dispatcher = _run("action_relay_to_agent", _tracker_json(sender, text, "inform", [], {}, [], {}))
    assert events == [{"event": "slot", "timestamp": None, "name": "agent_active", "value": False},
                      {"event": "followup", "timestamp": None, "name": "action_converse"}]  # which answers it
    events, dispatcher = _run("action_deliver_agent_messages", _tracker_json(sender, text, "inform", [], {}, [], {}))
    assert events == [] and dispatcher.messages == []

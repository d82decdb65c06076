"""WindowedRulePolicy must answer exactly as Rasa's RulePolicy does, on the trained rules, for any conversation.

Each check runs both policies on the same tracker: the trained WindowedRulePolicy from models/, and a stock
RulePolicy holding the very same learned rules. They must predict the same action with the same confidence,
from the same rule, with the same extra events.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.policies.rule_policy import RULES, RulePolicy
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    Event,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.slots import Slot
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_plugins.windowed_rules import WindowedRulePolicy, _Replay
from tests.appkit import make_settings
from tests.dialogue.conversations import story_trackers
from topup import settings as topup_settings

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "topup.tar.gz"


@pytest.fixture(autouse=True)
def _settings(tmp_path: Path) -> None:
    """The policy reads topup.settings.current() (how many replays to keep): the defaults unless a test says."""
    topup_settings.install(make_settings(tmp_path))


@pytest.fixture(scope="module")
def trained() -> Iterator[tuple[WindowedRulePolicy, RulePolicy, Domain]]:
    from rasa.core.agent import Agent

    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (the test command does it)")
    with ThreadPoolExecutor(max_workers=1) as worker:  # Agent.load may need an event loop of its own
        agent = worker.submit(lambda: asyncio.run(_load(Agent))).result()
    nodes = agent.processor.graph_runner._instantiated_nodes  # type: ignore[attr-defined]
    found = [node._component for node in nodes.values() if isinstance(node._component, RulePolicy)]
    assert len(found) == 1 and isinstance(found[0], WindowedRulePolicy), found
    windowed = found[0]
    context = ExecutionContext(GraphSchema({}), is_finetuning=windowed.finetune_mode)
    stock = RulePolicy(windowed.config, windowed._model_storage, windowed._resource, context,
                       featurizer=windowed.featurizer, lookup=windowed.lookup)
    yield windowed, stock, agent.domain


async def _load(agent_class: type) -> object:
    return agent_class.load(str(MODEL))


def _same_prediction(windowed: WindowedRulePolicy, stock: RulePolicy, tracker: DialogueStateTracker,
                     domain: Domain) -> None:
    ours, our_source = windowed._predict(tracker, domain)
    theirs, their_source = stock._predict(tracker, domain)
    assert ours.probabilities == theirs.probabilities, tracker.sender_id
    assert ours.events == theirs.events
    assert ours.hide_rule_turn == theirs.hide_rule_turn
    assert ours.is_end_to_end_prediction == theirs.is_end_to_end_prediction
    assert ours.is_no_user_prediction == theirs.is_no_user_prediction
    if their_source in stock.lookup[RULES] or not (their_source or "").startswith("["):
        assert our_source == their_source  # the same rule (or default / loop source) decided
    else:
        assert our_source not in stock.lookup[RULES]  # neither matched a rule


def _prefixes(events: list[Event]) -> Iterator[list[Event]]:
    """Every point of a conversation where the dialogue predicts: just before each action."""
    for index, event in enumerate(events):
        if isinstance(event, ActionExecuted) and index:
            yield events[:index]
    yield events


def _tracker(sender: str, events: list[Event], domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, events, domain.slots)


def _growing(sender: str, events: list[Event], domain: Domain) -> Iterator[DialogueStateTracker]:
    """One tracker object, fed the events one by one as the processor does, at each point where it predicts.
    This is the path where the policy carries its replay forward instead of starting again."""
    tracker = DialogueStateTracker(sender, domain.slots)
    for index, event in enumerate(events):
        if isinstance(event, ActionExecuted) and index:
            yield tracker
        tracker.update(event)
    yield tracker


def test_the_window_is_the_longest_rule(trained) -> None:  # noqa: ANN001
    windowed, _, _ = trained
    lengths = [len(json.loads(key)) for key in windowed.lookup[RULES]]
    assert windowed.window() == max(lengths)
    assert 2 <= windowed.window() < 20  # much shorter than a long conversation, or the policy saves nothing


def test_the_test_stories_predict_the_same_at_every_step(trained) -> None:  # noqa: ANN001
    windowed, stock, domain = trained
    trackers = story_trackers(domain, ROOT / "tests")
    assert len(trackers) >= 10
    checked = 0
    for tracker in trackers:
        for prefix in _prefixes(list(tracker.events)):
            _same_prediction(windowed, stock, _tracker(tracker.sender_id, prefix, domain), domain)
            checked += 1
        for growing in _growing(tracker.sender_id, list(tracker.events), domain):
            _same_prediction(windowed, stock, growing, domain)
    assert checked > 100


def test_a_long_conversation_predicts_the_same_far_past_the_window(trained) -> None:  # noqa: ANN001
    """All the test stories one after another in one session, four times: a couple of hundred turns."""
    windowed, stock, domain = trained
    events = [event for tracker in story_trackers(domain, ROOT / "tests") for event in tracker.events] * 4
    turns = sum(1 for event in events if isinstance(event, UserUttered))
    assert turns > 150
    prefixes = list(_prefixes(events))
    for prefix in prefixes[:: max(1, len(prefixes) // 60)] + prefixes[-5:]:
        _same_prediction(windowed, stock, _tracker("long", prefix, domain), domain)
    for number, growing in enumerate(_growing("long-growing", events, domain)):
        if number % 3 == 0 or number > len(prefixes) - 5:
            _same_prediction(windowed, stock, growing, domain)


def test_a_rewritten_history_starts_the_replay_again(trained) -> None:  # noqa: ANN001
    """Undo, rewind, restart and a new session change what came before: the replay must not just append them."""
    windowed, stock, domain = trained
    story = list(story_trackers(domain, ROOT / "tests")[0].events)
    tails = [[UserUtteranceReverted()], [ActionReverted()], [Restarted()],
             [SessionStarted(), ActionExecuted("action_listen")]]
    for tail in tails:
        tracker = _tracker(f"rewrite-{tail[0].type_name}", story, domain)
        _same_prediction(windowed, stock, tracker, domain)
        for event in tail:
            tracker.update(event)
        _same_prediction(windowed, stock, tracker, domain)
        for event in story[-6:]:
            tracker.update(event)
            _same_prediction(windowed, stock, tracker, domain)


def test_recent_states_are_the_tail_of_the_full_history(trained) -> None:  # noqa: ANN001
    windowed, _, domain = trained
    events = [event for tracker in story_trackers(domain, ROOT / "tests")[:12] for event in tracker.events]
    tracker = _tracker("tail", events, domain)
    full = domain.states_for_tracker_history(tracker)
    for window in (1, 3, windowed.window(), len(full), len(full) + 10):
        # The last `window` states, built without the others, are the tail of the whole history.
        assert _Replay.start(tracker, domain, window).states(domain) == full[-window:]


def test_two_conversations_never_share_remembered_states(trained) -> None:  # noqa: ANN001
    """Same sender and length, different events: the states built for one must not answer for the other."""
    windowed, stock, domain = trained
    trackers = story_trackers(domain, ROOT / "tests")
    by_length: dict[int, list[DialogueStateTracker]] = {}
    for tracker in trackers:
        by_length.setdefault(len(tracker.events), []).append(tracker)
    pairs = [group[:2] for group in by_length.values() if len(group) >= 2]
    assert pairs, "no two test stories of the same length"
    for first, second in pairs:
        a = _tracker("same-sender", list(first.events), domain)
        b = _tracker("same-sender", list(second.events), domain)
        for tracker in (a, b, a):
            tail = stock._prediction_states(tracker, domain)[-windowed.window():]
            assert windowed._prediction_states(tracker, domain) == tail


def _values_for(slot: Slot) -> list[object]:
    by_type: dict[str, list[object]] = {"bool": [True, False], "float": [0.0, 2.0], "list": [[], ["refresh"]]}
    return [None, *(getattr(slot, "values", None) or by_type.get(slot.type_name, ["KM20261127004215"]))]


@st.composite
def _random_conversation(draw: st.DrawFn, domain: Domain) -> list[Event]:
    """Any mix of user intents, actions and slot values the domain knows, in any order and length."""
    intents = sorted(domain.intents)
    actions = sorted(name for name in domain.action_names_or_texts if name)
    values = {slot.name: _values_for(slot) for slot in domain.slots}
    events: list[Event] = [ActionExecuted("action_session_start"), ActionExecuted("action_listen")]
    for _ in range(draw(st.integers(1, 60))):
        kind = draw(st.sampled_from(["user", "user", "action", "action", "slot", "slot", "rewrite"]))
        if kind == "user":
            intent = draw(st.sampled_from(intents))
            events.append(UserUttered(f"text {intent}", {"name": intent, "confidence": 1.0}))
        elif kind == "action":
            events.append(ActionExecuted(draw(st.sampled_from(actions))))
        elif kind == "rewrite":
            events.append(draw(st.sampled_from([UserUtteranceReverted(), ActionReverted(), Restarted(),
                                                SessionStarted()])))
        else:
            name = draw(st.sampled_from(sorted(values)))
            events.append(SlotSet(name, draw(st.sampled_from(values[name]))))
        if draw(st.booleans()):
            events.append(ActionExecuted("action_listen"))
    return events


def test_random_conversations_predict_the_same(trained) -> None:  # noqa: ANN001
    windowed, stock, domain = trained

    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(_random_conversation(domain))
    def check(events: list[Event]) -> None:
        for prefix in _prefixes(events):
            _same_prediction(windowed, stock, _tracker("random", prefix, domain), domain)
        for growing in _growing("random-growing", events, domain):
            _same_prediction(windowed, stock, growing, domain)

    check()


def test_only_the_most_recent_conversations_keep_a_replay(trained, tmp_path: Path) -> None:  # noqa: ANN001
    windowed, stock, domain = trained
    topup_settings.install(make_settings(tmp_path, TOPUP_RULE_REPLAYS="2"))
    stories = story_trackers(domain, ROOT / "tests")[:3]
    for tracker in stories:
        _same_prediction(windowed, stock, _tracker(f"lru-{tracker.sender_id}", list(tracker.events), domain), domain)
    assert list(windowed._replays) == [f"lru-{tracker.sender_id}" for tracker in stories[1:]]

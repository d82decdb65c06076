"""Rasa's RulePolicy, featurising only the turns a rule can reach instead of the whole conversation.

RulePolicy turns the whole conversation into states on every prediction (several per message), formats and
deep-copies them for a debug log line, walks every state against every rule, and JSON-encodes the whole
history when no rule matches. Its cost grows with the conversation: turn 200 took 8.6x as long as turn 10
(reports/bench/FINDINGS.md). But a rule only ever looks at its own length back: `_is_rule_applicable`
accepts every rule at once when the walk has gone further back than the rule is long. So the last
`window` states (window = the longest rule) give exactly the same matches as the whole history.

This policy builds just those states. A state carries the slots and the latest message as they were then, so
the conversation is replayed from the session's start once; after that the policy keeps the replay of each
recent conversation and applies only the events added since (a message adds a handful). Anything that could
rewrite the past (a restart, a new session, an undo or rewind, a form) replays from the start again.

config.yml: policies: - name: rasa_plugins.windowed_rules.WindowedRulePolicy (same options as RulePolicy)
"""

from __future__ import annotations

import copy
import logging
import weakref
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from topup import settings

logger = logging.getLogger(__name__)


# Events after which the applied history is not the old one plus the new events (Rasa's applied_events()).
_REWRITES_HISTORY = (Restarted, SessionStarted, ActionReverted, UserUtteranceReverted, ActiveLoop)


def replay_size() -> int:
    """How many conversations keep their replay (TOPUP_RULE_REPLAYS; least recently used go first)."""
    return settings.current().rule_replays


@dataclass
class _Replay:
    """A conversation replayed up to `consumed` of its events, with the states taken before its latest actions.

    A state is taken before each applied ActionExecuted and once at the end, from the tracker replayed up to
    that point, exactly as Rasa's `generate_all_prior_trackers` does."""

    tracker: DialogueStateTracker
    source: weakref.ref[DialogueStateTracker]  # the conversation's own tracker object: another one starts again
    consumed: int
    last: Event | None  # source.events[consumed - 1] when replayed
    before_actions: deque[State]
    loops: bool  # a form ran: applied_events() collapses its executions, so new events are not just appended

    @classmethod
    def start(cls, tracker: DialogueStateTracker, domain: Domain, window: int) -> _Replay:
        replay = cls(tracker.init_copy(), weakref.ref(tracker), len(tracker.events),
                     tracker.events[-1] if tracker.events else None, deque(maxlen=max(window - 1, 0)),
                     any(isinstance(event, ActiveLoop) for event in tracker.events))
        events = tracker.applied_events()
        total = sum(1 for event in events if isinstance(event, ActionExecuted))
        skip = total - replay.before_actions.maxlen  # states before these actions fall out of the window
        for event in events:
            if isinstance(event, ActionExecuted):
                if skip <= 0:
                    replay.before_actions.append(domain.get_active_state(replay.tracker))
                skip -= 1
            replay.tracker.update(event)
        return replay

    def follows(self, tracker: DialogueStateTracker) -> bool:
        """Whether `tracker` is the replayed tracker itself, with only plain events added since (or none)."""
        events = tracker.events
        if self.source() is not tracker or self.loops or not self.consumed or len(events) < self.consumed:
            return False
        if events[self.consumed - 1] is not self.last:
            return False
        return not any(isinstance(events[i], _REWRITES_HISTORY) for i in range(self.consumed, len(events)))

    def catch_up(self, tracker: DialogueStateTracker, domain: Domain) -> None:
        events = tracker.events
        for i in range(self.consumed, len(events)):
            event = events[i]
            if isinstance(event, ActionExecuted):
                self.before_actions.append(domain.get_active_state(self.tracker))
            self.tracker.update(event)
        self.consumed = len(events)
        self.last = events[-1] if events else None

    def states(self, domain: Domain) -> list[State]:
        return [*self.before_actions, domain.get_active_state(self.tracker)]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True)
class WindowedRulePolicy(RulePolicy):
    """RulePolicy whose predictions cost the same at turn 200 as at turn 10 (same answers; see module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._window: int | None = None
        self._replays: OrderedDict[str, _Replay] = OrderedDict()

    def window(self) -> int:
        """The longest rule, in states: no rule looks further back than that."""
        if self._window is None:
            keys = [*self.lookup.get(RULES, {}), *self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
            self._window = max((len(self._rule_key_to_state(key)) for key in keys), default=1)
        return self._window

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        self._window = None  # the rules are about to change
        self._replays.clear()
        return super().train(training_trackers, domain, **kwargs)

    def _recent_states(self, tracker: DialogueStateTracker, domain: Domain) -> list[State]:
        window = self.window()
        replay = self._replays.get(tracker.sender_id)
        if replay is not None and replay.before_actions.maxlen == max(window - 1, 0) and replay.follows(tracker):
            replay.catch_up(tracker, domain)
            self._replays.move_to_end(tracker.sender_id)
        else:
            replay = self._replays[tracker.sender_id] = _Replay.start(tracker, domain, window)
            while len(self._replays) > replay_size():
                self._replays.popitem(last=False)
        return replay.states(domain)

    def _prediction_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        use_text_for_last_user_input: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        # The stock path with these arguments: states_for_tracker_history without hiding rule turns, no
        # max_history slicing, then the last user input as text or intent. Anything else: the stock path.
        if self.featurizer is None or self.featurizer.max_history is not None:
            return super()._prediction_states(tracker, domain, use_text_for_last_user_input, rule_only_data)
        states = copy.deepcopy(self._recent_states(tracker, domain))  # the featurizer edits states in place
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

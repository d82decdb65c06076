"""Rasa's RulePolicy, featurising only the turns a rule can reach instead of the whole conversation.

RulePolicy turns the whole conversation into states on every prediction (several per message), formats and
deep-copies them for a debug log line, walks every state against every rule, and JSON-encodes the whole
history when no rule matches. Its cost grows with the conversation: turn 200 took 8.6x as long as turn 10
(reports/bench/FINDINGS.md). But a rule only ever looks at its own length back: `_is_rule_applicable`
accepts every rule at once when the walk has gone further back than the rule is long. So the last
`window` states (window = the longest rule) give exactly the same matches as the whole history.

This policy builds just those states. The events are still replayed from the session's start, because a
state carries the slots and the latest message as they were then, but only the last `window` states are
built, and the two predictions of one step (from text, then from intent) share them.

config.yml: policies: - name: policies.windowed_rules.WindowedRulePolicy (same options as RulePolicy)
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)


def recent_states(tracker: DialogueStateTracker, domain: Domain, window: int) -> list[State]:
    """The last `window` states of `domain.states_for_tracker_history(tracker)`, building no others.

    A state is taken before each applied ActionExecuted and once at the end, from the tracker replayed up to
    that point, exactly as Rasa's `generate_all_prior_trackers` does (the replay is the cheap part)."""
    events = tracker.applied_events()
    total = 1 + sum(1 for event in events if isinstance(event, ActionExecuted))
    first = total - window  # index of the first state to build
    replay = tracker.init_copy()
    states: list[State] = []
    index = 0
    for event in events:
        if isinstance(event, ActionExecuted):
            if index >= first:
                states.append(domain.get_active_state(replay))
            index += 1
        replay.update(event)
    states.append(domain.get_active_state(replay))
    return states


def _same_key(a: tuple[str, int, Any, int], b: tuple[str, int, Any, int]) -> bool:
    return a[0] == b[0] and a[1] == b[1] and a[2] is b[2] and a[3] == b[3]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITH_END_TO_END_SUPPORT, is_trainable=True)
class WindowedRulePolicy(RulePolicy):
    """RulePolicy whose predictions cost the same at turn 200 as at turn 10 (same answers; see module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._window: int | None = None
        # The last states built: (sender, number of events, the last event itself, window) -> states. The key
        # holds the event object, so its identity cannot be reused by another conversation's event.
        self._memo: tuple[tuple[str, int, Any, int], list[State]] | None = None

    def window(self) -> int:
        """The longest rule, in states: no rule looks further back than that."""
        if self._window is None:
            keys = [*self.lookup.get(RULES, {}), *self.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
            self._window = max((len(self._rule_key_to_state(key)) for key in keys), default=1)
        return self._window

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        self._window = None  # the rules are about to change
        self._memo = None
        return super().train(training_trackers, domain, **kwargs)

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
        window = self.window()
        last = tracker.events[-1] if tracker.events else None
        key = (tracker.sender_id, len(tracker.events), last, window)
        memo = self._memo
        if memo is None or not _same_key(memo[0], key):
            memo = self._memo = (key, recent_states(tracker, domain, window))
        states = copy.deepcopy(memo[1])  # the featurizer edits the last state in place
        self.featurizer._choose_last_user_input([states], use_text_for_last_user_input)
        return states

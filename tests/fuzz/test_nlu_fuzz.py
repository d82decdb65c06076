"""The trained model on hostile text: it always parses, to an intent the domain knows, with a sane confidence.

Uses the loader of tests/nlu/test_trained_model.py (the model on a worker thread with its own event loop).
Huge messages take seconds each to parse, so they get a test of their own with few examples.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from hypothesis import given

from tests.actions.helpers import DOMAIN
from tests.fuzz.strategies import fuzz_settings, hostile_texts, huge
from tests.nlu.test_trained_model import parse  # noqa: F401  (the module-scoped fixture)

INTENTS = {*DOMAIN["intents"], "nlu_fallback"}
ENTITIES = set(DOMAIN["entities"])


def _check(parsed: dict, text: str) -> None:
    intent = parsed["intent"]
    assert intent["name"] in INTENTS, intent
    assert isinstance(intent["confidence"], float) and 0.0 <= intent["confidence"] <= 1.0, intent
    ranking = parsed.get("intent_ranking") or []
    assert all(0.0 <= r["confidence"] <= 1.0 and not math.isnan(r["confidence"]) for r in ranking)
    assert all(r["name"] in INTENTS for r in ranking)
    for entity in parsed["entities"]:
        assert entity["entity"] in ENTITIES, entity
        assert 0 <= entity["start"] <= entity["end"] <= len(parsed["text"]), entity
    assert isinstance(parsed["text"], str) and len(parsed["text"]) <= len(text) + 16


@fuzz_settings(max_examples=120)
@given(text=hostile_texts(with_huge=False))
def test_hostile_text_parses_to_a_known_intent(parse: Callable[[str], dict], text: str) -> None:  # noqa: F811
    _check(parse(text), text)


@fuzz_settings(max_examples=4)
@given(text=huge())
def test_huge_text_parses_to_a_known_intent(parse: Callable[[str], dict], text: str) -> None:  # noqa: F811
    _check(parse(text), text)

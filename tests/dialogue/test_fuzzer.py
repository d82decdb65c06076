"""Thousands of seeded random conversations through the engine on the real services, every turn checked against
the rules every conversation keeps (tests/dialogue/invariants.py). A failing walk prints its seed and the whole
conversation; `python -m tests.dialogue.fuzzer --seed SEED --walks 1` replays it. `make fuzz` runs a longer walk."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dialogue.fuzzer import Intents, demo_app, run, walk
from tests.dialogue.invariants import Turn, violations
from tests.dialogue.nlu import load_parser
from topup.app import App
from topup.dialogue.model import Kind

WALKS = 2500


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    app = demo_app(tmp_path_factory.mktemp("fuzzer"))
    yield app
    app.close()


@pytest.fixture(scope="module")
def intents() -> Intents:
    try:
        return Intents(load_parser())
    except FileNotFoundError as missing:
        pytest.fail(str(missing))


def test_thousands_of_walks_keep_every_rule(app: App, intents: Intents) -> None:
    result = run(app, WALKS, seed=1, intents=intents, stop_after=3)
    report = "\n\n".join(f"walk seed {seed}:\n  " + "\n  ".join(problems) + "\n" + shown
                         for seed, problems, shown in result.failures)
    assert not result.failures, report
    assert result.walks == WALKS and result.turns > WALKS * 5
    # The walks reach every corner: handoffs, steps solved and failed, lock-outs, switches, questions.
    for response in ("utter_handoff_created", "utter_resolved", "utter_step_next", "utter_order_switched",
                     "utter_verify_locked", "utter_ticket_noted", "utter_eta_recent", "utter_refund_processing",
                     "utter_pay_again_safe", "utter_pay_again_debited", "utter_two_orders", "utter_next_order",
                     "utter_ticket_welcome_back", "utter_case_kept_with_ticket", "utter_offer_human"):
        assert result.responses[response] > 0, response


def test_a_walk_is_the_same_for_the_same_seed(app: App) -> None:
    plain = Intents(None)
    first, again = walk(app, 4242, plain), walk(app, 4242, plain)
    assert [(t.text, t.responses) for t in first] == [(t.text, t.responses) for t in again]


def test_the_checks_catch_what_they_are_for() -> None:
    """Each rule fails on a conversation that breaks it (a check that cannot fail proves nothing)."""
    said = ["utter_greet"]
    bad = [
        [Turn("还是没到", Kind.STILL, ["utter_goodbye"], ["好的"], {})],
        [Turn("a", Kind.GREET, said, ["x"]), Turn("b", Kind.GREET, said, ["x"]), Turn("c", Kind.GREET, said, ["x"])],
        [Turn("KM20261127004215", Kind.INFORM, ["utter_ask_phone_last4"], ["尾号?"], {"order_no": None},
              ("KM20261127004215",))],
        [Turn("x", Kind.INFORM, ["utter_handoff_created"], ["TK1"], {"ticket_no": "TK1", "phase": "ticket"}),
         Turn("y", Kind.GREET, ["utter_greet"], ["您好"], {"ticket_no": "TK1", "phase": "ticket"})],
        [Turn("再付", Kind.PAY_AGAIN, ["utter_pay_again_safe"], ["不会"], {"facts": {"debited": True}})],
        [Turn("KM20261127004215", Kind.INFORM, ["utter_x"], ["中国移动话费"], {"order_no": "KM20261127004215"})],
        [Turn("?", Kind.UNCLEAR, ["utter_rephrase"], ["a"]), Turn("?", Kind.UNCLEAR, ["utter_rephrase_help"], ["b"]),
         Turn("?", Kind.UNCLEAR, ["utter_rephrase"], ["c"])],
        [Turn("hi", Kind.GREET, [], [])],
    ]
    for turns in bad:
        assert violations(turns, {"KM20261127004215": "中国移动话费"}), turns

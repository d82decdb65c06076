"""Every cell of the state × message table (topup/dialogue/table.py, docs/DIALOGUE.md) run against the engine.

Each state is reached by a short conversation with the fake ports (tests/dialogue/fakes.py); then the cell's example
message is sent, and the responses, the state after it and its effect (a ticket created, a note added to one)
must be the cell's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.dialogue.fakes import DELIVERED, OVERDUE, RECENT, REFUNDING, Chat
from topup.dialogue import table
from topup.dialogue.model import Kind, Phase

ROOT = Path(__file__).resolve().parents[2]

# How each state of the table is reached.
SETUPS: dict[str, list[tuple[str, str]]] = {
    "start": [],
    "need_order": [("充值一直没到账", "recharge_stuck")],
    "need_proof": [("充值一直没到账", "recharge_stuck"), (OVERDUE, "inform")],
    "informed_open": [("话费还没到", "recharge_stuck"), (f"{RECENT} 3821", "inform")],
    "informed_closed": [("充值失败了", "payment_failed"), (f"{REFUNDING} 5566", "inform")],
    "step": [("充值一直没到账", "recharge_stuck"), (f"{OVERDUE} 3821", "inform")],
    "offered": [("话费还没到", "recharge_stuck"), (f"{RECENT} 3821", "inform"), ("还是没到", "deny")],
    "ticket": [("充值一直没到账", "recharge_stuck"), (f"{OVERDUE} 3821", "inform"), ("不行", "deny"),
               ("还是不行", "deny")],
    "done": [("到账了但是页面没显示", "recharge_stuck"), (f"{DELIVERED} 4455", "inform"), ("好了", "solved")],
    "locked": [("充值没到账", "recharge_stuck"), (f"{OVERDUE} 1111", "inform"), ("2222", "inform"),
               ("3333", "inform")],
}


def reach(state: str) -> Chat:
    chat = Chat()
    for text, intent in SETUPS[state]:
        chat(text, intent)
    return chat


def test_the_table_covers_every_state_and_every_kind_of_message() -> None:
    assert set(table.STATES) == set(SETUPS)
    kinds = {table.MESSAGES[row].kind for row in table.MESSAGES}
    # the system's news of an order change is no customer message: tests/dialogue/test_order_changed.py
    assert kinds == set(Kind) - {Kind.ORDER_CHANGED}, "every kind of message has a row"
    for state in table.STATES:
        assert set(table.CELLS[state]) == set(table.MESSAGES), state


@pytest.mark.parametrize("state", list(SETUPS))
def test_each_state_is_what_the_table_says(state: str) -> None:
    assert reach(state).case.phase is Phase(table.STATES[state].phase)


@pytest.mark.parametrize(("state", "row"), [(s, r) for s in table.STATES for r in table.MESSAGES])
def test_cell(state: str, row: str) -> None:
    chat = reach(state)
    cell, example = table.CELLS[state][row], table.MESSAGES[row]
    tickets, notes = len(chat.ports.tickets), sum(len(t.notes) for t in chat.ports.tickets)
    responses = chat(example.text, example.intent)
    assert chat.turns[-1].says[0].response, chat.transcript
    effects = set()
    if len(chat.ports.tickets) > tickets:
        effects.add("ticket")
    if sum(len(t.notes) for t in chat.ports.tickets) > notes:
        effects.add("note")
    assert (tuple(responses), chat.case.phase.value, effects) == (cell.says, cell.then, set(cell.effects)), (
        chat.transcript)


def test_the_example_messages_are_read_as_their_kind() -> None:
    from topup.dialogue.understand import read_message

    for row, example in table.MESSAGES.items():
        assert read_message(example.text, example.intent).kind is example.kind, row


def test_docs_dialogue_md_is_the_table() -> None:
    written = (ROOT / "docs" / "DIALOGUE.md").read_text(encoding="utf-8")
    generated = subprocess.run([sys.executable, "-m", "topup.dialogue.table"], capture_output=True, text=True,
                               check=True, cwd=ROOT).stdout
    assert written == generated, "docs/DIALOGUE.md is stale: python -m topup.dialogue.table > docs/DIALOGUE.md"

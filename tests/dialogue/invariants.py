"""The rules every conversation keeps, whatever the customer writes: checked on every turn by the corpus
(tests/e2e/test_corpus.py) and the conversation fuzzer (tests/dialogue/test_fuzzer.py).

A turn is what the customer wrote, how it was read, what the assistant said (response names and rendered text)
and the conversation's state after it. `violations(turns)` lists every rule broken, with the turn it broke at.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from topup.dialogue.engine import TICKET_AWARE
from topup.dialogue.model import Kind

# Closing words: never right after the customer said it is still not there / no.
CLOSINGS = frozenset({"utter_goodbye", "utter_goodbye_again", "utter_resolved", "utter_glad", "utter_glad_again"})
NEGATIVE = frozenset({Kind.DENY, Kind.STILL})
# Offering or giving a person.
PERSON = frozenset({"utter_offer_human", "utter_offer_human_again", "utter_angry_ack", "utter_handoff_created",
                    "utter_handoff_offhours", "utter_handoff_no_agent", "utter_handoff_queued",
                    "utter_ticket_already_human", "utter_contact", "utter_contact_online", "utter_no_ticket"})
PAY_AGAIN_YES = "utter_pay_again_safe"
UNCLEAR_OFFER_WITHIN = 3


@dataclass
class Turn:
    text: str  # what the customer wrote
    kind: Kind  # how the engine read it
    responses: list[str]  # what the assistant said, by response name
    texts: list[str]  # and as the customer saw it
    case: dict[str, Any] = field(default_factory=dict)  # the state after the turn (Case.as_slot())
    orders_given: tuple[str, ...] = ()  # valid order numbers in the message
    agent: bool = False  # a person held the conversation (the assistant stays silent by design)
    new_session: bool = False  # the first message after the session expired (the customer came back later)
    skipped: list[str] = field(default_factory=list)  # responses the engine could not say (a missing value)


def violations(turns: list[Turn], product_names: dict[str, str] | None = None) -> list[str]:
    """Every broken rule, as "turn N: what". `product_names`: order number -> the product name only its verified
    owner may see (no order fact before ownership)."""
    found: list[str] = []
    said: Counter[str] = Counter()
    before: dict[str, Any] = {}  # the state before the turn
    queued_ever: set[str] = set()
    proven: set[str] = set()
    owners: dict[str, set[str]] = {}
    for order, name in (product_names or {}).items():
        owners.setdefault(name, set()).add(order)
    unclear_run = 0
    previous_responses: list[str] = []
    for n, turn in enumerate(turns, 1):
        case = turn.case or {}
        if turn.agent:  # a person holds the conversation: the assistant is silent by design
            before = case or before
            continue
        if turn.new_session:  # hours later: the earlier session's sentences no longer count
            said.clear()
        responses = set(turn.responses)
        if not turn.responses:
            found.append(f"turn {n}: no answer to {turn.text!r}")
        for skipped in turn.skipped:
            found.append(f"turn {n}: {skipped}")
        for text in turn.texts:
            if "{" in text and "}" in text:
                found.append(f"turn {n}: an unfilled placeholder: {text}")
        for text in turn.texts:
            said[text] += 1
            if said[text] == 3:
                found.append(f"turn {n}: the same sentence a third time: {text}")
        asked_anything_else = bool(set(previous_responses) & {"utter_anything_else", "utter_anything_else_again"})
        if turn.kind in NEGATIVE and responses & CLOSINGS and not (
                turn.kind is Kind.DENY and asked_anything_else and not before.get("open")):
            found.append(f"turn {n}: {turn.responses} right after {turn.text!r}")
        if (before.get("ticket_no") or before.get("phase") == "ticket") and not responses & TICKET_AWARE:
            found.append(f"turn {n}: a ticket is open but the reply {turn.responses} does not say so")
        if PAY_AGAIN_YES in responses and (case.get("facts") or {}).get("debited"):
            found.append(f"turn {n}: told it is safe to pay again although the money was taken")
        # An order number given is kept until another one the customer gave replaces it.
        queued_ever |= {q.get("order") for q in case.get("queued") or []}
        now, previous = case.get("order_no"), before.get("order_no")
        if previous and now is None:
            found.append(f"turn {n}: the order {previous} was forgotten")
        if now and now != previous and now not in turn.orders_given and now not in queued_ever and previous \
                and "utter_ticket_welcome_back" not in responses:
            found.append(f"turn {n}: the order changed to {now}, which the customer did not give")
        for order in turn.orders_given:
            if order != now and order not in queued_ever and order not in (case.get("proven") or {}):
                found.append(f"turn {n}: the order number {order} in {turn.text!r} was dropped")
        # No order fact before ownership.
        if case.get("verified") and now:
            proven.add(now)
        proven |= set(case.get("proven") or {})
        for name, orders in owners.items():
            if not orders & proven and any(name in text for text in turn.texts):
                found.append(f"turn {n}: {name} ({', '.join(sorted(orders))}) shown before an order of it was proven")
        # A person offered within three unclear messages in a row.
        unclear_run = unclear_run + 1 if turn.kind is Kind.UNCLEAR else 0
        if unclear_run and responses & PERSON:
            unclear_run = -10**6  # offered: the count starts again only after a clear message
        if unclear_run >= UNCLEAR_OFFER_WITHIN and not (before.get("ticket_no") or case.get("ticket_no")):
            found.append(f"turn {n}: {unclear_run} unclear messages in a row and no person offered")
        before, previous_responses = case, turn.responses
    return found


def transcript(turns: list[Turn]) -> str:
    """The conversation as the customer saw it, for a failure message."""
    lines = []
    for n, turn in enumerate(turns, 1):
        lines.append(f"{n:>3} 客户: {turn.text}   [{turn.kind.value}]")
        for response, text in zip(turn.responses, turn.texts, strict=False):
            lines.append(f"    小卡: {text}   ({response})")
        lines.append(f"        -> {turn.case.get('phase')} order={turn.case.get('order_no')} "
                     f"verified={turn.case.get('verified')} ticket={turn.case.get('ticket_no')}")
    return "\n".join(lines)

"""The conversation corpus (tests/e2e/corpus/*.yml) over the REST channel against the running assistant.

Each file is one family: the eight ways real conversations went wrong (issue 12) and the happy paths. Each
conversation is sent message by message as a customer types it; then the tracker (what Rasa recorded: the NLU's
reading, the responses said, the state after every turn) and the tickets in the database are checked against what
the conversation expects, and every turn against the rules every conversation keeps (tests/dialogue/invariants.py).

A conversation in YAML:

    - id: still-not-there-recent           # unique across the corpus
      about: 刚付款的Q币订单，客户连说三次还没到
      turns:
        - 充的Q币还没到                       # just say it
        - say: KM20261128000107 尾号2233
          has: [utter_diagnosis_processing_recent]   # these responses are among the reply
        - say: 还是没到
          lacks: ["@closing"]                 # none of these
          says: [utter_still_waiting, "@offer"]      # exactly these, in order
          text: [今天]                        # the reply's text holds these
          no_text: [再付]                     # and not these
        - do: agent_online                    # something that happens meanwhile (see DIRECTIVES): an agent
                                              # online / claims / resolves the ticket, a new session (the
                                              # customer back after it expired), NAT neighbours mistyping,
                                              # someone guessing at an order
      expect:
        ticket: {order: KM20261128000107, verified: true, priority: normal,
                 steps: [refresh_relogin:not_helped], reason: customer_request, notes: [到账了]}
        tickets: 1                           # or `ticket: none`
        phase: ticket
        order: KM20261128000107

Aliases ("@name") stand for groups of responses (ALIASES).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from sqlalchemy import delete, select

from ops.launcher.stack import Stack
from tests.dialogue.invariants import Turn, transcript, violations
from tests.isolation import close_open_cases
from topup.db.engine import unit_of_work
from topup.db.schema import SecurityEventRow, TicketMessageRow, TicketRow
from topup.dialogue.engine import TICKET_AWARE
from topup.dialogue.understand import read_message
from topup.sources.formats import FORMATS, OrderFormat

CORPUS = Path(__file__).resolve().parent / "corpus"
DEMO = Path(__file__).resolve().parents[2] / "demo" / "orders.yml"
FAMILIES = ("1_closed_while_open", "2_dropped_or_misread", "3_after_handoff", "4_follow_up_questions",
            "5_question_as_claim", "6_complain_or_call", "7_loops", "8_lock_outs", "9_happy_paths")
ALIASES = {
    "@handoff": {"utter_handoff_created", "utter_handoff_no_agent", "utter_handoff_offhours"},
    "@closing": {"utter_goodbye", "utter_goodbye_again", "utter_resolved", "utter_glad", "utter_glad_again"},
    "@offer": {"utter_offer_human", "utter_offer_human_again"},
    "@status": {"utter_ticket_status_waiting", "utter_ticket_status_waiting_again", "utter_ticket_status_taken",
                "utter_ticket_status_taken_again", "utter_ticket_status_unknown", "utter_ticket_status_unknown_again"},
    "@ticket": set(TICKET_AWARE),
    "@trying": {"utter_trying_ack", "utter_trying_ack_again"},
    "@ask_tail": {"utter_ask_phone_last4", "utter_ask_phone_last4_again", "utter_ask_phone_last4_for"},
    "@ask_order": {"utter_ask_order_id", "utter_ask_order_id_again", "utter_ask_order_id_have_tail",
                   "utter_ask_order_id_short"},
    "@refund_when": {"utter_eta_refund", "utter_refund_started"},  # when the refund arrives, either way asked
}
PRODUCTS = {o["order_no"]: o["product_name"] for o in yaml.safe_load(DEMO.read_text(encoding="utf-8"))["orders"]}


@dataclass(frozen=True)
class Conversation:
    family: str
    id: str
    about: str
    turns: list[Any]
    expect: dict[str, Any]


def load_file(path: Path) -> list[Conversation]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [Conversation(data["family"], item["id"], item.get("about", ""), item["turns"], item.get("expect") or {})
            for item in data["conversations"]]


def load() -> list[Conversation]:
    found = []
    for path in sorted(CORPUS.glob("*.yml")):
        conversations = load_file(path)
        assert all(c.family == path.stem and c.family in FAMILIES for c in conversations), path
        found += conversations
    return found


CONVERSATIONS = load()


def test_the_corpus_is_large_and_covers_every_family() -> None:
    """At least 150 multi-turn conversations, ten or more in every family (single messages come on top)."""
    multi = [c for c in CONVERSATIONS if sum(1 for t in c.turns if isinstance(t, str) or "say" in t) >= 2]
    counts = {family: sum(1 for c in multi if c.family == family) for family in FAMILIES}
    assert len(multi) >= 150, counts
    assert all(n >= 10 for n in counts.values()), counts
    ids = [c.id for c in CONVERSATIONS]
    assert len(ids) == len(set(ids)), "conversation ids are unique"


def _names(items: list[str]) -> set[str]:
    names: set[str] = set()
    for item in items:
        names |= ALIASES[item] if item.startswith("@") else {item}
    return names


def _matches(expected: list[str], actual: list[str]) -> bool:
    return len(expected) == len(actual) and all(
        a in ALIASES[e] if e.startswith("@") else a == e for e, a in zip(expected, actual, strict=True))


# --- things that happen meanwhile ---------------------------------------------------------------------------


def _ticket_no(stack: Stack, sender: str) -> str:
    with unit_of_work(stack.app.engine) as session:
        row = session.execute(select(TicketRow).where(TicketRow.conversation_id == sender)
                              .order_by(TicketRow.id.desc())).scalars().first()
    assert row is not None, f"{sender}: no ticket to act on"
    return row.ticket_no


def _new_session(stack: Stack, sender: str) -> None:
    """The customer comes back after the session expired: Rasa starts a new session, carrying the slots over
    (domain.yml session_config), as action_session_start does."""
    slots = stack.tracker(sender)["slots"]
    events = [{"event": "session_started"}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in slots.items() if value is not None]
    events.append({"event": "action", "name": "action_listen"})
    response = requests.post(f"{stack.rasa_url}/conversations/{sender}/tracker/events", json=events,
                             params={"token": stack.rasa_token}, timeout=30)
    response.raise_for_status()


def _neighbours_mistype(stack: Stack, sender: str, count: int = 20) -> None:
    """Other customers behind the same address (a carrier NAT) each mistype their own order's tail once."""
    for n in range(count):
        stack.say(f"{sender}-neighbour-{n}", f"KM20261127{950000 + n:06d} 0000")


def _guessed(stack: Stack, sender: str, order: str = "KM20261127004215") -> None:
    """Someone else guessed at `order` five times, from five other conversations."""
    for n in range(5):
        stack.say(f"{sender}-guesser-{n}", f"{order} {9000 + n}")


DIRECTIVES = {
    "neighbours_mistype": _neighbours_mistype,
    "guessed_4215": lambda stack, sender: _guessed(stack, sender, "KM20261127004215"),
    "guessed_0107": lambda stack, sender: _guessed(stack, sender, "KM20261128000107"),
    "agent_online": lambda stack, sender: stack.app.console.touch_presence("xiaowang"),
    "agent_claims": lambda stack, sender: stack.app.console.claim(_ticket_no(stack, sender), "xiaowang"),
    "agent_resolves": lambda stack, sender: stack.app.console.resolve(_ticket_no(stack, sender), "xiaowang",
                                                                      "已核实处理"),
    "new_session": _new_session,
}


# --- running one conversation ---------------------------------------------------------------------------------


def _turns(tracker: dict, order_format: OrderFormat = FORMATS["km"]) -> list[Turn]:
    """Every customer message of the tracker with what the assistant said after it and the state then (its order
    numbers read in the stack's platform's format)."""
    turns: list[Turn] = []
    case: dict[str, Any] = {}
    new_session = False
    for event in tracker["events"]:
        kind = event.get("event")
        if kind == "user":
            parse = event.get("parse_data") or {}
            message = read_message(parse.get("text") or event.get("text") or "", (parse.get("intent") or {})
                                   .get("name"), parse.get("entities") or [], event.get("text") or "",
                                   order_format=order_format)
            turns.append(Turn(event.get("text") or "", message.kind, [], [], dict(case), message.facts.orders,
                              new_session=new_session and bool(turns)))
            new_session = False
        elif kind == "bot" and turns:
            turns[-1].responses.append((event.get("metadata") or {}).get("utter_action") or "")
            turns[-1].texts.append(event.get("text") or "")
        elif kind == "slot" and event.get("name") == "case":
            case = event.get("value") or {}
            if turns:
                turns[-1].case = dict(case)
        elif kind == "session_started":
            new_session = True
    return turns


@pytest.fixture(scope="module")
def stack(servers: Stack) -> Iterator[Stack]:
    servers.app.console.touch_presence("xiaowang")
    yield servers


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[f"{c.family}/{c.id}" for c in CONVERSATIONS])
def test_conversation(stack: Stack, conversation: Conversation) -> None:
    check_conversation(stack, conversation, PRODUCTS)


def check_conversation(stack: Stack, conversation: Conversation, products: dict[str, str],
                       values: dict[str, str] | None = None) -> None:
    """Send the conversation and check it (the messages' `{name}`s filled from `values`: a platform's numbers)."""
    values = values or {}
    with unit_of_work(stack.app.engine) as session:  # no earlier conversation's failed lookups count here
        session.execute(delete(SecurityEventRow))
    close_open_cases(stack.app.engine)  # nor their open cases (a verified conversation would join one)
    sender = f"corpus-{conversation.id}-{uuid.uuid4().hex[:6]}"
    checks: list[tuple[int, dict]] = []
    sent = 0
    for turn in conversation.turns:
        spec = {"say": turn} if isinstance(turn, str) else dict(turn)
        if "do" in spec:
            DIRECTIVES[spec["do"]](stack, sender)
        if "say" in spec:
            stack.say(sender, str(spec["say"]).format_map(values), metadata=spec.get("metadata"))
            sent += 1
            checks.append((sent, {**spec, "text": [str(t).format_map(values) for t in spec.get("text", [])]}))
    turns = _turns(stack.tracker(sender), stack.app.source.order_format)
    shown = transcript(turns)
    assert len(turns) == sent, shown
    expect = {k: (v.format_map(values) if isinstance(v, str) else v) for k, v in conversation.expect.items()}
    if isinstance(expect.get("ticket"), dict):
        expect["ticket"] = {k: (v.format_map(values) if isinstance(v, str) else v)
                            for k, v in expect["ticket"].items()}
    conversation = Conversation(conversation.family, conversation.id, conversation.about, conversation.turns, expect)
    problems = violations(turns, products)
    for number, spec in checks:
        turn = turns[number - 1]
        said, text = turn.responses, "\n".join(turn.texts)
        # a platform's own wording (utter_ask_order_id__dujiaoka) stands for its sentence in `has` and `lacks`
        named = set(said) | {name.split("__")[0] for name in said}
        if "says" in spec and not _matches(spec["says"], said):
            problems.append(f"turn {number}: said {said}, expected {spec['says']}")
        if "has" in spec and not all(named & _names([item]) for item in spec["has"]):
            problems.append(f"turn {number}: said {said}, expected among them {spec['has']}")
        if "lacks" in spec and named & _names(spec["lacks"]):
            problems.append(f"turn {number}: said {said}, none of {spec['lacks']} expected")
        for part in spec.get("text", []):
            if str(part) not in text:
                problems.append(f"turn {number}: {part!r} not in the reply")
        for part in spec.get("no_text", []):
            if str(part) in text:
                problems.append(f"turn {number}: {part!r} in the reply")
    problems += _outcome(stack, sender, conversation.expect, turns[-1].case if turns else {})
    assert not problems, "\n".join(problems) + "\n\n" + shown


def _outcome(stack: Stack, sender: str, expect: dict[str, Any], case: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    with unit_of_work(stack.app.engine) as session:
        rows = session.execute(select(TicketRow).where(TicketRow.conversation_id == sender)
                               .order_by(TicketRow.id)).scalars().all()
        notes = {row.ticket_no: [m.text for m in session.execute(
            select(TicketMessageRow).where(TicketMessageRow.ticket_no == row.ticket_no,
                                           TicketMessageRow.role == "customer")).scalars()] for row in rows}
        tickets = [(row, notes[row.ticket_no]) for row in rows]
    if "tickets" in expect and len(tickets) != expect["tickets"]:
        problems.append(f"{len(tickets)} tickets, expected {expect['tickets']}")
    wanted = expect.get("ticket")
    if wanted == "none" and tickets:
        problems.append(f"a ticket was made: {[(r.ticket_no, r.order_no, r.handoff_reason) for r, _ in tickets]}")
    elif isinstance(wanted, dict):
        if not tickets:
            problems.append("no ticket was made")
        else:
            row, live = tickets[-1]
            actual = {"order": row.order_no, "verified": row.verified, "priority": row.priority,
                      "reason": row.handoff_reason, "complaint": row.complaint, "status": row.status,
                      "steps": [f"{s['step']}:{s['outcome']}" for s in row.steps or []]}
            for key, value in wanted.items():
                if key == "notes":
                    missing = [part for part in value if not any(part in note for note in live)]
                    if missing:
                        problems.append(f"ticket notes {live} lack {missing}")
                elif key == "reasons":
                    if not set(value) <= set(row.priority_reasons or []):
                        problems.append(f"priority reasons {row.priority_reasons}, expected {value}")
                elif actual.get(key) != value:
                    problems.append(f"ticket {key} is {actual.get(key)!r}, expected {value!r}")
    for key, field in (("phase", "phase"), ("order", "order_no"), ("verified", "verified")):
        if key in expect and case.get(field) != expect[key]:
            problems.append(f"{field} is {case.get(field)!r} at the end, expected {expect[key]!r}")
    return problems

"""The conversation engine: what the assistant says and does for one customer message, given the conversation so far.

    turn = respond(case, message, ports)      # pure but for the ports (lookups, tickets)

Every message first gives its facts (absorb: order numbers, tail, the customer's own words about a debit), whatever
its kind; then the kind decides, in the light of the phase (docs/DIALOGUE.md has the whole table, and
tests/dialogue/test_table.py runs every cell of it). The rules the table rests on:
- nothing the customer said is lost: order numbers and tails are kept until replaced; a wrong tail keeps the order;
- a case that is open stays open: only an explicit success closes a step; ok / 好的 / 谢谢 during a step is trying;
  a negative answer after a diagnosis continues the case; leaving an open case says how to come back;
- once a ticket exists every reply knows it, and what the customer adds goes onto it;
- questions get their own answers; the same question is asked at most twice in a row, then a person is offered;
- never the same sentence three times in one conversation.
"""

from __future__ import annotations

import copy

from topup.dialogue.handlers import Handlers
from topup.dialogue.model import Case, Kind, Message, Phase, Turn
from topup.dialogue.ports import Ports
from topup.dialogue.responses import TICKET_AWARE, wording
from topup.dialogue.understand import COMPLAINT_INTENTS

__all__ = ["TICKET_AWARE", "absorb", "respond", "wording"]


def absorb(case: Case, message: Message) -> None:
    """What the message's words give, kept whatever its kind (also used by the Rasa server's apology when the
    action server cannot answer): a new order number replaces the current one (unverified); more of them wait
    their turn; a tail is kept for the order (given before it, with it, or after it)."""
    facts = message.facts
    if facts.orders:
        first = facts.orders[0]
        if first != case.order_no and facts.also and _in_progress(case):
            # "还有一单 KM…" while this order is being worked on: it comes next, this one is not dropped
            if first not in [q.get("order") for q in case.queued]:
                case.queued.append({"order": first, "tail": facts.tail})
            first = case.order_no or first
        if first != case.order_no:
            case.adding = facts.also and bool(case.ticket_no)  # besides the ticket's order: the ticket stays
            earlier_tail, had_order = case.tail, case.order_no is not None
            case.queued = [q for q in case.queued if q.get("order") != first]
            case.switch_to(first)
            # a tail given first is for it; one proven for it earlier in the conversation too
            case.tail = facts.tail or case.tail or (None if had_order else earlier_tail)
        for other in facts.orders[1:]:
            if other != case.order_no and other not in [q.get("order") for q in case.queued]:
                case.queued.append({"order": other, "tail": facts.tail})
    if facts.tail and not case.verified:
        case.tail = facts.tail
    if facts.claims_debit and message.kind is not Kind.PAY_AGAIN:
        case.claims_debit = True
    if message.intent in COMPLAINT_INTENTS and not case.complaint:
        case.complaint = _complaint(message)
    if message.kind is Kind.REFUND and not case.complaint:
        case.complaint = "refund_request"


def _in_progress(case: Case) -> bool:
    """The order being talked about is still being worked on here (not explained and closed, not handed off)."""
    return case.order_no is not None and not case.ticket_no and not case.refused and case.phase is not Phase.LOCKED \
        and (not case.verified or case.phase in (Phase.STEP, Phase.OFFERED, Phase.NEED_PROOF))


def _complaint(message: Message) -> str:
    """The complaint the message opens. "Charged and not received" and "charged twice" count as saying money was
    taken (the diagnosis reads them so) only when the words say it: the NLU's label alone is a guess, and a guess
    there raises a false high-priority ticket."""
    intent, facts = message.intent or "", message.facts
    if intent == "charged_not_received" and not facts.claims_debit:
        return "recharge_stuck"
    if intent == "duplicate_charge" and not facts.claims_twice:
        return "check_order_status"
    return intent


def respond(case: Case, message: Message, ports: Ports) -> Turn:
    """The assistant's answer to `message`: the new state and what to say (the case passed in is not changed)."""
    turn = Turn(copy.deepcopy(case))
    engine = _Engine(turn, message, ports)
    if message.kind is Kind.ORDER_CHANGED:
        engine.on_order_changed()  # the system's news, not the customer's words: nothing to absorb
    else:
        engine.run()
    return turn


class _Engine(Handlers):
    """The turn: what happens before and after the message's own handler."""

    # --- the turn -------------------------------------------------------------------------------------------

    def run(self) -> None:
        case, kind = self.case, self.kind
        if self.message.returning:
            self.welcome_back()
        if not case.resumed:
            case.resumed = True
            if case.phase is Phase.START and not case.ticket_no:
                self.find_open_ticket()
        previous, wants_person = case.order_no, "human" in case.asked
        # "Anything else?" is answered by the very next message only (a "no" two turns later is not "nothing").
        self.after_anything_else = bool(case.asked.pop("anything_else", None))
        self.closing = bool(case.asked.pop("close", None))  # "要我帮您关掉吗？" likewise
        queued_before = [q.get("order") for q in case.queued]
        absorb(case, self.message)
        self.new_order = case.order_no != previous or any(o == case.order_no for o in self.message.facts.orders)
        if kind is not Kind.UNCLEAR:
            case.unclear = 0
        if case.ticket_no:
            self.note_on_ticket()
        if len(self.message.facts.orders) > 1 and case.queued:
            self.say("utter_two_orders", next_order=case.queued[0]["order"])
        elif [q.get("order") for q in case.queued] != queued_before and case.queued:
            self.say("utter_order_queued", next_order=case.queued[-1]["order"])  # "还有一单": it comes next
        if wants_person and kind not in (Kind.ANGRY, Kind.COMPLAIN, Kind.TICKET_STATUS):
            self.hand_off("customer_request")  # asked for a person, then gave the order number (or not)
        elif previous is not None and case.order_no != previous and kind not in (Kind.HUMAN, Kind.COMPLAIN):
            self.say("utter_order_next" if case.adding else "utter_order_switched")
            self.progress()
        elif self.retry_after_error():
            self.progress()  # the order system could not be reached last time: anything new tries again
        elif self.welcomed and kind in (Kind.GREET, Kind.TICKET_STATUS, Kind.AFFIRM, Kind.THANK, Kind.TRYING):
            pass  # "我回来了 / 工单怎么样了": the welcome back said it
        else:
            getattr(self, f"on_{kind.value}")()
        if not self.turn.says:  # every message gets an answer
            self.fallback()
        if (case.ticket_no or case.phase is Phase.TICKET) and not self.said_any(TICKET_AWARE):
            self.remind_ticket()

    def welcome_back(self) -> None:
        """The customer is back after the session expired (hours later): what they gave is still here, the
        sentences of the earlier session no longer count, and the ticket is looked at again: where it stands now,
        or that it was handled meanwhile."""
        case = self.case
        case.said, case.unclear = {}, 0
        if case.ticket_no:
            state = self.ports.ticket(case.ticket_no)
            case.resumed = True
            if state is not None and state.status == "resolved":
                self.say("utter_ticket_resolved_status")
                case.phase, case.ticket_no, case.open, case.asked = Phase.DONE, None, False, {}
            else:
                self.say("utter_ticket_welcome_back")
                self.ticket_status(state, brief=True)
            self.welcomed = True
        elif case.order_no and case.phase not in (Phase.DONE, Phase.START):
            self.say("utter_welcome_back_order")
        else:
            case.resumed = False  # the open ticket of the conversation, if any, is looked for

    def retry_after_error(self) -> bool:
        case = self.case
        return (case.phase is Phase.OFFERED and case.handoff_reason == "system_error" and not case.verified
                and case.order_no is not None and case.tail is not None
                and self.kind not in (Kind.AFFIRM, Kind.DENY, Kind.HUMAN, Kind.ANGRY, Kind.COMPLAIN, Kind.CANCEL,
                                      Kind.GOODBYE, Kind.THANK))

    def find_open_ticket(self) -> None:
        """A returning customer (a new session of the same conversation) is told about the open ticket."""
        state = self.ports.open_ticket()
        if state is None:
            return
        case = self.case
        case.ticket_no, case.ticket_order, case.phase = state.ticket_no, state.order_no, Phase.TICKET
        if state.order_no and not case.order_no:
            case.order_no = state.order_no
        self.say("utter_ticket_welcome_back")
        self.ticket_status(state, brief=True)

    def note_on_ticket(self) -> None:
        """After the handoff, what the customer writes goes onto the ticket, where the agent sees it live."""
        if self.words.strip():
            self.case.notes += 1
            self.ports.note(self.case.ticket_no or "", self.words)

    def fallback(self) -> None:
        """Nothing else fits (every sentence that would have said it was said twice already)."""
        case = self.case
        if case.ticket_no or case.phase is Phase.TICKET:
            self.ticket_status()
        elif not self.say("utter_how_can_help"):
            self.offer_human("not_understood")
        if not self.turn.says:
            self.hand_off("not_understood")

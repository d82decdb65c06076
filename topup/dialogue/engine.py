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
import logging

from topup.dialogue.model import Case, Kind, Message, Phase, Say, Turn
from topup.dialogue.ports import Ports, TicketState, Verification
from topup.dialogue.responses import sentence_key, variables
from topup.dialogue.understand import COMPLAINT_INTENTS

logger = logging.getLogger(__name__)
MAX_SAID = 2  # no sentence three times in one conversation
ASK_LIMIT = 2  # the same question at most twice in a row; then a person is offered
UNCLEAR_OFFER = 3  # the third unclear message in a row offers a person
UNCLEAR_HANDOFF = 5  # the fifth hands the conversation to a person
FRUSTRATION_OFFER = 2  # the second frustrated message offers a person

# Other wordings of a response, tried in order once its sentence has been said twice already.
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "utter_you_are_welcome": ("utter_you_are_welcome_again",),
    "utter_anything_else": ("utter_anything_else_again",),
    "utter_how_can_help": ("utter_how_can_help_again", "utter_how_can_help_short"),
    "utter_trying_ack": ("utter_trying_ack_again", "utter_trying_ack_short"),
    "utter_empathy": ("utter_empathy_again", "utter_empathy_short"),
    "utter_empathy_ticket": ("utter_empathy_ticket_again",),
    "utter_ticket_status_waiting": ("utter_ticket_status_waiting_again",),
    "utter_ticket_status_taken": ("utter_ticket_status_taken_again",),
    "utter_ticket_status_unknown": ("utter_ticket_status_unknown_again",),
    "utter_ticket_reminder": ("utter_ticket_reminder_again",),
    "utter_iamabot": ("utter_iamabot_again",),
    "utter_out_of_scope": ("utter_out_of_scope_again",),
    "utter_greet_again": ("utter_greet_short",),
    "utter_case_stays_open": ("utter_case_stays_open_again",),
    "utter_come_back_open": ("utter_case_stays_open_again",),
    "utter_offer_human": ("utter_offer_human_again", "utter_offer_human_last"),
    "utter_glad": ("utter_glad_again",),
    "utter_goodbye": ("utter_goodbye_again",),
    "utter_goodbye_ticket": ("utter_goodbye_ticket_again",),
    "utter_prevention": ("utter_prevention_again",),
    "utter_rating_not_asked": ("utter_you_are_welcome_again",),
    "utter_verify_locked_still": ("utter_verify_locked_still_again",),
    "utter_contact": ("utter_contact_again",),
    "utter_contact_online": ("utter_contact_again",),
    "utter_why_tail": ("utter_why_tail_again",),
    "utter_ask_order_for_human": ("utter_ask_order_for_human_again",),
    "utter_ask_phone_last4": ("utter_ask_phone_last4_again", "utter_ask_phone_last4_for"),
    "utter_ask_phone_last4_again": ("utter_ask_phone_last4_for",),
    "utter_ask_order_id": ("utter_ask_order_id_again", "utter_ask_order_id_short"),
    "utter_ask_order_id_again": ("utter_ask_order_id_short",),
    "utter_rephrase": ("utter_rephrase_help", "utter_rephrase_short"),
    "utter_rephrase_help": ("utter_rephrase_short",),
    "utter_phone_last4_invalid": ("utter_phone_last4_invalid_again",),
    "utter_greet": ("utter_greet_again", "utter_greet_short"),
    "utter_eta_need_order": ("utter_eta_need_order_again",),
    "utter_refund_need_order": ("utter_refund_need_order_again",),
    "utter_wait_ack": ("utter_come_back_open",),
}
# Responses that tell the customer about their ticket: once a ticket exists every reply has one of them.
TICKET_AWARE = frozenset({
    "utter_greet_ticket", "utter_goodbye_ticket", "utter_goodbye_ticket_again", "utter_you_are_welcome_ticket",
    "utter_iamabot_ticket", "utter_empathy_ticket", "utter_empathy_ticket_again", "utter_forgot_tail_ticket",
    "utter_handoff_created", "utter_handoff_offhours", "utter_handoff_no_agent", "utter_handoff_queued",
    "utter_ticket_status_waiting", "utter_ticket_status_waiting_again", "utter_ticket_status_taken",
    "utter_ticket_status_taken_again", "utter_ticket_status_unknown", "utter_ticket_status_unknown_again",
    "utter_ticket_queued_status", "utter_ticket_noted", "utter_ticket_follows", "utter_ticket_already_human",
    "utter_ticket_arrived_offer_close", "utter_ticket_closed", "utter_ticket_kept", "utter_ticket_welcome_back",
    "utter_ticket_reminder", "utter_ticket_reminder_again", "utter_ticket_resolved_status",
    "utter_case_kept_with_ticket", "utter_complaint_noted", "utter_ticket_updated", "utter_ticket_noted_count",
    "utter_angry_ticket", "utter_refund_ticket",
})
# What the customer hears when they ask about the arrival / a refund, by diagnosis.
ETA_ANSWER = {
    "processing_recent": "utter_eta_recent", "processing_notice": "utter_eta_notice",
    "processing_overdue": "utter_eta_overdue", "delivered": "utter_eta_delivered",
    "failed_refunding": "utter_eta_refund", "refunded": "utter_eta_refunded",
    "unpaid": "utter_eta_unpaid", "payment_failed": "utter_eta_unpaid",
}
REFUND_ANSWER = {
    "processing_recent": "utter_refund_processing", "processing_notice": "utter_refund_processing",
    "processing_overdue": "utter_refund_processing", "delivered": "utter_refund_delivered",
    "failed_refunding": "utter_refund_started", "refunded": "utter_refund_done",
    "unpaid": "utter_refund_nothing_taken", "payment_failed": "utter_refund_nothing_taken",
}
# After these answers a person is the way forward: the offer follows.
_OFFER_AFTER = frozenset({"utter_eta_overdue", "utter_eta_person", "utter_refund_processing",
                          "utter_refund_delivered", "utter_refund_person"})


def wording(case: Case, response: str, values: dict[str, object] | None = None) -> str | None:
    """The response to say for `response` under the no-three-times rule: itself, or the first of its other
    wordings whose sentence has not been said twice yet; None when all have. Counted as said."""
    values = values or {}
    for candidate in (response, *ALTERNATIVES.get(response, ())):
        key = sentence_key(candidate, values)
        if case.said.get(key, 0) < MAX_SAID:
            case.said[key] = case.said.get(key, 0) + 1
            return candidate
    return None


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
            _set_order(case, first)
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


def _set_order(case: Case, order_no: str) -> None:
    """Talk about `order_no` from now on: unverified, nothing known about it yet (an order proven earlier in the
    conversation keeps its tail, so it is looked up again without asking)."""
    case.order_no, case.verified, case.tail = order_no, False, case.proven.get(order_no) or None
    case.facts, case.diagnosis, case.plan, case.steps = {}, None, [], []
    case.open = case.escalate = False
    case.asked = {}


def respond(case: Case, message: Message, ports: Ports) -> Turn:
    """The assistant's answer to `message`: the new state and what to say (the case passed in is not changed)."""
    turn = Turn(copy.deepcopy(case))
    _Engine(turn, message, ports).run()
    return turn


class _Engine:
    def __init__(self, turn: Turn, message: Message, ports: Ports) -> None:
        self.turn, self.message, self.ports = turn, message, ports
        self.case = turn.case
        self.kind = message.kind
        self.after_anything_else = False
        self.welcomed = False

    @property
    def has_ticket(self) -> bool:
        """A ticket exists (or is queued on disk), whatever is being asked now (another order's tail...)."""
        return bool(self.case.ticket_no) or self.case.phase is Phase.TICKET

    @property
    def words(self) -> str:
        """The customer's own words, for the ticket."""
        return self.message.original or self.message.text

    def answer(self, response: str, **values: object) -> bool:
        """A question's answer; asked once too often (its every wording said twice), a person is offered instead."""
        if self.say(response, **values):
            return True
        self.offer_human("customer_request")
        return False

    def say(self, response: str, **values: object) -> bool:
        merged = {**self.case.facts, "ticket_no": self.case.ticket_no or "", "order_id": self.case.order_no or "",
                  **values}
        missing = variables(response) - {k for k, v in merged.items() if v not in (None, "")}
        if missing:  # the customer would see "{order_payment}": said nothing instead, and logged
            logger.error("response %s without %s (phase %s)", response, sorted(missing), self.case.phase.value)
            self.turn.skipped.append(f"{response} needs {sorted(missing)}")
            return False
        chosen = wording(self.case, response, merged)
        if chosen is None:
            return False
        self.turn.says.append(Say(chosen, merged))
        return True

    def said_any(self, responses: frozenset[str]) -> bool:
        return any(s.response in responses for s in self.turn.says)

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

    def remind_ticket(self) -> None:
        if not self.say("utter_ticket_reminder"):
            self.say("utter_ticket_noted_count", count=self.case.notes)  # the count makes it a new sentence

    # --- moving the case forward ----------------------------------------------------------------------------

    def progress(self) -> None:
        """Whatever is needed next: the order number, its proof, or (proven) the case goes on."""
        case = self.case
        if case.phase is Phase.LOCKED:
            self.locked()
            return
        if not case.order_no and self.message.facts.malformed:
            self.ask_order(malformed=True)
            return
        if not case.order_no:
            signed = self.ports.signed_order()
            if signed:
                case.order_no = case.phone_tried = signed
                self.verify(signed_in=True)
            else:
                self.ask_order()
            return
        if not case.verified:
            if case.tail:
                self.verify()
            elif self.ports.signed_in and case.phone_tried != case.order_no:
                case.phone_tried = case.order_no  # a shop's signed-in customer: their phone stands in, once
                self.verify(signed_in=True)
            else:
                self.ask_proof()
            return
        self.go_on()

    def ask_order(self, malformed: bool = False) -> None:
        case = self.case
        times, bad = case.asked.get("order", 0), case.asked.get("malformed", 0)
        case.asked = {"order": times + 1, "malformed": bad + int(malformed)}
        if case.phase is not Phase.TICKET:
            case.phase = Phase.NEED_ORDER
        if times >= ASK_LIMIT:
            self.say("utter_order_id_help_offer")
            self.offer_human("customer_request")
            return
        if malformed:  # its own wording: the first wrong number is not "still" wrong
            self.say("utter_order_id_malformed" if bad == 0 else "utter_order_id_malformed_again")
        elif self.message.facts.tail and self.say("utter_ask_order_id_have_tail"):
            return  # the tail came first: kept for the order number
        else:
            self.say("utter_ask_order_id" if times == 0 else "utter_ask_order_id_again")

    def ask_proof(self) -> None:
        case = self.case
        times = case.asked.get("proof", 0)
        case.asked = {"proof": times + 1}
        case.phase = Phase.NEED_PROOF
        if times >= ASK_LIMIT:
            self.say("utter_phone_last4_help_offer")
            self.offer_human("verification_failed")
            return
        self.say("utter_ask_phone_last4" if times == 0 else "utter_ask_phone_last4_again")

    def verify(self, signed_in: bool = False) -> None:
        case = self.case
        assert case.order_no is not None
        result = self.ports.verify(case.order_no, case.tail or "", case.complaint, case.claims_debit)
        if result.status == "verified":
            self.explain(result)
        elif result.status == "error":  # the order and tail are kept: the next message may try again
            self.say("utter_lookup_error")
            self.offer_human("system_error")
        elif result.status in ("client_locked", "order_locked"):
            case.tail, case.refused = None, result.status
            self.say("utter_verify_cooldown" if result.status == "client_locked" else "utter_order_locked")
            self.offer_human("verification_failed")
        else:
            self.not_verified(signed_in)

    def not_verified(self, signed_in: bool) -> None:
        case = self.case
        case.attempts += 1
        case.tail = None
        if case.attempts >= self.ports.max_attempts:
            self.say("utter_verify_locked")
            self.offer_human("verification_failed")
            case.phase = Phase.LOCKED
        elif signed_in:  # the shop's customer does not own this order: ask as for anyone
            self.ask_proof()
        else:
            case.asked, case.phase = {"proof": 1}, Phase.NEED_PROOF
            self.say("utter_not_verified_keep_order")

    def locked(self) -> None:
        self.say("utter_verify_locked_still")
        self.offer_human("verification_failed")

    def explain(self, result: Verification) -> None:
        """The order is proven theirs: say what is going on, then the next step, a person, or nothing to do."""
        case = self.case
        case.verified, case.facts, case.diagnosis, case.refused = True, dict(result.facts), result.diagnosis, None
        case.facts["debited"] = result.debited
        case.proven[case.order_no or ""] = case.tail or ""
        case.plan, case.steps = list(result.steps), []
        case.open, case.escalate, case.asked = result.open, result.escalate, {}
        self.say(f"utter_diagnosis_{result.diagnosis}")
        if case.ticket_no and not case.adding:  # the ticket gets the proven order (a switch, or now verified)
            moved = case.ticket_order != case.order_no
            self.ports.move_ticket(case.ticket_no, case.order_no or "", True)
            self.ports.hand_off(case, case.handoff_reason or "customer_request")  # its priority for this order
            case.ticket_order = case.order_no
            self.say("utter_ticket_follows" if moved else "utter_ticket_updated")
            case.phase = Phase.TICKET
            self.next_order()
            return
        if case.plan:
            self.offer_step()
        elif case.escalate:
            self.hand_off("diagnosis:" + (result.diagnosis or ""))
            self.next_order()  # a second order given: it comes next, the ticket goes on
        else:
            self.informed()

    def informed(self) -> None:
        """Explained, nothing to do now: the next order, or (a closed case) anything else?"""
        case = self.case
        case.phase = Phase.INFORMED
        if case.queued:
            self.next_order()
        elif not case.open:
            case.asked = {"anything_else": 1}
            self.say("utter_anything_else")

    def next_order(self) -> bool:
        """The next order the customer gave: its proof (or, with the tail already given, its explanation)."""
        case = self.case
        if not case.queued:
            return False
        following = case.queued.pop(0)
        ticket = case.ticket_no
        _set_order(case, following["order"])
        case.tail = following.get("tail") or case.tail
        # another order: the complaint and the "money was taken" said about the first one are not about it
        case.complaint, case.claims_debit, case.adding = "check_order_status", False, bool(ticket)
        self.say("utter_next_order")
        if case.tail:
            self.verify()
        else:
            self.ask_proof()
        if ticket and case.phase is not Phase.TICKET and not self.said_any(TICKET_AWARE):
            self.remind_ticket()
        return True

    def go_on(self) -> None:
        """The order is known and proven and the customer still has the problem: continue, never start over."""
        case = self.case
        if case.phase is Phase.STEP:
            self.step_outcome(helped=False)
        elif case.phase is Phase.TICKET:
            self.ticket_status()
        else:
            self.continue_case()

    def continue_case(self) -> None:
        """A negative or still-not-arrived answer after the diagnosis: the next step, or a person."""
        case = self.case
        if case.plan:
            self.offer_step()
        elif case.diagnosis in ("unpaid", "payment_failed") and case.claims_debit and case.tail:
            self.verify()  # "but the money was taken": the record is read again with that claim
        elif case.diagnosis in ("processing_recent", "processing_notice"):
            self.say("utter_still_waiting")  # within the normal time: until when, and a person if they want
            self.offer_human("customer_request")
        elif case.diagnosis in ("unpaid", "payment_failed", "refunded", "failed_refunding") and not case.steps:
            self.say("utter_still_not_resolved")
            self.offer_human("customer_request")
        else:
            self.hand_off("selfhelp_exhausted" if case.steps else "customer_request")

    # --- self-help steps ------------------------------------------------------------------------------------

    def offer_step(self) -> None:
        case = self.case
        step = case.plan.pop(0)
        case.steps.append({"step": step, "outcome": "pending"})
        case.phase, case.asked = Phase.STEP, {"step": 1}
        self.say(f"utter_step_{step}")

    def current_step(self) -> str | None:
        pending = [s for s in self.case.steps if s.get("outcome") == "pending"]
        return pending[-1]["step"] if pending else None

    def step_outcome(self, helped: bool) -> None:
        case = self.case
        for entry in reversed(case.steps):
            if entry.get("outcome") == "pending":
                entry["outcome"] = "helped" if helped else "not_helped"
                break
        if helped:
            self.resolved()
        elif case.plan:
            self.say("utter_step_next")
            self.offer_step()
        else:
            self.hand_off("selfhelp_exhausted")
            self.next_order()

    def resolved(self) -> None:
        case = self.case
        case.open, case.plan, case.escalate, case.asked = False, [], False, {}
        case.phase = Phase.DONE
        self.say("utter_resolved")
        self.next_order()

    # --- people ---------------------------------------------------------------------------------------------

    def offer_human(self, reason: str) -> None:
        case = self.case
        if case.ticket_no:
            self.ticket_status(brief=True)
            return
        case.handoff_reason = reason
        if case.phase is not Phase.LOCKED:
            case.phase = Phase.OFFERED
        case.asked = {"offer": case.asked.get("offer", 0) + 1}
        if not self.say("utter_offer_human"):
            self.hand_off(reason)  # offered twice already and still here: a person takes it from now

    def hand_off(self, reason: str, leaving: bool = False) -> None:
        """A ticket with everything collected, and its number. `leaving`: the customer is going, so they hear that
        the case is kept and where the answer will be, not "please stay on this page"."""
        case = self.case
        if case.ticket_no and (case.ticket_order == case.order_no or not case.order_no):
            self.say("utter_ticket_already_human")
            self.ticket_status(brief=True)
            return
        outcome = self.ports.hand_off(case, reason)  # another order than the ticket's: a ticket of its own
        case.asked = {}
        if outcome.status in ("created", "offhours", "no_agent"):
            case.ticket_no, case.ticket_order, case.phase = outcome.ticket_no, case.order_no, Phase.TICKET
            case.adding = False
            case.handoff_reason = reason
            self.say("utter_case_kept_with_ticket" if leaving else f"utter_handoff_{outcome.status}",
                     **outcome.values)
        elif outcome.status == "queued":
            case.phase, case.handoff_reason = Phase.TICKET, reason
            self.say("utter_handoff_queued")
        else:
            case.phase = Phase.OFFERED
            self.say("utter_handoff_failed")

    def refresh_ticket(self, reason: str) -> None:
        """The ticket learns something that changes its priority (a complaint, anger): handed off again, which
        updates the same ticket."""
        self.ports.hand_off(self.case, reason)

    def ticket_status(self, state: TicketState | None = None, brief: bool = False) -> None:
        case = self.case
        if not case.ticket_no:  # queued on disk: has it been delivered since?
            state = state or self.ports.open_ticket()
            if state is None:
                self.say("utter_ticket_queued_status")
                return
            case.ticket_no, case.ticket_order = state.ticket_no, state.order_no
        state = state or self.ports.ticket(case.ticket_no)
        if state is None:
            self.say("utter_ticket_status_unknown")
        elif state.status == "resolved":
            self.say("utter_ticket_resolved_status")
            case.phase, case.ticket_no, case.open, case.asked = Phase.DONE, None, False, {}
        elif state.status == "in_progress" and state.agent_name:
            self.say("utter_ticket_status_taken", agent_name=state.agent_name)
        else:
            self.say("utter_ticket_status_waiting", waited=str(state.waited_minutes))
        if not brief and case.ticket_no and case.facts.get("debited"):
            self.say("utter_ticket_meanwhile")

    def ticket_noted(self) -> None:
        if self.case.ticket_no and not self.say("utter_ticket_noted"):
            self.say("utter_ticket_noted_count", count=self.case.notes)
        self.ticket_status(brief=True)

    # --- after a side answer --------------------------------------------------------------------------------

    def resume(self) -> None:
        """Ask again what is pending (each question at most twice in a row), else nothing more. A side question
        that also gave an order number or a tail goes on with them instead."""
        case = self.case
        phase = case.phase
        facts = self.message.facts
        if (facts.orders or facts.tail) and not case.verified and phase is not Phase.LOCKED and not case.refused:
            self.progress()
        elif phase is Phase.NEED_ORDER:
            self.ask_order()
        elif phase is Phase.NEED_PROOF:
            self.ask_proof()
        elif phase is Phase.STEP:
            step = self.current_step()
            times = case.asked.get("step", 0)
            case.asked = {"step": times + 1}
            if step and times < ASK_LIMIT:
                self.say(f"utter_step_{step}")
            elif not self.say("utter_step_waiting"):
                self.say("utter_step_help_offer")
                self.offer_human("customer_request")
        elif phase in (Phase.OFFERED, Phase.LOCKED):
            self.offer_human(case.handoff_reason or "customer_request")
        elif phase is Phase.TICKET:
            self.ticket_status(brief=True)

    # --- what each kind of message does -----------------------------------------------------------------------

    def on_greet(self) -> None:
        case = self.case
        if self.has_ticket:
            if not self.turn.says:
                self.say("utter_greet_ticket")
                self.ticket_status(brief=True)
        elif case.phase in (Phase.START, Phase.DONE) and self.say("utter_greet"):
            return
        else:
            self.say("utter_greet_again")
            self.resume()

    def on_goodbye(self) -> None:
        case = self.case
        if self.has_ticket:
            self.say("utter_goodbye_ticket")
        elif case.open or (case.claims_debit and case.phase in (Phase.NEED_PROOF, Phase.STEP)):
            self.leave_open_case()
        else:
            self.say("utter_goodbye")
            case.phase, case.asked = Phase.DONE, {}

    def leave_open_case(self) -> None:
        """The customer leaves while their problem is open: the case stays open (with a ticket when a person is
        needed: money taken and a step failed, or overdue), and they are told how to come back."""
        case = self.case
        needs_person = case.verified and (case.escalate or any(s.get("outcome") == "not_helped"
                                                                 for s in case.steps))
        if needs_person and case.facts.get("debited"):
            self.hand_off("customer_left_open_case", leaving=True)
        else:
            waiting = case.diagnosis in ("processing_recent", "processing_notice")
            self.say("utter_case_stays_open_wait" if waiting else "utter_case_stays_open")
            case.phase = Phase.INFORMED if case.verified else case.phase
        case.asked = {}

    def on_cancel(self) -> None:
        case = self.case
        if self.has_ticket:
            self.say("utter_ticket_kept")
        elif case.phase is Phase.OFFERED and not (case.open or case.claims_debit):
            self.declined_offer()  # "算了" to the offer of a person: no person, the case as it was
        elif case.open or case.claims_debit:
            self.leave_open_case()
        else:
            self.say("utter_goodbye")
            case.phase, case.asked = Phase.DONE, {}

    def on_thank(self) -> None:
        case = self.case
        if case.phase is Phase.STEP:  # thanks for the step: trying it, not solved
            self.say("utter_trying_ack")
        elif self.has_ticket:
            self.say("utter_you_are_welcome_ticket")
        elif case.open:
            self.say("utter_you_are_welcome")
            self.say("utter_come_back_open")
        elif case.queued and case.phase in (Phase.INFORMED, Phase.DONE):
            self.next_order()
        else:
            self.say("utter_you_are_welcome")
            self.resume()

    def on_affirm(self) -> None:
        case = self.case
        if case.phase is Phase.TICKET and self.closing:
            self.ports.close_ticket(case.ticket_no or "")
            self.say("utter_ticket_closed")
            case.phase, case.open, case.ticket_no, case.asked = Phase.DONE, False, None, {}
            self.next_order()
        elif case.phase is Phase.STEP:
            self.say("utter_trying_ack")
        elif case.phase in (Phase.OFFERED, Phase.LOCKED):
            self.hand_off(case.handoff_reason or "customer_request")
        elif case.phase is Phase.TICKET:
            self.ticket_status(brief=True)
        elif case.phase in (Phase.NEED_ORDER, Phase.NEED_PROOF):
            self.resume()
        elif self.after_anything_else:
            self.say("utter_how_can_help")
        elif case.open:
            self.say("utter_come_back_open")
        else:
            self.say("utter_how_can_help")

    def on_deny(self) -> None:
        case = self.case
        phase = case.phase
        if phase is Phase.STEP:
            self.step_outcome(helped=False)
        elif phase is Phase.OFFERED:
            self.declined_offer()
        elif phase is Phase.NEED_ORDER:
            self.no_order_number()
        elif phase is Phase.NEED_PROOF:
            self.say("utter_phone_tail_help")
            self.offer_human("verification_failed")
        elif phase is Phase.TICKET:
            if self.closing:
                self.say("utter_ticket_kept")
            else:
                self.ticket_noted()
        elif phase is Phase.LOCKED:
            self.locked()
        elif self.after_anything_else and not case.open:
            self.say("utter_goodbye")
            case.phase, case.asked = Phase.DONE, {}
        elif case.verified and (case.open or phase is Phase.INFORMED):
            self.continue_case()
        else:
            self.say("utter_how_can_help")

    def declined_offer(self) -> None:
        """No person, thanks: back to the step if one is out, else the case stays as it is."""
        case = self.case
        if self.current_step():
            case.phase, case.asked = Phase.STEP, {"step": 1}
            self.say("utter_back_to_step")
            self.say(f"utter_step_{self.current_step()}")
        elif case.phase is Phase.LOCKED:
            self.say("utter_verify_locked_still")
        elif case.open or (case.claims_debit and not case.verified and not case.refused):
            self.say("utter_case_stays_open")
            case.phase, case.asked = (Phase.INFORMED if case.verified else Phase.START), {}
        elif not case.verified and not case.refused:
            case.phase = Phase.START  # "不用转，你先给我查": go on collecting the order and its proof
            self.progress()
        else:
            case.phase, case.asked = (Phase.INFORMED if case.verified else Phase.START), {"anything_else": 1}
            self.say("utter_anything_else")

    def no_order_number(self) -> None:
        """"没有 / 找不到" when asked for the order number: where to find it, then a person."""
        case = self.case
        times = case.asked.get("order", 0)
        case.asked = {"order": times + 1}
        if times >= ASK_LIMIT:
            self.say("utter_order_id_help_offer")
            self.offer_human("customer_request")
        else:
            self.say("utter_where_order_id")

    def on_still(self) -> None:
        case = self.case
        phase = case.phase
        if phase is Phase.STEP or (phase is Phase.OFFERED and self.current_step()):
            self.step_outcome(helped=False)  # the step's answer, also after a person was offered meanwhile
        elif phase is Phase.TICKET:
            self.ticket_noted()
        elif phase is Phase.OFFERED and case.verified:
            self.hand_off(case.handoff_reason or "customer_request")
        elif phase is Phase.NEED_ORDER and not self.message.facts.orders:
            self.ask_order()
        elif phase is Phase.NEED_PROOF and not self.message.facts.tail:
            self.ask_proof()
        elif phase is Phase.LOCKED:
            self.locked()
        elif case.verified:
            self.continue_case()
        else:
            self.progress()

    def on_solved(self) -> None:
        case = self.case
        if case.phase is Phase.STEP:
            self.step_outcome(helped=True)
        elif case.phase is Phase.TICKET:
            if case.ticket_no:
                self.say("utter_ticket_arrived_offer_close")
                case.asked = {"close": 1}
            else:
                self.say("utter_glad")
        elif case.phase is not Phase.DONE and (case.open or case.verified):
            self.resolved()
        else:
            self.say("utter_glad")
            case.phase = Phase.DONE

    def on_trying(self) -> None:
        case = self.case
        if case.phase is Phase.NEED_ORDER:
            self.say("utter_take_your_time_order")
        elif case.phase is Phase.NEED_PROOF:
            self.say("utter_take_your_time_tail")
        elif case.phase is Phase.TICKET:
            self.ticket_status(brief=True)
        elif case.phase is Phase.LOCKED:
            self.locked()
        elif case.phase is Phase.INFORMED and case.diagnosis in ("processing_recent", "processing_notice"):
            self.say("utter_wait_ack")  # "好的 那我等等": until when
        elif case.phase is Phase.INFORMED and case.diagnosis in ("unpaid", "payment_failed"):
            self.say("utter_pay_again_go")  # "好的 我去重新付"
        elif case.phase in (Phase.STEP, Phase.OFFERED) or case.open:
            self.say("utter_trying_ack")
        else:
            self.say("utter_how_can_help")

    def on_complaint(self) -> None:
        case = self.case
        if case.phase is Phase.TICKET and not self.message.facts.orders and (case.verified or not case.order_no
                                                                             or not case.tail):
            self.ticket_noted()
        elif case.phase is Phase.OFFERED and case.verified and self.current_step():
            self.step_outcome(helped=False)
        elif case.phase is Phase.OFFERED and case.verified:
            self.hand_off(case.handoff_reason or "customer_request")
        elif case.verified and case.phase in (Phase.STEP, Phase.INFORMED, Phase.DONE):
            self.go_on()
        else:
            self.progress()

    def on_inform(self) -> None:
        case, facts = self.case, self.message.facts
        current = self.new_order  # an order number in the message that is (now) the one talked about
        if case.phase is Phase.TICKET and (case.verified or not (current or facts.tail)):
            self.ticket_noted()
        elif case.phase is Phase.STEP and not current:
            self.resume()
        elif case.verified and not current:
            self.say("utter_already_checked")  # the tail again, a detail: the order is explained already
            self.resume()
        else:
            self.progress()

    def on_refund(self) -> None:
        case = self.case
        if not case.verified:
            if case.phase is Phase.TICKET:
                self.say("utter_refund_ticket")
            else:
                self.say("utter_refund_need_order")
                self.progress()
            return
        answer = REFUND_ANSWER.get(case.diagnosis or "", "utter_refund_person")
        if not self.answer(answer):
            return
        if case.phase is Phase.TICKET:
            self.ticket_status(brief=True)
        elif answer in _OFFER_AFTER:
            self.offer_human("refund_request")
        else:
            self.resume()

    def on_human(self) -> None:
        case = self.case
        if self.has_ticket:
            self.say("utter_ticket_already_human")
            self.ticket_status(brief=True)
        elif case.order_no or case.phase is Phase.OFFERED or case.asked.get("order") or case.asked.get("human"):
            # the order number is known, or was asked for already, or a person was offered: no more questions
            self.hand_off(case.handoff_reason if case.phase in (Phase.OFFERED, Phase.LOCKED) and case.handoff_reason
                          else "customer_request")
        else:
            case.phase, case.asked = Phase.NEED_ORDER, {"human": 1}
            if not self.say("utter_ask_order_for_human"):
                self.hand_off("customer_request")

    def on_complain(self) -> None:
        case = self.case
        case.complained = True
        if case.ticket_no:
            self.say("utter_complaint_noted")
            self.refresh_ticket("complaint")
            self.ticket_status(brief=True)
        else:
            self.say("utter_complaint_ack")
            self.hand_off("complaint")

    def on_angry(self) -> None:
        case = self.case
        case.frustration, case.angry = case.frustration + 1, True
        if case.ticket_no:
            self.say("utter_angry_ticket")
            self.refresh_ticket(case.handoff_reason or "customer_angry")
            self.ticket_status(brief=True)
            return
        self.say("utter_angry_ack")  # with a button for a person
        if self.message.facts.orders or self.message.facts.tail:
            self.progress()  # the order is there: keep going, the button stays for a person
        elif case.phase is not Phase.LOCKED:
            case.phase, case.handoff_reason, case.asked = Phase.OFFERED, "customer_angry", {"offer": 1}

    def on_frustrated(self) -> None:
        case = self.case
        case.frustration += 1
        if self.has_ticket:
            self.say("utter_empathy_ticket")
            self.ticket_status(brief=True)
            return
        self.say("utter_empathy")
        gave = bool(self.message.facts.orders or self.message.facts.tail)
        if case.frustration >= FRUSTRATION_OFFER and not gave:
            self.offer_human("customer_request")
        elif case.verified and case.phase is Phase.INFORMED:
            self.continue_case()
        elif gave or case.phase is Phase.START or (case.phase is Phase.DONE and not case.verified):
            self.progress()
        else:
            self.resume()

    def on_eta(self) -> None:
        case = self.case
        if not case.verified:
            self.say("utter_eta_need_order")
            if case.phase is Phase.TICKET:
                self.ticket_status(brief=True)
            else:
                self.progress()
            return
        answer = ETA_ANSWER.get(case.diagnosis or "", "utter_eta_person")
        if not self.answer(answer):
            return
        if case.phase is Phase.TICKET:
            self.ticket_status(brief=True)
        elif answer in _OFFER_AFTER and case.phase is not Phase.STEP:
            self.offer_human("customer_request")
        else:
            self.resume()

    def on_contact(self) -> None:
        contact = self.ports.contact()
        self.say("utter_contact" if contact.get("contact_phone") else "utter_contact_online", **contact)
        self.resume()

    def on_ticket_status(self) -> None:
        case = self.case
        text = self.message.text
        if case.ticket_no or case.phase is Phase.TICKET:
            self.ticket_status()
        elif "工单" in text:  # asks about a ticket this conversation does not have (another device, long ago)
            if case.verified:
                self.say("utter_no_ticket")
                self.resume()
            else:
                self.say("utter_no_ticket_here")
                self.progress()
        elif any(word in text for word in ("客服", "人工", "真人")):
            self.on_human()  # "客服呢" with no ticket yet: they want a person
        elif case.phase is Phase.START:
            self.say("utter_greet")
        else:
            self.say("utter_greet_again")
            self.resume()

    def on_pay_again(self) -> None:
        case = self.case
        if case.verified and case.facts.get("debited"):
            self.say("utter_pay_again_debited")
        elif case.verified and case.diagnosis in ("unpaid", "payment_failed") and not case.claims_debit:
            self.say("utter_pay_again_safe")
        else:
            self.say("utter_pay_again_unknown")
            if not case.verified and case.phase is not Phase.TICKET:
                self.progress()
                return
        self.resume()

    def on_forgot_tail(self) -> None:
        if self.has_ticket:
            self.say("utter_forgot_tail_ticket")
        else:
            self.say("utter_forgot_tail")
            self.offer_human("verification_failed")

    def on_why(self) -> None:
        case = self.case
        if case.refused and not case.verified:  # "why can't my own order be checked?"
            self.say("utter_why_order_locked" if case.refused == "order_locked" else "utter_why_cooldown")
            self.offer_human("verification_failed")
            return
        self.say("utter_why_review" if case.diagnosis == "under_review" else "utter_why_tail")
        self.resume()

    def on_maintenance(self) -> None:
        case = self.case
        response, values = self.ports.notices(case.facts.get("order_product_type") if case.verified else None,
                                              case.facts.get("order_payment_method") if case.verified else None)
        self.say(response, **values)
        self.resume()

    def on_prevention(self) -> None:
        self.say("utter_prevention")
        self.resume()

    def on_bot(self) -> None:
        if self.case.ticket_no:
            self.say("utter_iamabot_ticket")
        else:
            self.say("utter_iamabot")
            self.resume()

    def on_off_topic(self) -> None:
        self.say("utter_out_of_scope")
        self.resume()

    def on_unclear(self) -> None:
        case = self.case
        case.unclear += 1
        if case.phase is Phase.TICKET:
            self.ticket_noted()
        elif case.unclear >= UNCLEAR_HANDOFF:
            self.say("utter_unclear_handoff")
            self.hand_off("not_understood")
        elif case.unclear >= UNCLEAR_OFFER:
            self.say("utter_unclear_offer")
            self.offer_human("not_understood")
        elif case.phase is Phase.NEED_ORDER:
            self.ask_order(malformed=any(c.isdigit() for c in self.message.text))
        elif case.phase is Phase.NEED_PROOF:
            self.say("utter_phone_last4_invalid" if case.unclear == 1 else "utter_phone_last4_invalid_again")
        elif case.phase is Phase.OFFERED:
            self.offer_human(case.handoff_reason or "customer_request")
        else:
            self.say("utter_rephrase" if case.unclear == 1 else "utter_rephrase_help")

    def on_debit_question(self) -> None:
        """"扣钱了吗" / "是不是扣了两次": answered from the record once the order is proven; never a claim."""
        case = self.case
        if not case.verified:
            self.say("utter_debit_need_order")
            if self.has_ticket:
                self.ticket_status(brief=True)
            else:
                self.progress()
            return
        if case.diagnosis == "duplicate_charge":
            answer = "utter_debit_twice"
        elif case.diagnosis in ("refunded", "failed_refunding"):  # taken, and going back
            answer = "utter_refund_done" if case.diagnosis == "refunded" else "utter_refund_started"
        elif case.facts.get("debited"):
            answer = "utter_debit_yes"
        else:
            answer = "utter_debit_no"
        if self.answer(answer):
            self.resume()

    def on_rate(self) -> None:
        self.say("utter_rating_not_asked")
        self.resume()

"""How the case moves forward: collecting the order and its proof, explaining it, the self-help steps, a person,
the ticket. The moves the engine makes for every kind of message (topup/dialogue/handlers.py); the turn itself is
topup/dialogue/engine.py."""

from __future__ import annotations

import logging

from topup.dialogue.model import Message, Phase, Say, Turn
from topup.dialogue.ports import Ports, TicketState, Verification
from topup.dialogue.responses import TICKET_AWARE, variables, variant, wording

logger = logging.getLogger(__name__)
ASK_LIMIT = 2  # the same question at most twice in a row; then a person is offered


class Moves:
    """One turn's work on the case: the state, what is said, and the moves that change them."""

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
        tags = getattr(self.ports, "wording_tags", ())
        missing = variables(variant(response, tags)) - {k for k, v in merged.items() if v not in (None, "")}
        if missing:  # the customer would see "{order_payment}": said nothing instead, and logged
            logger.error("response %s without %s (phase %s)", response, sorted(missing), self.case.phase.value)
            self.turn.skipped.append(f"{response} needs {sorted(missing)}")
            return False
        chosen = wording(self.case, response, merged)
        if chosen is None:
            return False
        self.turn.says.append(Say(variant(chosen, tags), merged))
        return True

    def said_any(self, responses: frozenset[str]) -> bool:
        return any(s.response in responses for s in self.turn.says)

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
        case.switch_to(following["order"])
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
        elif state.waited_minutes < 1:  # "已经等了 0 分钟" says nothing: the queue, without a count
            self.say("utter_ticket_status_waiting_again") or self.say("utter_ticket_status_unknown")
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

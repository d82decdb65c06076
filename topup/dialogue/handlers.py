"""What each kind of customer message does, in the light of the conversation's state: one method per kind
(`on_<kind>`), built from the moves of topup/dialogue/moves.py. docs/DIALOGUE.md is the whole table."""

from __future__ import annotations

from topup.dialogue.model import Phase
from topup.dialogue.moves import ASK_LIMIT, Moves

UNCLEAR_OFFER = 3  # the third unclear message in a row offers a person
UNCLEAR_HANDOFF = 5  # the fifth hands the conversation to a person
FRUSTRATION_OFFER = 2  # the second frustrated message offers a person

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


class Handlers(Moves):
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

    def on_order_changed(self) -> None:
        """The order the customer is talking about changed (the platform's webhook or the watcher's poll): they
        hear it without asking, once per change; the ticket, if any, offers to close (delivered) or is what
        happens next (failed). News about an order this conversation is not about says nothing."""
        case, facts = self.case, self.message.facts
        order, event = (facts.orders or (None,))[0], facts.order_event
        if not order or event not in ("delivered", "refunded", "failed", "abnormal"):
            return
        known = {case.order_no, case.ticket_order, *case.proven}
        if order not in known or f"{order}:{event}" in case.told:
            return
        case.told.append(f"{order}:{event}")
        if event == "delivered":
            self.say("utter_order_now_delivered", changed_order=order)
            if case.ticket_no:
                self.say("utter_ticket_arrived_offer_close")
                case.asked = {"close": 1}
            else:
                self.say("utter_order_now_check")
                case.phase, case.open, case.plan = Phase.DONE, False, []
        elif event == "refunded":
            self.say("utter_order_now_refunded", changed_order=order)
            if not case.ticket_no:
                case.phase, case.open, case.plan = Phase.DONE, False, []
        else:  # failed, or marked abnormal: a person arranges the refund
            self.say("utter_order_now_failed", changed_order=order)
            if case.ticket_no:
                self.ticket_status(brief=True)
            elif order == case.order_no and case.verified:
                self.hand_off("order_failed")

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

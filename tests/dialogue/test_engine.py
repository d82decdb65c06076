"""The conversation engine against the fake ports: the eight ways real conversations went wrong, each as the
customers wrote it, and the rules that hold whatever they write."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.dialogue.fakes import (
    DELIVERED,
    DUPLICATE,
    NO_REFUND,
    NOTICE,
    OVERDUE,
    PAYMENT_FAILED,
    RECENT,
    REFUNDED,
    REFUNDING,
    REVIEW,
    UNPAID,
    Chat,
    FakePorts,
)
from topup.dialogue.engine import TICKET_AWARE, absorb
from topup.dialogue.model import Case, Phase
from topup.dialogue.responses import catalogue, render, variables
from topup.dialogue.understand import read_message

GOODBYES = {"utter_goodbye", "utter_goodbye_again", "utter_resolved", "utter_glad", "utter_glad_again"}


def verified(chat: Chat, order: str = OVERDUE, tail: str = "3821", complaint: str = "充值一直没到账",
             intent: str = "recharge_stuck") -> Chat:
    chat(complaint, intent)
    chat(f"{order} {tail}", "inform")
    assert chat.case.verified, chat.transcript
    return chat


# --- 1. cases closed while still open ---------------------------------------------------------------------


def test_still_not_there_after_the_diagnosis_never_says_goodbye() -> None:
    chat = verified(Chat(), RECENT)
    for _ in range(3):
        responses = chat("还是没到", "deny")
        assert not GOODBYES & set(responses), chat.transcript
    assert chat.case.ticket_no is not None or chat.case.phase is Phase.OFFERED, chat.transcript
    chat("好", "affirm")
    assert chat.ports.tickets and chat.ports.tickets[0].order_no == RECENT, chat.transcript


@pytest.mark.parametrize(("text", "intent"), [("ok", "affirm"), ("好的谢谢，我试一下", "thank"), ("谢谢", "thank"),
                                              ("嗯嗯", "affirm"), ("好的", "affirm"), ("稍等", "affirm")])
def test_during_a_step_ok_and_thanks_mean_trying(text: str, intent: str) -> None:
    chat = verified(Chat())
    responses = chat(text, intent)
    assert chat.case.phase is Phase.STEP and "utter_resolved" not in responses, chat.transcript
    assert responses[0] in ("utter_trying_ack", "utter_trying_ack_again")
    assert chat.case.steps[-1]["outcome"] == "pending"


def test_only_an_explicit_success_solves_the_step() -> None:
    chat = verified(Chat())
    chat("ok", "affirm")
    assert chat("到了！", "affirm") == ["utter_resolved"]
    assert chat.case.steps[0]["outcome"] == "helped" and chat.case.phase is Phase.DONE


def test_an_abandoned_debited_unresolved_case_gets_a_ticket_and_is_told_so() -> None:
    chat = verified(Chat())
    chat("不行", "deny")  # the first step did not help
    responses = chat("算了不用了", "cancel")
    assert responses == ["utter_case_kept_with_ticket"], chat.transcript
    ticket = chat.ports.tickets[0]
    assert ticket.reason == "customer_left_open_case" and ticket.order_no == OVERDUE
    assert "TK" in chat.texts[-1]


def test_leaving_a_waiting_case_says_until_when_and_how_to_come_back() -> None:
    chat = verified(Chat(), RECENT)
    assert chat("先这样吧", "cancel") == ["utter_case_stays_open_wait"]
    assert "今天 14:35" in chat.texts[-1] and not chat.ports.tickets


# --- 2. what the customer said is dropped or misread -----------------------------------------------------------


def test_a_tail_given_before_the_order_is_kept_for_it() -> None:
    chat = Chat()
    chat("尾号3821 话费一直不到", "recharge_stuck")
    responses = chat(OVERDUE, "inform")
    assert responses[0] == "utter_diagnosis_processing_overdue", chat.transcript
    assert chat.ports.verifications == [(OVERDUE, "3821")]


def test_a_wrong_tail_keeps_the_order_number() -> None:
    chat = Chat()
    chat(f"{OVERDUE} 尾号3812", "inform")
    assert chat.case.order_no == OVERDUE and chat.turns[-1].responses == ["utter_not_verified_keep_order"]
    assert chat("哦打错了，是3821", "inform")[0] == "utter_diagnosis_processing_overdue", chat.transcript


def test_a_switch_during_self_help_verifies_the_new_order_and_the_ticket_is_for_it() -> None:
    chat = verified(Chat())
    responses = chat(f"不对，是另一个订单 {DELIVERED}", "inform")
    assert responses == ["utter_order_switched", "utter_ask_phone_last4"], chat.transcript
    chat("4455", "inform")
    assert chat.case.order_no == DELIVERED and chat.case.diagnosis == "delivered"
    chat("转人工", "request_human")
    assert [t.order_no for t in chat.ports.tickets] == [DELIVERED]


def test_an_order_number_inside_an_angry_rant_is_read() -> None:
    chat = Chat()
    responses = chat(f"你们这什么垃圾平台！！{OVERDUE} 钱扣了一个小时不到账", "express_frustration")
    assert responses == ["utter_angry_ack", "utter_ask_phone_last4"], chat.transcript
    assert chat.case.order_no == OVERDUE and chat.case.claims_debit


def test_amounts_and_product_numbers_are_never_tried_as_tails() -> None:
    chat = Chat()
    chat(f"原神创世结晶6480 {OVERDUE} 充了1000块还没到", "recharge_stuck")
    assert chat.ports.verifications == [] and chat.case.attempts == 0, chat.transcript
    chat("尾号3821", "inform")
    assert chat.ports.verifications == [(OVERDUE, "3821")]


def test_a_product_number_next_to_a_real_tail_uses_the_tail() -> None:
    chat = Chat()
    chat(f"{OVERDUE} 原神创世结晶6480 还没到 尾号3821", "recharge_stuck")
    assert chat.ports.verifications == [(OVERDUE, "3821")] and chat.case.verified


@pytest.mark.parametrize("typed", ["KM 2026 1127 0042 15", "K M 2 0 2 6 1 1 2 7 0 0 4 2 1 5", "2026-1127-004215"])
def test_an_order_number_typed_in_groups_is_understood(typed: str) -> None:
    chat = Chat()
    chat(f"{typed} 尾号3821", "inform")
    assert chat.case.order_no == OVERDUE and chat.case.verified, chat.transcript


def test_two_orders_in_one_message_the_second_comes_next() -> None:
    chat = Chat()
    responses = chat(f"{RECENT} 和 {UNPAID} 两个单都有问题", "recharge_stuck")
    assert responses == ["utter_two_orders", "utter_ask_phone_last4"], chat.transcript
    assert UNPAID in chat.texts[0]
    chat("3821", "inform")  # RECENT explained, then the next order's tail is asked for
    assert chat.turns[-1].responses == ["utter_diagnosis_processing_recent", "utter_next_order",
                                        "utter_ask_phone_last4"], chat.transcript
    assert chat("4455", "inform")[0] == "utter_diagnosis_unpaid"
    assert chat.ports.verifications == [(RECENT, "3821"), (UNPAID, "4455")]


def test_two_orders_with_one_tail_are_both_checked_with_it() -> None:
    chat = Chat()
    chat(f"{RECENT} {OVERDUE} 尾号3821", "recharge_stuck")
    assert chat.ports.verifications == [(RECENT, "3821"), (OVERDUE, "3821")], chat.transcript
    assert chat.case.order_no == OVERDUE and chat.case.phase is Phase.STEP


def test_a_malformed_order_number_is_said_so_and_nothing_else_is_lost() -> None:
    chat = Chat()
    chat("尾号3821", "inform")
    assert chat("KM2026112700421", "inform")[0].startswith("utter_order_id_malformed")
    assert chat.case.tail == "3821"
    assert chat(OVERDUE, "inform")[0] == "utter_diagnosis_processing_overdue", chat.transcript


# --- 3. abandoned after the handoff ---------------------------------------------------------------------------


def handed_off() -> Chat:
    chat = verified(Chat())
    chat("不行", "deny")
    chat("还是不行", "deny")
    assert chat.case.phase is Phase.TICKET and chat.case.ticket_no, chat.transcript
    return chat


@pytest.mark.parametrize(("text", "intent"), [
    ("还有人吗?", "greet"), ("客服呢？？", "request_human"), ("我的工单处理到哪了", "check_order_status"),
    ("人工", "request_human"), ("你好", "greet"), ("你是机器人吗", "bot_challenge"), ("???", "nlu_fallback"),
    ("多久能到账", "ask_eta"), ("谢谢", "thank"), ("好的", "affirm"), ("再见", "goodbye"),
    ("怎么还没人理我", "express_frustration"), ("今天天气怎么样", "out_of_scope"),
])
def test_every_message_after_the_handoff_knows_the_ticket(text: str, intent: str) -> None:
    chat = handed_off()
    responses = chat(text, intent)
    assert set(responses) & TICKET_AWARE, chat.transcript
    assert len(chat.ports.tickets) == 1 and chat.ports.calls.count("verify") == 1, chat.transcript
    assert "utter_ask_order_id" not in responses and "utter_greet" not in responses


def test_facts_after_the_handoff_go_onto_the_ticket_and_arrival_offers_to_close_it() -> None:
    chat = handed_off()
    chat("支付宝交易号 2026112722001400001234567890", "inform")
    assert chat.ports.tickets[0].notes == ["支付宝交易号 2026112722001400001234567890"]
    assert chat("已经到账了", "solved") == ["utter_ticket_arrived_offer_close"]
    assert chat("好", "affirm") == ["utter_ticket_closed"]
    assert chat.ports.tickets[0].status == "resolved" and chat.case.ticket_no is None


def test_keeping_the_ticket_open_after_all() -> None:
    chat = handed_off()
    chat("到了", "solved")
    assert chat("先别关", "deny") == ["utter_ticket_kept"]
    assert chat.ports.tickets[0].status == "open"


def test_another_order_after_the_handoff_is_looked_at_besides_the_ticket() -> None:
    chat = handed_off()
    chat(f"还有这个 {DELIVERED}", "inform")
    assert chat.turns[-1].responses[:2] == ["utter_order_next", "utter_ask_phone_last4"], chat.transcript
    responses = chat("4455", "inform")
    assert responses[:2] == ["utter_diagnosis_delivered", "utter_step_refresh_relogin"], chat.transcript
    assert set(responses) & TICKET_AWARE  # the open ticket is still said
    assert chat.ports.tickets[0].order_no == OVERDUE and len(chat.ports.tickets) == 1  # it stays with its order
    chat("不行", "deny")
    chat("还是不行", "deny")
    chat("没有", "deny")
    assert [t.order_no for t in chat.ports.tickets] == [OVERDUE, DELIVERED], chat.transcript  # one ticket each


def test_a_corrected_order_after_the_handoff_moves_the_ticket_once_proven() -> None:
    chat = handed_off()
    chat(f"不对 应该是这个 {DELIVERED}", "inform")
    assert chat.turns[-1].responses[0] == "utter_order_switched", chat.transcript
    responses = chat("4455", "inform")
    assert responses == ["utter_diagnosis_delivered", "utter_ticket_follows"], chat.transcript
    assert chat.ports.tickets[0].order_no == DELIVERED and len(chat.ports.tickets) == 1
    assert chat.ports.tickets[0].handoffs == 2  # handed off again: its priority is the new order's


def test_another_order_during_self_help_waits_its_turn() -> None:
    chat = verified(Chat())
    responses = chat(f"对了还有一单 {UNPAID} 也没到", "recharge_stuck")
    assert responses[0] == "utter_order_queued" and chat.case.order_no == OVERDUE, chat.transcript
    assert chat.case.phase is Phase.STEP and chat.case.steps[-1]["outcome"] == "pending"
    chat("到了", "solved")
    assert chat.turns[-1].responses[:2] == ["utter_resolved", "utter_next_order"], chat.transcript


def test_a_customer_coming_back_later_hears_about_the_open_ticket() -> None:
    chat = handed_off()
    later = Chat(chat.ports)  # the session expired: a fresh state, the same conversation's ticket
    responses = later("你好", "greet")
    assert responses[0] == "utter_ticket_welcome_back", later.transcript
    assert later.case.phase is Phase.TICKET and later.case.ticket_no == chat.case.ticket_no


def test_the_ticket_taken_by_an_agent_is_said_with_the_agents_name() -> None:
    chat = handed_off()
    ticket = chat.ports.tickets[0]
    ticket.status, ticket.agent_name, ticket.waited_minutes = "in_progress", "客服小王", 6
    chat("到哪了", "ask_ticket_status")
    assert "客服小王" in chat.texts[-2] or "客服小王" in chat.texts[-1], chat.transcript


def test_a_ticket_resolved_meanwhile_is_said_so_and_the_conversation_goes_on() -> None:
    chat = handed_off()
    chat.ports.tickets[0].status = "resolved"
    assert chat("工单呢", "ask_ticket_status") == ["utter_ticket_resolved_status"]
    assert chat.case.phase is Phase.DONE and chat.case.ticket_no is None


def test_a_handoff_queued_on_disk_is_found_once_delivered() -> None:
    chat = verified(Chat(FakePorts(handoff="queued")))
    chat("转人工", "request_human")
    assert chat.turns[-1].responses == ["utter_handoff_queued"] and chat.case.phase is Phase.TICKET
    assert chat("有人吗", "greet") == ["utter_ticket_queued_status"]
    chat.ports.handoff_status = "created"
    chat.ports.hand_off(chat.case, "customer_request")  # the outbox delivered it
    responses = chat("到哪了", "ask_ticket_status")
    assert responses[0] == "utter_ticket_status_waiting" and chat.case.ticket_no, chat.transcript


def test_asking_for_a_person_again_does_not_ask_for_the_order_again() -> None:
    chat = Chat()
    assert chat("转人工", "request_human") == ["utter_ask_order_for_human"]
    assert chat("没有订单号", "deny") == ["utter_handoff_created"]
    assert chat("人工！", "request_human")[0] == "utter_ticket_already_human"
    assert len(chat.ports.tickets) == 1 and chat.ports.tickets[0].order_no is None


def test_the_order_given_for_the_person_goes_on_the_ticket_unverified() -> None:
    chat = Chat()
    chat("人工客服", "request_human")
    chat(f"{OVERDUE}", "inform")
    ticket = chat.ports.tickets[0]
    assert (ticket.order_no, ticket.verified) == (OVERDUE, False)
    assert chat("尾号3821", "inform") == ["utter_diagnosis_processing_overdue", "utter_ticket_updated"]
    assert ticket.verified


# --- 4. follow-up questions answered from the facts ---------------------------------------------------------------


@pytest.mark.parametrize(("order", "tail", "answer"), [
    (RECENT, "3821", "utter_eta_recent"), (NOTICE, "8899", "utter_eta_notice"), (OVERDUE, "3821", "utter_eta_overdue"),
    (DELIVERED, "4455", "utter_eta_delivered"), (REFUNDING, "5566", "utter_eta_refund"),
    (UNPAID, "4455", "utter_eta_unpaid"), (REVIEW, "7788", "utter_eta_person"),
])
def test_when_will_it_arrive_is_answered_from_the_diagnosis(order: str, tail: str, answer: str) -> None:
    chat = verified(Chat(), order, tail)
    responses = chat("多久能到账", "ask_eta")
    assert responses[0] == answer, chat.transcript
    assert chat.turns[1].responses[0] not in responses  # not the diagnosis paragraph again


@pytest.mark.parametrize(("order", "tail", "answer"), [
    (RECENT, "3821", "utter_refund_processing"), (DELIVERED, "4455", "utter_refund_delivered"),
    (REFUNDING, "5566", "utter_refund_started"), (REFUNDED, "6677", "utter_refund_done"),
    (UNPAID, "4455", "utter_refund_nothing_taken"), (PAYMENT_FAILED, "5566", "utter_refund_nothing_taken"),
    (NO_REFUND, "6677", "utter_refund_person"), (DUPLICATE, "7788", "utter_refund_person"),
])
def test_refund_questions_follow_the_record(order: str, tail: str, answer: str) -> None:
    chat = verified(Chat(), order, tail)
    assert chat("能退款吗 能退到微信吗", "refund_request")[0] == answer, chat.transcript


def test_a_refund_request_during_self_help_does_not_advance_the_steps() -> None:
    chat = verified(Chat())
    chat("我要退款", "refund_request")
    assert chat.case.steps == [{"step": "refresh_relogin", "outcome": "pending"}], chat.transcript
    assert chat.case.phase is Phase.OFFERED
    assert chat("先不用", "deny") == ["utter_back_to_step", "utter_step_refresh_relogin"]
    chat("不行", "deny")
    chat("还是不行", "deny")
    assert chat.ports.tickets[0].steps == [{"step": "refresh_relogin", "outcome": "not_helped"},
                                           {"step": "check_account", "outcome": "not_helped"}]


def test_why_the_extra_review_is_explained() -> None:
    chat = verified(Chat(), REVIEW, "7788")
    assert chat("为什么要审核", "ask_why_check")[0] == "utter_why_review"


# --- 5. a question read as a claim --------------------------------------------------------------------------------


def test_will_paying_again_charge_twice_on_an_unpaid_order_is_answered_not_recorded() -> None:
    chat = verified(Chat(), UNPAID, "4455", "付款没成功", "payment_failed")
    assert chat("那我再付一次会不会扣两次钱", "charged_not_received")[0] == "utter_pay_again_safe"
    assert not chat.case.claims_debit and not chat.ports.tickets, chat.transcript


def test_pay_again_when_money_was_taken_is_never_yes() -> None:
    chat = verified(Chat(), OVERDUE)
    assert chat("要不要重新下单", "pay_again_question")[0] == "utter_pay_again_debited"


def test_saying_the_money_was_taken_after_an_unpaid_diagnosis_reads_the_record_again() -> None:
    chat = verified(Chat(), UNPAID, "4455")
    responses = chat("可是我钱已经扣了啊", "charged_not_received")
    assert responses[0] == "utter_diagnosis_debit_not_recorded" and chat.ports.tickets, chat.transcript
    assert chat.ports.tickets[0].claims_debit


# --- 6. complaints and calls ---------------------------------------------------------------------------------------


def test_the_contact_phone_comes_from_configuration() -> None:
    chat = Chat(FakePorts(contact_phone="400-800-1234"))
    assert chat("你们客服电话多少", "ask_contact") == ["utter_contact"]
    assert "400-800-1234" in chat.texts[-1]
    assert Chat()("你们客服电话多少", "ask_contact") == ["utter_contact_online"]


def test_a_complaint_escalates_flagged() -> None:
    chat = verified(Chat())
    assert chat("我要投诉你们", "complain") == ["utter_complaint_ack", "utter_handoff_created"]
    assert chat.ports.tickets[0].complained and chat.ports.tickets[0].reason == "complaint"


def test_a_complaint_after_the_handoff_flags_the_same_ticket() -> None:
    chat = handed_off()
    assert chat("我要投诉", "complain")[0] == "utter_complaint_noted"
    assert len(chat.ports.tickets) == 1 and chat.ports.tickets[0].complained


def test_forgetting_the_phone_is_explained_and_offered_a_person() -> None:
    chat = Chat()
    chat(OVERDUE, "inform")
    assert chat("我不记得手机号了", "forgot_tail") == ["utter_forgot_tail", "utter_offer_human"]
    chat("好", "affirm")
    assert (chat.ports.tickets[0].order_no, chat.ports.tickets[0].verified) == (OVERDUE, False)
    assert chat.ports.tickets[0].reason == "verification_failed"


def test_why_the_tail_is_needed_is_said_and_the_question_comes_back() -> None:
    chat = Chat()
    chat(OVERDUE, "inform")
    assert chat("为什么要手机号", "ask_why_check") == ["utter_why_tail", "utter_ask_phone_last4_again"]


# --- 7. loops -------------------------------------------------------------------------------------------------------


def test_question_marks_at_the_order_question_offer_a_person_by_the_third() -> None:
    chat = Chat()
    chat("充值没到", "recharge_stuck")
    chat("???", "nlu_fallback")
    responses = chat("???", "nlu_fallback")
    assert "utter_offer_human" in responses, chat.transcript
    assert chat.case.phase is Phase.OFFERED


def test_five_unclear_messages_in_a_row_hand_off() -> None:
    chat = Chat()
    for _ in range(5):
        chat("嗯？", "nlu_fallback")
    assert chat.ports.tickets and chat.ports.tickets[0].reason == "not_understood", chat.transcript


def test_no_sentence_three_times_in_a_long_wandering_conversation() -> None:
    chat = verified(Chat(), RECENT)
    for text, intent in [("你是机器人吗", "bot_challenge"), ("谢谢", "thank"), ("好的", "affirm")] * 6:
        chat(text, intent)
    counts = Counter(chat.texts)
    assert max(counts.values()) <= 2, [t for t, n in counts.items() if n > 2]
    assert all(t.responses for t in chat.turns), chat.transcript


# --- 8. lock-outs (the counting itself: tests/actions/test_security.py) ---------------------------------------------


@pytest.mark.parametrize(("lookup", "answer"), [("client_locked", "utter_verify_cooldown"),
                                                ("order_locked", "utter_order_locked"),
                                                ("error", "utter_lookup_error")])
def test_a_refused_or_failed_lookup_offers_a_person_and_reveals_nothing(lookup: str, answer: str) -> None:
    chat = Chat(FakePorts(lookup=lookup))
    responses = chat(f"{OVERDUE} 3821", "inform")
    assert responses == [answer, "utter_offer_human"] and not chat.case.verified and not chat.case.facts
    assert chat.case.order_no == OVERDUE


def test_three_wrong_tails_stop_lookups_in_this_conversation() -> None:
    chat = Chat()
    chat(f"{OVERDUE} 1111", "inform")
    chat("2222", "inform")
    assert chat("3333", "inform") == ["utter_verify_locked", "utter_offer_human"]
    chat(f"{OVERDUE} 3821", "inform")
    assert chat.ports.calls.count("verify") == 3 and not chat.case.verified, chat.transcript


def test_a_signed_in_customer_is_verified_without_a_tail() -> None:
    chat = Chat(FakePorts(signed=OVERDUE))
    ports = chat.ports
    ports.verify = lambda order, tail, complaint, claims: FakePorts.verify(ports, order, "3821", complaint, claims)
    assert chat("充值没到", "recharge_stuck")[0] == "utter_diagnosis_processing_overdue"


# --- the engine's contracts -----------------------------------------------------------------------------------------


def _named_in_code() -> set[str]:
    import re
    from pathlib import Path

    import topup.dialogue

    folder = Path(topup.dialogue.__file__).parent
    source = "\n".join(p.read_text(encoding="utf-8") for p in folder.glob("*.py") if p.name != "table.py")
    return set(re.findall(r'"(utter_[a-z0-9_]+)"', source))


def test_every_response_the_engine_can_say_exists_with_its_values() -> None:
    names = _named_in_code()
    assert names <= set(catalogue()), names - set(catalogue())
    unnumbered = {"utter_ticket_queued_status", "utter_ticket_resolved_status", "utter_handoff_queued"}
    assert TICKET_AWARE - unnumbered == {name for name in catalogue() if "ticket_no" in variables(name)}


def test_every_response_in_the_domain_is_said_by_something() -> None:
    """No dead sentences: each is named by the engine, or is one of a family it names by prefix (a diagnosis, a
    step, a handoff outcome), or is said by a rule of data/rules (the takeover), an action or the web app."""
    import re

    import yaml

    from topup.diagnosis import Kind as DiagnosisKind
    from topup.dialogue.responses import DOMAIN
    from topup.model import SelfHelpStep

    rules = yaml.safe_load((DOMAIN.parent / "data" / "rules" / "takeover.yml").read_text(encoding="utf-8"))
    by_rules = {step.get("action") for rule in rules["rules"] for step in rule["steps"] if "action" in step}
    families = ({f"utter_diagnosis_{kind.value}" for kind in DiagnosisKind}
                | {f"utter_step_{s.value}" for s in SelfHelpStep}
                | {f"utter_handoff_{status}" for status in ("created", "offhours", "no_agent")})
    # said by the takeover actions (the resolution) or by the web app (answers to an upload)
    others = "\n".join(p.read_text(encoding="utf-8") for folder in ("actions", "web")
                       for p in (DOMAIN.parent / folder).glob("*.py"))
    by_others = set(re.findall(r'"(utter_[a-z0-9_]+)"', others))
    said = _named_in_code() | families | by_rules | by_others
    # a platform's own wording of a sentence (responses.variant: utter_x__dujiaoka, utter_x__email) is said where
    # that sentence is, and only there
    variants = {name for name in catalogue() if "__" in name and name.split("__")[0] in said
                and name.split("__")[1] in ("dujiaoka", "acgfaka", "email", "contact")}
    unsaid = set(catalogue()) - said - variants
    assert not unsaid, sorted(unsaid)
    strays = {name for name in catalogue() if "__" in name} - variants
    assert not strays, sorted(strays)  # a variant of nothing, or of an unknown platform


def test_every_domain_response_has_one_text() -> None:
    import yaml

    from topup.dialogue.responses import DOMAIN

    responses = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"]
    assert all(len(variations) == 1 for variations in responses.values())


def test_rendering_needs_every_value() -> None:
    with pytest.raises(KeyError):
        render("utter_ticket_noted", {}, strict=True)
    assert render("utter_ticket_noted", {}) == catalogue()["utter_ticket_noted"]
    assert "TK1" in render("utter_ticket_noted", {"ticket_no": "TK1"})


def test_the_state_survives_the_slot_and_garbage_starts_over() -> None:
    chat = verified(Chat())
    assert Case.from_slot(chat.case.as_slot()) == chat.case
    for junk in (None, "x", [1], {"phase": "nope"}, {"queued": "x"}, {"attempts": "3"}, {"said": []}):
        assert Case.from_slot(junk) == Case()


def test_absorb_keeps_order_and_tail_whatever_the_kind() -> None:
    case = Case()
    absorb(case, read_message(f"骗子 {OVERDUE} 尾号3821", "express_frustration"))
    assert (case.order_no, case.tail) == (OVERDUE, "3821")
    absorb(case, read_message("哈哈", "greet"))
    assert (case.order_no, case.tail) == (OVERDUE, "3821")

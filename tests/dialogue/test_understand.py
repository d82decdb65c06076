"""Reading a message: the facts its words give whatever its intent, and the phrasings that decide its kind."""

from __future__ import annotations

import pytest

from topup.dialogue.model import Kind
from topup.dialogue.understand import INTENTS, kind_of, read_facts, read_message

ORDER = "KM20261127004215"


# --- order numbers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "KM20261127004215", "km20261127004215还没到", "KM 2026 1127 0042 15", "KM 2026 1127 004215",
    "K M 2 0 2 6 1 1 2 7 0 0 4 2 1 5", "KM-2026-1127-0042-15", "ＫＭ２０２６１１２７００４２１５", "20261127004215",
    "2026 1127 0042 15", "订单号：KM20261127004215，尾号3821", "骗子！！KM20261127004215 钱扣了不到账",
])
def test_an_order_number_in_any_grouping_is_read(text: str) -> None:
    assert read_facts(text).orders == (ORDER,)


def test_two_order_numbers_in_one_message_are_both_read_in_order() -> None:
    facts = read_facts("KM20261127004215 和 KM20261128000101 都没到")
    assert facts.orders == (ORDER, "KM20261128000101")


def test_the_same_order_twice_is_one_order() -> None:
    assert read_facts("KM20261127004215 就是 km 2026 1127 004215").orders == (ORDER,)


@pytest.mark.parametrize("text", ["KM2026112700421", "km123456", "订单KM 2026 1127"])
def test_a_km_number_of_the_wrong_shape_is_malformed(text: str) -> None:
    facts = read_facts(text)
    assert facts.orders == () and facts.malformed


def test_a_transaction_number_or_a_phone_is_no_order() -> None:
    assert read_facts("支付宝交易号2026112722001400001234567890").orders == ()
    assert read_facts("手机号13800003821").orders == ()


# --- phone tails -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "tail"), [
    ("3821", "3821"), ("尾号3821", "3821"), ("哦打错了，是3821", "3821"), ("后四位是 3821", "3821"),
    ("原神创世结晶6480 还没到 尾号4455", "4455"), ("KM20261127004215 3821", "3821"),
    ("充了1000块 尾号3821", "3821"), ("*******3821", "3821"), ("13800003821", "3821"),
    ("6480点券 一直没到 手机后4位5566", "5566"),
])
def test_the_tail_is_read(text: str, tail: str) -> None:
    assert read_facts(text).tail == tail


@pytest.mark.parametrize("text", [
    "充了1000块还没到", "原神创世结晶6480还没到", "6480点券没到", "花了2000买的", "2026年11月的订单", "14:05付的款",
    "¥1000", "面值1000的卡", "KM20261127004215", "3821 或者 4455", "卡号 622202*********0123",
])
def test_amounts_products_times_and_order_digits_are_no_tail(text: str) -> None:
    assert read_facts(text).tail is None


# --- claims and switches -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["钱已经扣了", "扣了我100块 没到账", "已经付过了啊", "钱被扣了两次", "钱扣了没到账",
                                  "已经付了款", "我已经付款了", "都付过了还不到", "付了钱没到", "显示付款成功",
                                  "钱已经被扣了", "扣款100元"])
def test_a_debit_said_as_a_statement_is_a_claim(text: str) -> None:
    assert read_facts(text).claims_debit


@pytest.mark.parametrize("text", ["那我再付一次会不会扣两次钱", "没扣款", "还没付呢", "会不会扣了钱？", "一直在充值",
                                  "话费还没到", "订单KM20261127004215", "支付失败了", "", "支付失败了，还没扣款吧",
                                  "没扣钱"])
def test_a_question_or_a_negation_is_no_claim(text: str) -> None:
    message = read_message(text, "charged_not_received")
    assert not message.facts.claims_debit or message.kind is Kind.PAY_AGAIN


def test_a_switch_needs_a_new_order_number() -> None:
    assert read_facts("不对，是另一个订单 KM20261128000101").switch
    assert not read_facts("不对").switch


# --- kinds -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "intent", "kind"), [
    ("到了", "affirm", Kind.SOLVED), ("到账了 谢谢", "thank", Kind.SOLVED), ("已经到账了", "inform", Kind.SOLVED),
    ("好的谢谢，我试一下", "thank", Kind.TRYING), ("稍等", "affirm", Kind.TRYING), ("我去看看", "affirm", Kind.TRYING),
    ("还是没到", "deny", Kind.STILL), ("没用", "deny", Kind.STILL), ("还是不行啊", "affirm", Kind.STILL),
    ("那我再付一次会不会扣两次钱", "charged_not_received", Kind.PAY_AGAIN),
    ("你们客服电话多少", "request_human", Kind.CONTACT), ("我要投诉", "express_frustration", Kind.COMPLAIN),
    ("我不记得手机号了", "out_of_scope", Kind.FORGOT_TAIL), ("为什么要尾号", "bot_challenge", Kind.WHY),
    ("为什么要审核", "ask_maintenance", Kind.WHY), ("还有人吗", "greet", Kind.TICKET_STATUS),
    ("我的工单处理到哪了", "check_order_status", Kind.TICKET_STATUS), ("多久能到账", "check_order_status", Kind.ETA),
    ("算了不用了", "deny", Kind.CANCEL), ("骗子", "express_frustration", Kind.ANGRY),
    ("再不到账我就报警", "express_frustration", Kind.ANGRY),
])
def test_unambiguous_phrasings_decide_whatever_the_nlu_guessed(text: str, intent: str, kind: Kind) -> None:
    assert read_message(text, intent).kind is kind


@pytest.mark.parametrize("text", ["到了吗", "到了没", "好了吗？", "还没到吗", "到了？", "充上了么"])
def test_a_question_about_arrival_is_never_a_success(text: str) -> None:
    assert read_message(text, "affirm").kind is not Kind.SOLVED


@pytest.mark.parametrize(("text", "intent", "kind"), [
    ("ok", "affirm", Kind.AFFIRM), ("好的", "affirm", Kind.AFFIRM), ("谢谢", "thank", Kind.THANK),
    ("不是", "deny", Kind.DENY), ("充值卡住了", "recharge_stuck", Kind.COMPLAINT),
    ("转人工", "request_human", Kind.HUMAN),
    ("asdfgh", "nlu_fallback", Kind.UNCLEAR), ("今天天气怎么样", "out_of_scope", Kind.OFF_TOPIC),
    ("能退款吗", "refund_request", Kind.REFUND),
])
def test_otherwise_the_intent_decides(text: str, intent: str, kind: Kind) -> None:
    assert read_message(text, intent).kind is kind


@pytest.mark.parametrize("intent", ["greet", "affirm", "deny", "out_of_scope", "nlu_fallback"])
def test_a_message_that_gives_an_order_or_a_tail_is_about_the_order(intent: str) -> None:
    assert kind_of(intent, "KM20261127004215", read_facts("KM20261127004215")) is Kind.INFORM
    assert kind_of(intent, "3821", read_facts("3821")) is Kind.INFORM


def test_an_unknown_intent_is_unclear_and_every_domain_intent_has_a_kind() -> None:
    assert read_message("x", "no_such_intent").kind is Kind.UNCLEAR
    assert read_message("x", None).kind is Kind.UNCLEAR
    assert all(read_message("嗯嗯", intent).kind is not Kind.UNCLEAR for intent in INTENTS)


def test_hostile_input_reads_as_nothing_and_never_fails() -> None:
    for text in ["", " ", "<script>alert(1)</script>", "K" * 10_000, "KM" + "2" * 5000, "\x00\u202e尾号3821"]:
        message = read_message(text, None)
        assert message.facts.orders == () or message.facts.orders == ("KM20261127004215",)
    assert read_message("\u202e尾号3821", None).facts.tail == "3821"


def test_charged_me_twice_with_the_object_between_is_a_double_charge_claim() -> None:
    for text in ("一卡通扣了我两次钱", "扣我两次钱了", "收了我2次"):
        assert read_facts(text).claims_twice, text
    assert not read_facts("会不会扣我两次").claims_twice  # asked, not said

"""Each platform's order numbers as customers type them, and nothing else taken for one."""

from __future__ import annotations

import pytest

from topup.pii import mask_pii
from topup.sources.formats import FORMATS
from topup.sources.proof import Proof, read_proof

DUJIAOKA, ACG, KM = FORMATS["dujiaoka"], FORMATS["acgfaka"], FORMATS["km"]
SN = "8EQ6ZL2OFA3TRD4K"
ACG_NO = "512261204153012734"  # 512 + 26-12-04 15:30:12 + 734


@pytest.mark.parametrize("typed", [
    SN, SN.lower(), "8EQ6 ZL2O FA3T RD4K", "8eq6-zl2o-fa3t-rd4k", "８ＥＱ６ＺＬ２ＯＦＡ３ＴＲＤ４Ｋ",
    f"订单号{SN}一直没到", f"我的订单 {SN} 显示处理中", "8 E Q 6 Z L 2 O F A 3 T R D 4 K", f"单号：{SN}。",
])
def test_a_dujiaoka_number_in_every_noisy_form(typed: str) -> None:
    assert DUJIAOKA.find(typed).numbers == (SN,)


@pytest.mark.parametrize("typed", [
    "6222021234567890",  # 16 digits: a bank card
    "internationalism",  # a 16-letter word
    "hello world 12345 abcd",
    "13812345678",
    ACG_NO,
    "KM2026112700421",  # 15
])
def test_nothing_else_is_a_dujiaoka_number(typed: str) -> None:
    assert DUJIAOKA.find(typed).numbers == ()


def test_a_dujiaoka_number_standing_alone_may_be_all_letters() -> None:
    assert DUJIAOKA.find("ABCDEFGHJKLMNPQR").numbers == ("ABCDEFGHJKLMNPQR",)
    assert DUJIAOKA.find("my order is responsibilities ok").numbers == ()


def test_two_dujiaoka_numbers_in_one_message() -> None:
    assert DUJIAOKA.find(f"{SN} 还有 Q7W8E9R0T1Y2U3I4 也没到").numbers == (SN, "Q7W8E9R0T1Y2U3I4")


def test_a_dujiaoka_number_too_short_is_malformed() -> None:
    found = DUJIAOKA.find("订单号 8EQ6ZL2OFA3TRD4")
    assert found.numbers == () and found.malformed


@pytest.mark.parametrize("typed", [
    ACG_NO, "512 261204 153012 734", "5122-6120-4153-0127-34", f"订单{ACG_NO}还没发货",
    "５１２２６１２０４１５３０１２７３４",
])
def test_an_acg_faka_number_in_every_noisy_form(typed: str) -> None:
    assert ACG.find(typed).numbers == (ACG_NO,)


@pytest.mark.parametrize("typed", [
    "110105199001011234",  # a resident ID: its digits 4-15 are no time
    "622202123456789012",  # a bank card of 18 digits
    "13812345678",
    "512269904153012734",  # month 99
])
def test_nothing_else_is_an_acg_faka_number(typed: str) -> None:
    assert ACG.find(typed).numbers == ()


def test_an_acg_faka_number_of_the_wrong_length_is_malformed_never_a_phone() -> None:
    found = ACG.find("订单号51226120415301273")
    assert found.numbers == () and found.malformed
    assert read_proof(Proof.CONTACT, f"订单{ACG_NO}") is None  # its digits are no phone and no tail


def test_another_platforms_number_is_not_this_ones() -> None:
    assert ACG.find(SN).numbers == () and KM.find(ACG_NO).numbers == ()
    assert DUJIAOKA.find("KM20261127004215").numbers == ("KM20261127004215",)  # the same shape: looked up, not found


def test_an_acg_faka_number_is_kept_where_a_card_number_is_masked() -> None:
    text = f"订单{ACG_NO}，卡号6222021234567890123"
    masked = mask_pii(text, keep=ACG.keep)
    assert ACG_NO in masked and "6222021234567890123" not in masked


def test_a_qq_number_beside_the_order_number_is_its_contact() -> None:
    found = ACG.find(f"{ACG_NO} 12345678")
    assert read_proof(Proof.CONTACT, f"{ACG_NO} 12345678", found.spans) == "12345678"
    found = ACG.find(f"订单{ACG_NO} 充了648元")
    assert read_proof(Proof.CONTACT, f"订单{ACG_NO} 充了648元", found.spans) is None  # an amount is no contact


@pytest.mark.parametrize("kind, typed, awaiting, expected", [
    (Proof.EMAIL, "邮箱是 Buyer07@QQ.com", False, "buyer07@qq.com"),
    (Proof.EMAIL, "查询密码 abc123", False, "abc123"),
    (Proof.EMAIL, "abc123", True, "abc123"),
    (Proof.EMAIL, "ok", True, None),
    (Proof.EMAIL, "好的", True, None),
    (Proof.EMAIL, "abc123", False, None),
    (Proof.CONTACT, "QQ 12345678", False, "12345678"),
    (Proof.CONTACT, "12345678", True, "12345678"),
    (Proof.CONTACT, "*******1111", False, "1111"),
    (Proof.CONTACT, "尾号1111", False, "1111"),
    (Proof.CONTACT, "buyer@163.com", False, "buyer@163.com"),
    (Proof.TAIL, "尾号3821", False, "3821"),
    (Proof.CONTACT, "充了50元 12345678", False, None),  # no order number beside it: not taken as a contact
    (Proof.CONTACT, "价格1000 还没发货", True, None),
])
def test_the_proof_each_platform_takes(kind: Proof, typed: str, awaiting: bool, expected: str | None) -> None:
    assert read_proof(kind, typed, awaiting=awaiting) == expected

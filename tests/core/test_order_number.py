"""Order numbers and phone tails as customers really type them."""

from __future__ import annotations

import time

import pytest

from topup.order_number import (
    MalformedOrderNumber,
    OrderNumber,
    extract_phone_tail,
    find_order_number_text,
    find_order_numbers,
    normalise_order_number,
    phone_tail_in,
)
from topup.text import fold_width

CANONICAL = "KM20261127004215"


def tail_after_removing_order(text: str) -> str | None:
    """What the conversation does with a message (topup.dialogue.understand.read_facts): find the order numbers,
    then look for the tail outside them."""
    return phone_tail_in(text, find_order_numbers(text).spans)


# --- normalise_order_number -------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "KM20261127004215",
        "km20261127004215",
        "km 2026 1127 004215",
        "KM-20261127-004215",
        "ＫＭ２０２６１１２７００４２１５",
        "20261127004215",
        "  KM20261127004215\n",
        "Km 20261127 004215",
    ],
    ids=["canonical", "lowercase", "spaces", "dashes", "fullwidth", "digits_only", "padded", "mixed_case"],
)
def test_normalise_accepts_the_ways_customers_type_it(raw: str) -> None:
    result = normalise_order_number(raw)
    assert isinstance(result, OrderNumber)
    assert result.value == CANONICAL
    assert str(result) == CANONICAL


@pytest.mark.parametrize(
    "raw",
    [
        "KM2026112700421",  # 13 digits: too short
        "KM202611270042155",  # 15 digits: too long
        "2026112700421",  # 13 digits alone
        "202611270042155",  # 15 digits alone
        "AB20261127004215",  # other letters
        "KN20261127004215",
        "MK20261127004215",
        "KMX20261127004215",
        "KM20261332004215",  # month 13, day 32
        "KM20260230004215",  # 30 February
        "KM00001127004215",  # year 0
        "KM2026' OR 1=1--",
        "KM20261127004215; DROP TABLE orders",
        "",
        "   ",
        "KM",
    ],
)
def test_normalise_rejects_malformed(raw: str) -> None:
    with pytest.raises(MalformedOrderNumber):
        normalise_order_number(raw)


def test_normalise_rejects_none() -> None:
    with pytest.raises(MalformedOrderNumber):
        normalise_order_number(None)  # type: ignore[arg-type]


def test_malformed_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        normalise_order_number("nope")


@pytest.mark.parametrize("raw", ["x" * 10_000, "1" * 10_000, CANONICAL * 625, "KM" + "2" * 9_998])
def test_normalise_rejects_huge_input_quickly(raw: str) -> None:
    assert len(raw) == 10_000
    started = time.perf_counter()
    with pytest.raises(MalformedOrderNumber) as info:
        normalise_order_number(raw)
    assert time.perf_counter() - started < 1.0
    # The error must not echo the whole 10,000 characters back (it ends up in logs).
    assert len(str(info.value)) <= 64


def test_normalise_rejects_or_folds_non_ascii_decimal_digits() -> None:
    raw = "KM٢٠٢٦١١٢٧٠٠٤٢١٥"  # Arabic-Indic digits for 20261127004215
    try:
        result = normalise_order_number(raw)
    except MalformedOrderNumber:
        return
    assert result.value.isascii()


# --- find_order_number_text -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我的订单KM20261127004215还没到",
        "订单号是 km 2026 1127 004215 还在充值",
        "订单KM-20261127-004215怎么还没好",
        "订单ＫＭ２０２６１１２７００４２１５一直正在充值",
        "订单号20261127004215",
        "KM20261127004215",
        "订单KM20261127004215，尾号3821",
    ],
    ids=["glued_chinese", "spaces", "dashes", "fullwidth", "digits_only", "alone", "chinese_comma_then_tail"],
)
def test_find_order_number_in_free_text(text: str) -> None:
    found = find_order_number_text(text)
    assert found is not None
    assert normalise_order_number(found).value == CANONICAL


@pytest.mark.parametrize("text", ["我充的话费一直没到账", "", "尾号3821", "你好", "100元"])
def test_find_order_number_none_present(text: str) -> None:
    assert find_order_number_text(text) is None


def test_find_order_number_handles_none() -> None:
    assert find_order_number_text(None) is None  # type: ignore[arg-type]


def test_find_order_number_short_km_is_still_a_candidate() -> None:
    # Meant as an order number, but malformed: the caller tells the customer so.
    found = find_order_number_text("KM2026' OR 1=1--")
    assert found is not None
    with pytest.raises(MalformedOrderNumber):
        normalise_order_number(found)


@pytest.mark.parametrize("text", ["KM20261127004215 3821", "20261127004215 3821", "KM20261127004215-3821"])
def test_find_order_number_stops_at_the_order_number(text: str) -> None:
    found = find_order_number_text(text)
    assert found is not None
    assert normalise_order_number(found).value == CANONICAL


def test_full_phone_number_is_not_an_order_number() -> None:
    assert find_order_number_text("手机号13800003821") is None


def test_find_order_number_returns_a_substring_of_the_width_folded_input() -> None:
    text = "订单ＫＭ２０２６１１２７００４２１５还没到"
    found = find_order_number_text(text)
    assert found == "KM20261127004215"
    assert found in fold_width(text)


def test_fullwidth_order_then_tail_pipeline() -> None:
    assert tail_after_removing_order("ＫＭ２０２６１１２７００４２１５ ３８２１") == "3821"


# --- extract_phone_tail -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["3821", "尾号3821", "后四位是 3821", "13800003821", "138 0000 3821", "38 21", "３８２１", "手机尾号是3821。"],
)
def test_extract_phone_tail(text: str) -> None:
    assert extract_phone_tail(text) == "3821"


@pytest.mark.parametrize(
    "text",
    ["3821 或者 4455", "不是3821就是4455", "没有", "", None, "12345", "382", "尾号三八二一"],
    ids=["two_spaced", "two_chinese", "no_digits", "empty", "none", "five_digits", "three_digits", "chinese_numerals"],
)
def test_extract_phone_tail_none(text: str | None) -> None:
    assert extract_phone_tail(text) is None


def test_order_number_alone_is_not_a_phone_tail() -> None:
    assert extract_phone_tail(CANONICAL) is None
    assert tail_after_removing_order(CANONICAL) is None


def test_tail_glued_to_order_number_with_chinese_is_found_after_removal() -> None:
    assert tail_after_removing_order("订单KM20261127004215，尾号3821") == "3821"
    assert tail_after_removing_order("km 2026 1127 004215 尾号3821") == "3821"
    assert tail_after_removing_order("KM20261127004215 尾号 3821") == "3821"
    assert tail_after_removing_order("ＫＭ２０２６１１２７００４２１５，尾号３８２１") == "3821"


def test_order_digits_are_not_read_as_a_tail_when_the_order_is_removed() -> None:
    # extract_phone_tail on the raw text joins the order digits and the tail: nothing usable, never a wrong tail.
    assert extract_phone_tail("KM20261127004215 3821") is None
    # With the order-number part removed first (as the verification action does), only the tail is left.
    assert extract_phone_tail("KM20261127004215 3821".replace(CANONICAL, " ")) == "3821"


@pytest.mark.parametrize("text", ["KM20261127004215 3821", "20261127004215 3821"])
def test_order_then_tail_pipeline_as_verification_action_does(text: str) -> None:
    assert tail_after_removing_order(text) == "3821"


def test_a_masked_card_is_not_a_phone_tail() -> None:
    assert extract_phone_tail("卡号 622202*********0123") is None
    assert extract_phone_tail("卡号 622202*********0123，尾号 3821") == "3821"
    assert extract_phone_tail("*******5678") == "5678"

"""Card and mobile numbers masked; order numbers (every form), amounts, tails and dates untouched; phones shown
masked one way everywhere (mask_phone)."""

from __future__ import annotations

import logging
import sys

import pytest

from topup.order_number import find_order_number_text, normalise_order_number
from topup.pii import PiiLogFilter, install_log_filter, mask_phone, mask_pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6222 0212 3456 7890 123", "622202*********0123"),
        ("卡号6222-0212-3456-7890-123扣了两次", "卡号622202*********0123扣了两次"),
        ("6222021234567890", "622202******7890"),
        ("622202123456789", "622202*****6789"),  # 15 digits
        ("卡号 ６２２２ ０２１２ ３４５６ ７８９０", "卡号 622202******7890"),  # full-width digits and space
        ("3782 822463 10005", "378282*****0005"),  # 4-6-5 grouping
        ("身份证 11010519491231002X", "身份证 110105********002X"),
        ("2026-11-28 6222021234567890123", "2026-11-28 622202*********0123"),
    ],
)
def test_card_numbers_keep_first_six_and_last_four(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("手机13812345678", "手机*******5678"),
        ("138 1234 5678", "*******5678"),
        ("138-1234-5678", "*******5678"),
        ("+86 13812345678", "*******5678"),
        ("+86-138-1234-5678", "*******5678"),
        ("8613812345678", "*******5678"),
        ("电话１３８１２３４５６７８", "电话*******5678"),
        ("13812345678 尾号5678", "*******5678 尾号5678"),
    ],
)
def test_mobile_numbers_keep_the_last_four(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "KM20261127004215",
        "km20261127004215",
        "KM 2026 1127 004215",
        "km-20261127-004215",
        "ＫＭ２０２６１１２７００４２１５",
        "20261127004215",
        "2026 1127 004215",
        "20261127-004215",
        "KM2026112700421",  # malformed (13 digits): still typed as it was, so the bot says it looks wrong
        "KM202611270042159",  # malformed (15 digits), would look like a card without its KM
        "KM6222021234567890123",
        "KM 6222 0212 3456 7890 123",
        "订单KM20261127004215尾号3821",
        "20261127004215 3821",  # order number and phone tail, one space apart
        "2026 1127 004215 3821",
        "充了100元，200块，1,000.50元",
        "尾号3821",
        "2026-11-28 18:48 付款",
        "2026-11-28 2026-11-29",
        "4200001234202611281234567890",  # a 28-digit payment transaction number is neither
        "TK20261128000003",
        "",
    ],
)
def test_order_numbers_amounts_tails_and_dates_stay(text: str) -> None:
    assert mask_pii(text) == text


def test_order_number_next_to_pii_is_kept_and_still_found() -> None:
    text = "订单 KM20261127004215 卡号6222021234567890123 手机13812345678"
    masked = mask_pii(text)
    assert masked == "订单 KM20261127004215 卡号622202*********0123 手机*******5678"
    assert normalise_order_number(find_order_number_text(masked)).value == "KM20261127004215"


def test_malformed_order_number_is_still_found_as_malformed() -> None:
    assert find_order_number_text(mask_pii("KM202611270042159")) == "KM202611270042159"


def test_masking_is_idempotent() -> None:
    once = mask_pii("6222 0212 3456 7890 123 / 13812345678")
    assert mask_pii(once) == once


def test_log_filter_masks_message_and_args() -> None:
    args = ("13812345678", "卡 6222021234567890")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "user %s said %s", args, None)
    assert PiiLogFilter().filter(record)
    assert record.getMessage() == "user *******5678 said 卡 622202******7890"


def test_log_filter_leaves_clean_records_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "order %s", ("KM20261127004215",), None)
    PiiLogFilter().filter(record)
    assert record.args == ("KM20261127004215",)


def test_install_log_filter_is_idempotent_and_masks_handler_output() -> None:
    logger = logging.getLogger("test_pii_install")
    logger.propagate = False
    lines: list[str] = []

    class ListHandler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = ListHandler()
    logger.addHandler(handler)
    try:
        install_log_filter(logger)
        install_log_filter(logger)
        assert sum(isinstance(f, PiiLogFilter) for f in handler.filters) == 1
        logger.warning("phone %s", "+86 138 1234 5678")
        assert lines == ["phone *******5678"]
    finally:
        logger.removeHandler(handler)


def test_log_filter_masks_exception_text() -> None:
    try:
        raise ValueError("bad card 6222021234567890123")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    PiiLogFilter().filter(record)
    formatted = logging.Formatter().format(record)
    assert "622202*********0123" in formatted and "6222021234567890123" not in formatted


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13800003821", "*******3821"),
        ("138-0000-3821", "*******3821"),
        ("3821", "*******3821"),  # a tail alone is shown the same way as a whole number
        ("821", "***********"),  # fewer than 4 digits: nothing of them is shown
        ("", "***********"),
        (None, "***********"),
    ],
)
def test_mask_phone(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked

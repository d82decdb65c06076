"""Invisible and control characters out, length capped, blank messages kept as blank messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.appkit import make_settings
from topup.textguard import clean_text


def test_plain_chinese_and_html_pass_unchanged() -> None:
    text = "话费一直显示正在充值 <img src=x onerror=alert(1)> 😀 KM20261127004215"
    cleaned = clean_text(text, 1000)
    assert cleaned.text == text
    assert not cleaned.cut and cleaned.removed == 0


@pytest.mark.parametrize(
    "invisible",
    ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f",
     "\u061c", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\x00", "\x07", "\x1b", "\x7f", "\x85",
     "\U000e0041", "\ud800"],
)
def test_bidi_zero_width_control_and_surrogates_removed(invisible: str) -> None:
    expected = "退\n款" if invisible == "\x85" else "退款"  # NEL is a line break
    assert clean_text(f"退{invisible}款", 1000).text == expected


def test_tab_becomes_space_and_line_breaks_become_newlines() -> None:
    assert clean_text("a\tb\r\nc\rd\u2028e", 100).text == "a b\nc\nd\ne"


def test_terminal_escape_cannot_survive() -> None:
    assert clean_text("\x1b[2J\x1b[31m假日志\x1b[0m", 100).text == "[2J[31m假日志[0m"


def test_cut_to_the_limit_and_reported() -> None:
    cleaned = clean_text("啊" * 10_000, 1000)
    assert cleaned.cut and len(cleaned.text) == 1000 and cleaned.original_length == 10_000


def test_limit_counts_characters_after_cleaning() -> None:
    cleaned = clean_text("\u200b" * 5000 + "好" * 10, 10)
    assert cleaned.text == "好" * 10 and not cleaned.cut and cleaned.removed == 5000


@pytest.mark.parametrize("text", ["", None, "\u202e\u200b\x00", "\t"])
def test_empty_after_cleaning_is_still_a_message(text: str | None) -> None:
    cleaned = clean_text(text, 1000)
    assert cleaned.text.strip() == "" and not cleaned.cut


def test_the_limit_is_always_given_by_the_caller() -> None:
    # No hidden default read from somewhere: the channel guard passes its settings' limit (below).
    with pytest.raises(TypeError):
        clean_text("一二三四五六七")  # type: ignore[call-arg]


def test_the_limit_callers_pass_comes_from_the_settings(tmp_path: Path) -> None:
    assert make_settings(tmp_path).max_message_chars == 1000  # unset (or empty): the default
    assert make_settings(tmp_path, TOPUP_MAX_MESSAGE_CHARS="").max_message_chars == 1000
    limit = make_settings(tmp_path, TOPUP_MAX_MESSAGE_CHARS="20").max_message_chars
    assert limit == 20
    cleaned = clean_text("一二三四五六七八九十" * 3, limit)
    assert cleaned.text == "一二三四五六七八九十" * 2 and cleaned.cut and cleaned.original_length == 30

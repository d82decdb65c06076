"""Text and entity-value normalisation for the Chinese NLU, in plain Python (no Rasa imports).

Text normalisation keeps the length of the text, character for character, so entity offsets
annotated on the raw training data (and reported by the extractors) stay valid.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml
import zhconv

from topup.order_number import MalformedOrderNumber, extract_phone_tail, normalise_order_number
from topup.text import fold_char, fold_width

RESOURCES = Path(__file__).resolve().parent / "resources"
_REPEATED_PUNCT = re.compile(r"([!?.,~。，！？、…~～])\1+")
_KEEP_SYMBOLS = {"¥", "$", "%", "#", "@", "&", "+", "-", "*", "/", "=", "<", ">"}


def _fold_char(char: str) -> str:
    """One character in, one character out: width-folded, invisible or pictographic ones blanked."""
    folded = fold_char(char)
    category = unicodedata.category(folded)
    if folded.isspace() or category in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp"):
        return " "  # control, bidi-override, zero-width and private-use characters
    if category in ("So", "Sk", "Sm") and folded not in _KEEP_SYMBOLS:
        return " "  # emoji and decorations: harmless blanks
    return folded


def normalise_text(text: str) -> str:
    """Full-width → half-width, traditional → simplified, noise blanked; same length as the input."""
    folded = "".join(_fold_char(c) for c in text)
    simplified = zhconv.convert(folded, "zh-cn")
    if len(simplified) != len(folded):  # a phrase mapping changed the length: convert char by char
        simplified = "".join(c if len(s := zhconv.convert(c, "zh-cn")) != 1 else s for c in folded)
    return _REPEATED_PUNCT.sub(lambda m: m.group(1) + " " * (len(m.group(0)) - 1), simplified)


_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
_AMOUNT = re.compile(r"(\d+(?:\.\d{1,2})?)|([零〇一二两三四五六七八九十百千万]+)")


def chinese_number(text: str) -> int | None:
    """一百 → 100, 五十 → 50, 十五 → 15, 两百五 → 250, 一千零五 → 1005; None when it is not a number."""
    total, section, digit, last_unit, zero = 0, 0, None, 1, False
    for char in text:
        if char in _DIGITS:
            digit, zero = (None, True) if _DIGITS[char] == 0 else (_DIGITS[char], zero)
        elif char in _UNITS:
            unit = _UNITS[char]
            if unit == 10000:
                total, section = (total + section + (digit or 0)) * unit, 0
            else:
                section += (1 if digit is None else digit) * unit
            digit, last_unit, zero = None, unit, False
        else:
            return None
    if digit is not None:  # a trailing digit: 两百五 is 250 (colloquial), 一百零五 is 105
        section += digit * (last_unit // 10) if last_unit >= 100 and not zero else digit
    return total + section


def parse_amount(text: str) -> float | None:
    """The money amount in an entity like 100元, ¥50, 50块钱, 一百块."""
    match = _AMOUNT.search(fold_width(text))
    if not match:
        return None
    if match.group(1):
        return float(match.group(1))
    value = chinese_number(match.group(2))
    return None if value is None else float(value)


@lru_cache(maxsize=1)
def synonyms() -> dict[str, dict[str, str]]:
    """entity → {lowercased variant: canonical value}, from resources/entities.yml."""
    table = yaml.safe_load((RESOURCES / "entities.yml").read_text(encoding="utf-8"))
    return {
        label: {variant.lower(): canonical for canonical, variants in values.items() for variant in variants}
        for label, values in table.items()
    }


def normalise_entity(entity: str, value: str) -> object:
    """The canonical slot value for an extracted entity; the raw text when it cannot be normalised."""
    if entity == "order_id":
        try:
            return normalise_order_number(value).value
        except MalformedOrderNumber:
            return value
    if entity == "phone_last4":
        return extract_phone_tail(value) or value
    if entity == "amount":
        amount = parse_amount(value)
        if amount is None:
            return value
        return int(amount) if amount.is_integer() else amount
    table = synonyms().get(entity)
    if table is not None:
        return table.get(fold_width(value).lower(), value)
    return value

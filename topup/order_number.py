"""Order numbers and phone tails as customers type them: the same number many ways."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from topup.patterns import MASKED_CARD, ORDER_IN_TEXT, ORDER_MALFORMED
from topup.text import fold_width

ORDER_PREFIX = "KM"
_SEPARATORS = re.compile(r"[\s\-_—–·.、,，:：#＃/]+")
_CANONICAL = re.compile(r"^KM(\d{8})(\d{6})$", re.ASCII)
_DIGITS_ONLY = re.compile(r"^\d{14}$", re.ASCII)


class MalformedOrderNumber(ValueError):
    """The text is meant as an order number but cannot be one."""


@dataclass(frozen=True)
class OrderNumber:
    """A syntactically valid order number, always in canonical form (KM + 14 digits)."""

    value: str

    def __str__(self) -> str:
        return self.value


def normalise_order_number(raw: str) -> OrderNumber:
    """Return the canonical order number, or raise MalformedOrderNumber.

    Accepts KM20261127004215, km 2026 1127 004215, KM-20261127-004215, full-width
    characters and the 14 digits alone. The 8 digits after KM must be a real date.
    """
    if raw is None:
        raise MalformedOrderNumber("empty")
    text = _SEPARATORS.sub("", fold_width(str(raw)).upper())[:64]
    if _DIGITS_ONLY.match(text):
        text = ORDER_PREFIX + text
    match = _CANONICAL.match(text)
    if not match:
        raise MalformedOrderNumber(text)
    day = match.group(1)
    try:
        date(int(day[:4]), int(day[4:6]), int(day[6:8]))
    except ValueError as exc:
        raise MalformedOrderNumber(text) from exc
    return OrderNumber(text)


def find_order_number_text(text: str) -> str | None:
    """The first substring of free text that looks meant as an order number, if any (width-folded)."""
    folded = fold_width(text)
    match = ORDER_IN_TEXT.search(folded) or ORDER_MALFORMED.search(folded)
    return match.group(0).strip() if match else None


_TAIL = re.compile(r"(?<!\d)(\d{4}|1\d{10})(?!\d)")


def extract_phone_tail(text: str | None) -> str | None:
    """The 4-digit phone tail a customer typed (or the last 4 of a full 11-digit number)."""
    folded = fold_width(text)
    folded = MASKED_CARD.sub(" ", folded)  # 622202*********0123 is a card, not a tail 0123
    folded = re.sub(r"(?<=\d)[\s\-](?=\d)", "", folded)
    found = _TAIL.findall(folded)
    if len(found) != 1:
        return None
    return found[0][-4:]

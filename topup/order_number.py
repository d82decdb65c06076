"""Order numbers and phone tails as customers type them: the same number many ways."""

from __future__ import annotations

import re
from collections.abc import Iterable
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


@dataclass(frozen=True)
class FoundOrders:
    """The order numbers in one message, in the order typed (canonical, each once)."""

    numbers: tuple[str, ...] = ()
    malformed: bool = False  # nothing valid, but something meant as an order number ("KM2026112")
    spans: tuple[tuple[int, int], ...] = ()  # where they are in the width-folded text


def find_order_numbers(text: str | None, entity_values: Iterable[object] = ()) -> FoundOrders:
    """Every valid order number in free text, whatever its grouping, plus the NLU's order entities."""
    folded = fold_width(text)
    numbers: list[str] = []
    spans: list[tuple[int, int]] = []
    candidates = [(m.group(0), m.span()) for m in ORDER_IN_TEXT.finditer(folded)]
    candidates += [(value, None) for value in entity_values if isinstance(value, str)]
    for candidate, span in candidates:
        try:
            number = normalise_order_number(candidate).value
        except MalformedOrderNumber:
            continue
        if span is not None:
            spans.append(span)
        if number not in numbers:
            numbers.append(number)
    malformed = not numbers and bool(ORDER_MALFORMED.search(folded))
    return FoundOrders(tuple(numbers), malformed, tuple(spans))


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


_TAIL_MARKED = re.compile(r"(尾号|后四位|后4位|后4个数|末四位|末4位|号码后四位)[是为:：\s]*(\d{4})(?!\d)")
_MOBILE_MASKED = re.compile(r"\*{7}(\d{4})(?!\d)")  # a mobile number as the channel guard masks it
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_FOUR = re.compile(r"(?<![\d.])(\d{4})(?![\d.])")
# Numbers that are something else: an amount ("1000块", "充了1000", "¥50"), a quantity in a product's name
# ("创世结晶6480", "6480点券"), a time, a date.
# Money may stand apart from its unit ("1000 块"); a quantity is glued to its product ("6480点券", "结晶6480"), so a
# tail written next to a product word with a space ("2233 Q币没到") stays a tail.
_NOT_A_TAIL = re.compile(
    r"\d+(\.\d+)?\s*(元|块|圆|rmb|RMB|¥|美元)|\d+(\.\d+)?(个|点券|钻石|金币|钻|点|张|次|分钟|秒|小时|天|年|月|日|号|w|万|Q币|q币|币)"
    r"|[¥$]\s*\d+|(充了|充值|付了|花了|扣了|扣款|转了|价格|金额|面值|买了)\s*\d+|\d{1,2}[:：]\d{2}|(20\d\d)[-/年.]\d{1,2}"
    r"|(结晶|钻石|点券|金币|元宝|原石|月卡|会员|套餐|流量|礼包|皮肤|宝石|水晶|代币|游戏币|点卡|话费|Q币|q币)\d+"
)
NOT_A_TAIL = _NOT_A_TAIL  # amounts, quantities, times, dates: read by the other proofs too (topup/sources/proof.py)
_SPACED_TAIL = re.compile(r"(?<![\d\s])\s*(\d)\s(\d)\s(\d)\s(\d)\s*(?![\d\s])")


def phone_tail_in(text: str | None, skip: Iterable[tuple[int, int]] = (), hint: object = None) -> str | None:
    """The phone tail in free text: said as one ("尾号3821"), the last 4 of a mobile number, or the only plain
    4-digit number that is nothing else. `skip` are spans of the width-folded text that are not tails (order
    numbers); `hint` is the NLU's tail entity, used when it is such a plain number."""
    folded = fold_width(text)
    chars = list(folded)
    for start, end in skip:  # not blanks: a product word before the order number must not reach the tail after it
        chars[start:end] = "#" * (end - start)
    rest = MASKED_CARD.sub("#", "".join(chars))  # 622202*********0123 is a card, not a tail 0123
    marked = _TAIL_MARKED.search(rest)
    if marked:
        return marked.group(2)
    for pattern in (_MOBILE_MASKED, _MOBILE):
        found = set(pattern.findall(rest))
        if len(found) == 1:
            return found.pop()[-4:]
    plain = set(_FOUR.findall(_NOT_A_TAIL.sub("#", rest)))
    if isinstance(hint, str) and re.fullmatch(r"\d{4}", hint) and (hint in plain or hint not in folded):
        return hint  # the NLU's tail where the words agree, or given as a value (a button's payload)
    if len(plain) == 1:
        return plain.pop()
    spaced = _SPACED_TAIL.fullmatch(rest.strip()) if not plain else None  # "2 2 3 3"
    return "".join(spaced.groups()) if spaced else None

"""Order numbers of each platform as customers type them: found in free text, in any grouping, never mistaken.

One `OrderFormat` per platform (docs/PLATFORMS.md, "Order numbers"):

- `km`: the built-in schema's KM + 14 digits (topup.order_number: the date inside is checked);
- `dujiaoka`: 16 letters and digits (`Str::random(16)`, upper or mixed case); at least one digit, or typed as one
  run of 16 capital letters, so ordinary words are never order numbers;
- `acgfaka`: 18 digits, 3 random + the order's time as yymmddHHMMSS + 3 random, so the time inside is checked: a
  resident ID, a bank card or a phone number is never one (and one is never masked as a card).

Every format accepts spaces, dashes and other separators between any characters, full width, lowercase, and
the number glued into a Chinese sentence; the trained NLU is not needed for any of it (its order entity is used
only as one more candidate), so a site's format needs no retraining.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, time

from topup.order_number import FoundOrders, find_order_numbers
from topup.patterns import ORDER_IN_TEXT, ORDER_MALFORMED
from topup.text import fold_width

# Separators people put inside a number they retype; a Chinese character, punctuation or a line break ends it.
_SEP = r"[ \t\-_—–·.]{1,3}"
# Runs of letters and digits joined by a few separators: where an order number of any format can hide.
_RUN = re.compile(rf"[A-Za-z0-9]+(?:{_SEP}[A-Za-z0-9]+)*")
_TOKEN = re.compile(r"[A-Za-z0-9]+")


@dataclass(frozen=True)
class OrderFormat:
    """How one platform's order numbers look, and how the conversation talks about them."""

    name: str
    shape: str  # how the customer is told what to look for ("KM 开头的 16 位")
    example: str

    def find(self, text: str | None, entity_values: Iterable[object] = ()) -> FoundOrders:
        raise NotImplementedError

    def keep(self, folded: str) -> list[tuple[int, int]]:
        """Spans of width-folded text that are order numbers: never masked as a card or a phone number."""
        return list(self.find(folded).spans)

    def normalise(self, raw: str) -> str | None:
        """The canonical number, or None when `raw` is not one."""
        found = self.find(raw)
        return found.numbers[0] if len(found.numbers) == 1 else None

    def values(self) -> dict[str, str]:
        """What the sentences about order numbers show (domain.yml: {order_shape}, {order_example})."""
        return {"order_shape": self.shape, "order_example": self.example}


class KmFormat(OrderFormat):
    def find(self, text: str | None, entity_values: Iterable[object] = ()) -> FoundOrders:
        return find_order_numbers(text, entity_values)

    def keep(self, folded: str) -> list[tuple[int, int]]:
        return [m.span() for pattern in (ORDER_IN_TEXT, ORDER_MALFORMED) for m in pattern.finditer(folded)]


def _windows(run: str, offset: int, length: int) -> Iterable[tuple[str, int, int, int]]:
    """Consecutive tokens of one run whose letters and digits add up to `length`: (joined, start, end, tokens)."""
    tokens = [(m.group(0), offset + m.start(), offset + m.end()) for m in _TOKEN.finditer(run)]
    for i in range(len(tokens)):
        total = 0
        for j in range(i, len(tokens)):
            total += len(tokens[j][0])
            if total == length:
                yield "".join(t[0] for t in tokens[i:j + 1]), tokens[i][1], tokens[j][2], j - i + 1
            if total >= length:
                break


class _TokenFormat(OrderFormat):
    """A fixed number of letters/digits, found as windows of the runs of a message; earliest, widest first."""

    length: int = 0

    def accept(self, joined: str, tokens: int, whole: bool) -> str | None:
        raise NotImplementedError

    def meant(self, joined: str) -> bool:
        """Whether a run that is not a valid number still looks meant as one (a malformed number)."""
        raise NotImplementedError

    def find(self, text: str | None, entity_values: Iterable[object] = ()) -> FoundOrders:
        folded = fold_width(text)
        numbers: list[str] = []
        spans: list[tuple[int, int]] = []
        malformed = False
        stripped = folded.strip()
        for run in _RUN.finditer(folded):
            taken_until = run.start()
            for joined, start, end, tokens in _windows(run.group(0), run.start(), self.length):
                if start < taken_until:
                    continue
                whole = run.group(0) == stripped and tokens == 1
                number = self.accept(joined, tokens, whole)
                if number is None:
                    continue
                spans.append((start, end))
                taken_until = end
                if number not in numbers:
                    numbers.append(number)
            if taken_until == run.start() and self.meant(re.sub(r"[^A-Za-z0-9]", "", run.group(0))):
                malformed = True
        for value in entity_values:
            if isinstance(value, str) and (number := self.normalise_value(value)) and number not in numbers:
                numbers.append(number)
        return FoundOrders(tuple(numbers), malformed and not numbers, tuple(spans))

    def normalise_value(self, value: str) -> str | None:
        joined = re.sub(r"[^A-Za-z0-9]", "", fold_width(value))
        return self.accept(joined, 1, True) if len(joined) == self.length else None

    def normalise(self, raw: str) -> str | None:
        return self.normalise_value(raw or "")


class DujiaokaFormat(_TokenFormat):
    """16 letters and digits; the platform stores upper or mixed case and its column compares without case."""

    length = 16

    def accept(self, joined: str, tokens: int, whole: bool) -> str | None:
        if not joined.isascii() or not joined.isalnum():
            return None
        digits = sum(c.isdigit() for c in joined)
        if digits == len(joined):
            return None  # 16 digits: a bank card, never a dujiaoka number
        if digits == 0 and not (tokens == 1 and joined.isupper()):
            return None  # a run of letters: a word, unless typed unbroken in capitals
        return joined.upper()

    def meant(self, joined: str) -> bool:
        letters = sum(c.isalpha() for c in joined)
        digits = sum(c.isdigit() for c in joined)
        return 12 <= len(joined) <= 22 and letters >= 2 and digits >= 2


def _acg_time(digits: str) -> bool:
    """Digits 4-15 of an acg-faka number are when it was made (yymmddHHMMSS)."""
    stamp = digits[3:15]
    try:
        date(2000 + int(stamp[0:2]), int(stamp[2:4]), int(stamp[4:6]))
        time(int(stamp[6:8]), int(stamp[8:10]), int(stamp[10:12]))
    except ValueError:
        return False
    return True


class AcgFakaFormat(_TokenFormat):
    """18 digits with the time of the order inside."""

    length = 18

    def accept(self, joined: str, tokens: int, whole: bool) -> str | None:
        if not (joined.isascii() and joined.isdigit()) or not _acg_time(joined):
            return None
        return joined

    def meant(self, joined: str) -> bool:
        # 15-22 digits: meant as an order number (a card would have been masked before this is read)
        return joined.isdigit() and 15 <= len(joined) <= 22 and len(joined) != self.length


FORMATS: dict[str, OrderFormat] = {
    "km": KmFormat("km", "KM 开头的 16 位", "KM20261127004215"),
    "dujiaoka": DujiaokaFormat("dujiaoka", "16 位字母和数字", "8EQ6ZL2OFA3TRD4K"),
    "acgfaka": AcgFakaFormat("acgfaka", "18 位数字", "512261204153012734"),
}

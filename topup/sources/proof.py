"""What proves an order is the customer's, per platform, and reading it from what they type.

- `tail` (the built-in schema): the last 4 digits of the phone number given at the order;
- `email` (dujiaoka): the email given at the order (compared without case), or the order's query password;
- `contact` (acg-faka): the contact given at the order (a QQ number, an email, a phone number: a phone number
  reaches the assistant masked as *******5678, so its last 4 digits stand for it), or the query password.

The proof is compared by the order source itself (for the platforms in SQL: it is never read out of their
database) and never echoed back: the conversation shows only that it was given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

from topup.order_number import NOT_A_TAIL, phone_tail_in
from topup.text import fold_width


class Proof(str, Enum):
    TAIL = "tail"
    EMAIL = "email"
    CONTACT = "contact"


EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
_QQ = re.compile(r"(?:QQ|qq|扣扣)\s*(?:号|号码)?\s*(?:是|为|[:：])?\s*(\d{5,12})(?!\d)")
_PASSWORD = re.compile(r"(?:查询密码|密码)\s*(?:是|为|[:：])?\s*([!-~]{1,32})")
_CONTACT = re.compile(r"(?:联系方式|联系人|联系电话|下单时填的?|留的?)\s*(?:是|为|[:：])?\s*([!-~]{3,32})")
# A message that is only a value: what is typed when the assistant has just asked for the password/contact.
_ONLY_VALUE = re.compile(r"[!-~]{4,64}")
_NUMBER = re.compile(r"(?<![\d.*#])\d{5,12}(?![\d.])")  # a QQ number given beside the order number
_WORDS = re.compile(r"ok|okay|yes|no|hi|hello|help|thanks|thx|bye|sorry|test|human|refund|what|why", re.IGNORECASE)


def _only_value(text: str) -> str | None:
    """The whole message as a value (a password, a QQ number), when nothing else could be meant."""
    if not _ONLY_VALUE.fullmatch(text) or _WORDS.fullmatch(text) or text.startswith("/"):
        return None
    if any(c.isdigit() for c in text) or len(text) >= 6:
        return text
    return None


def read_proof(kind: Proof, text: str | None, skip: Iterable[tuple[int, int]] = (), hint: object = None,
               awaiting: bool = False) -> str | None:
    """The proof in one message, if it gives one. `skip`: spans of the width-folded text that are order numbers;
    `hint`: the NLU's tail entity; `awaiting`: the assistant has just asked for the proof, so a message that is
    only a value is one."""
    skip = tuple(skip)
    if kind is Proof.TAIL:
        return phone_tail_in(text, skip, hint)
    folded = fold_width(text)
    chars = list(folded)
    for start, end in skip:
        chars[start:end] = " " * (end - start)
    rest = "".join(chars)
    if email := EMAIL.search(rest):
        return email.group(0).lower()
    if password := _PASSWORD.search(rest):
        return password.group(1)
    if kind is Proof.CONTACT:
        if qq := _QQ.search(rest):
            return qq.group(1)
        if contact := _CONTACT.search(rest):
            return contact.group(1)
        if tail := phone_tail_in(rest, (), hint):
            return tail  # a phone number as contact (masked on the way in), or its tail
        numbers = set(_NUMBER.findall(NOT_A_TAIL.sub("#", rest))) if skip else set()
        if len(numbers) == 1:
            return numbers.pop()  # "订单号 12345678": the one other number beside the order is its contact
    if awaiting:
        return _only_value(rest.strip())
    return None

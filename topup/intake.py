"""What a customer's message gives: an order number (or something meant as one) and a phone tail.

One reading for every place that needs it: the order-verification action, and the Rasa server's apology
when the action server cannot answer (so what the customer gave is kept for their next message).
"""

from __future__ import annotations

from dataclasses import dataclass

from topup.order_number import MalformedOrderNumber, extract_phone_tail, find_order_number_text, normalise_order_number
from topup.text import fold_width


@dataclass(frozen=True)
class Given:
    order_text: str | None = None  # the text that looked meant as an order number
    order_no: str | None = None  # its canonical form, when it is a valid order number
    phone_tail: str | None = None

    @property
    def malformed_order(self) -> bool:
        return self.order_text is not None and self.order_no is None


def entity_text(value: object) -> str | None:
    """An entity value as text. Anyone can type `/inform{"order_id": [1]}`, and Rasa passes any JSON value on."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) else None


def read_message(text: str | None, order_entity: object = None, tail_entity: object = None) -> Given:
    """The order number and tail in one message: the NLU's entities first, else the text itself.

    The tail is looked for in the text without the order number, so a number's last digits are no tail.
    """
    folded = fold_width(text)
    order_text = fold_width(entity_text(order_entity)) or find_order_number_text(folded)
    order_no = None
    if order_text:
        try:
            order_no = normalise_order_number(order_text).value
        except MalformedOrderNumber:
            order_no = None
    rest = folded.replace(order_text, " ") if order_text else folded
    tail = extract_phone_tail(entity_text(tail_entity) or rest)
    return Given(order_text or None, order_no, tail)

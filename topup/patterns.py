"""The shapes of numbers customers type, defined once for every reader (order numbers, masking, NLU, tails).

Apply them to width-folded text (topup.text.fold_width).
"""

from __future__ import annotations

import re

# Separators customers put inside an order number: spaces and dashes.
ORDER_SEPARATOR = r"[\s\-]*"
# KM (optional) + 14 digits, whole or split 8+6 or 4+4+6, not glued to other letters or digits.
_SHAPES = (rf"(?:[0-9]{{14}}|[0-9]{{8}}{ORDER_SEPARATOR}[0-9]{{6}}"
           rf"|[0-9]{{4}}{ORDER_SEPARATOR}[0-9]{{4}}{ORDER_SEPARATOR}[0-9]{{6}})(?![0-9])")
ORDER_IN_TEXT = re.compile(rf"(?<![A-Za-z0-9])(?:KM{ORDER_SEPARATOR})?{_SHAPES}", re.IGNORECASE)
# KM followed by digits of any other shape: meant as an order number, but malformed (it still gets its answer).
ORDER_MALFORMED = re.compile(r"(?<![A-Za-z])KM[ \t\-]*[0-9]+(?:[ \t\-]{1,3}[0-9]+)*", re.IGNORECASE)
# A card as topup.pii masks it (first 6 and last 4 digits kept): its last 4 digits are not a phone tail.
MASKED_CARD = re.compile(r"[0-9]{6}\*{5,9}[0-9]{4}")

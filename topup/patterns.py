"""The shapes of numbers customers type, defined once for every reader (order numbers, masking, tails).

Apply them to width-folded text (topup.text.fold_width).
"""

from __future__ import annotations

import re

# An order number inside free text: KM (its letters may be spaced, "K M") and 14 digits in any grouping
# ("KM 2026 1127 0042 15", "K M 2 0 2 6 …", dashes), or the 14 digits alone starting with the year (20…), grouped
# or not. Not glued to other letters or digits. topup.order_number checks the date inside.
ORDER_IN_TEXT = re.compile(
    r"(?<![A-Za-z0-9])(?:K[ \t]*M[ \t\-]*(?:[0-9][ \t\-]*){13}[0-9]|20[0-9]{2}(?:[ \t\-]*[0-9]){10})(?![0-9])",
    re.IGNORECASE,
)
# KM followed by digits of any other shape: meant as an order number, but malformed (it still gets its answer).
ORDER_MALFORMED = re.compile(r"(?<![A-Za-z])K[ \t]*M[ \t\-]*[0-9]+(?:[ \t\-]{1,3}[0-9]+)*", re.IGNORECASE)
# A card as topup.pii masks it (first 6 and last 4 digits kept): its last 4 digits are not a phone tail.
MASKED_CARD = re.compile(r"[0-9]{6}\*{5,9}[0-9]{4}")
# The customer saying money left their account ("扣了", "钱被扣了", "已经付了"), not "没扣款" (callers check that
# it is a statement, not a question).
CLAIMS_DEBIT = re.compile(
    r"(?<!没)(?<!未)(?<!不)(?<!没有)扣(了|款|钱|费|掉|走)(?!失败|不成功|不了)|钱(已经|都|也)?(被)?扣"
    r"|(已经|都)付(了|款|过)|付了钱|付款成功"
)

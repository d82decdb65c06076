"""Text folding and sanitising shared by every reader of customer text: one implementation each."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


@lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    """Full-width (and other compatibility) forms to their plain form, one character for one character.

    Phones often type ＫＭ２０２６… or use the ideographic space; NFKC folds them. A character whose folded
    form would be longer than one character (㎏, ﬁ) stays as it is, so positions in folded text are
    positions in the original (entity offsets, masking spans).
    """
    folded = unicodedata.normalize("NFKC", char)
    return folded if len(folded) == 1 else char


def fold_width(text: str | None) -> str:
    """`fold_char` over the whole text: same length, full-width digits and letters made plain."""
    if not text:
        return ""
    if text.isascii():
        return text
    return "".join(fold_char(char) for char in text)


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]")


def printable(value: object, limit: int = 80) -> str:
    """A client-supplied value fit for one log line or a bounded column: control, line-break and bidi
    characters become "?" (no forged log lines, no text that displays differently), cut to `limit`."""
    return _UNPRINTABLE.sub("?", str(value)[:limit])

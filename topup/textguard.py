"""Clean what a customer typed before anything stores or reads it: invisible characters out, length capped.

Control characters can forge log lines and break terminals; bidi overrides and isolates make a message (or a
ticket transcript) display differently from what it says; zero-width and tag characters hide text from people
but not from the NLU. None of them is something a customer means to send. The length cap keeps one message
from costing the NLU, the tracker store and the ticket transcript more than a chat message should.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Named explicitly (the brief's list) on top of the general category rules below, so the intent is readable.
_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e"
_EXPLICIT = frozenset(_BIDI + _ZERO_WIDTH)
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


@dataclass(frozen=True)
class CleanText:
    text: str
    cut: bool  # longer than the limit after cleaning; only the first `limit` characters are kept
    removed: int  # invisible or control characters taken out
    original_length: int  # after cleaning, before the cut


def _keep(ch: str) -> bool:
    if ch == "\n":
        return True
    if ch in _EXPLICIT:
        return False
    # Cc: C0/C1 controls. Cf: format characters (bidi, zero-width, soft hyphen, tag characters used to
    # smuggle hidden text). Cs: lone surrogates from JSON "\ud800", which no database or log can encode.
    return unicodedata.category(ch) not in ("Cc", "Cf", "Cs")


def clean_text(text: str | None, limit: int) -> CleanText:
    """Invisible and control characters removed (tab becomes a space, line breaks become \\n), then cut.

    An empty result is still a message: the caller passes it on and the assistant answers a blank message.
    """
    raw = "" if text is None else str(text)
    unified = _LINE_BREAKS.sub("\n", raw).replace("\t", " ")
    kept = "".join(ch for ch in unified if _keep(ch))
    removed = len(unified) - len(kept)
    cut = len(kept) > limit
    return CleanText(kept[:limit] if cut else kept, cut, removed, len(kept))

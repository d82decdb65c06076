"""Mask personal data in free text: bank-card numbers and Chinese mobile numbers, never order numbers.

Applied to every customer message at the channel door (rasa_plugins/channels/guard.py), to agent replies and ticket
fields, and to log records through ``PiiLogFilter``. Order numbers are left exactly as typed: "KM" + 14
digits in any form topup/order_number.py accepts (a bare 14-digit run included), and a KM-prefixed run of
any length, so a malformed one still gets the usual "that order number looks wrong" answer.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from topup.patterns import MASKED_CARD, ORDER_IN_TEXT, ORDER_MALFORMED
from topup.text import fold_width, printable

__all__ = ["MASKED_CARD", "Keep", "PiiLogFilter", "for_log", "install_log_filter", "mask_phone", "mask_pii"]

# Order numbers, as topup/order_number.py finds them in free text (malformed KM numbers included): never masked.
_PROTECTED = (ORDER_IN_TEXT, ORDER_MALFORMED)

# Runs of digit groups joined by a few spaces or dashes (not newlines: separate lines are separate numbers).
_GSEP = r"[ \t\-–—]{1,3}"
_RUN = re.compile(rf"(?<![0-9A-Za-z])[0-9]+(?:{_GSEP}[0-9]+)*[Xx]?(?![0-9A-Za-z])")
_GROUP = re.compile(r"[0-9]+[Xx]?")
_CARD_DIGITS = range(15, 20)
_CARD_GROUP = range(3, 7)  # 4-4-4-4(-3), 4-6-5, 6-6-6...: a grouped card never has 1-2 or 7+ digit groups

_MOBILE = re.compile(
    r"(?<![0-9A-Za-z+])(?:(?:\+|00)?86[ \-]?)?(1[3-9][0-9])([ \-]?)([0-9]{4})\2([0-9]{4})(?![0-9A-Za-z])"
)

_BLANK = "\x00"  # fills masked and protected spans in the working copy: not a digit, so a boundary


def mask_phone(phone: str | None) -> str:
    """A phone number (or its tail) as every place shows it: *******5678."""
    digits = re.sub(r"\D", "", phone or "")
    return "*" * 7 + (digits[-4:] if len(digits) >= 4 else "****")


def for_log(value: object, limit: int = 80) -> str:
    """A client-supplied value fit for a log line or a bounded column: printable, bounded, PII masked."""
    return mask_pii(printable(value, limit))


def _mask_card(digits: str) -> str:
    """First 6 and last 4 digits kept, as card issuers print them; the rest masked."""
    return digits[:6] + "*" * (len(digits) - 10) + digits[-4:]


def _is_card(group: str) -> bool:
    """One unbroken 15-19 digit run, or an 18-character resident ID ending in X (same masking)."""
    if group[-1] in "Xx":
        return len(group) == 18
    return len(group) in _CARD_DIGITS


def _card_spans(work: str) -> list[tuple[int, int, str]]:
    spans: list[tuple[int, int, str]] = []
    for run in _RUN.finditer(work):
        groups = list(_GROUP.finditer(run.group(0)))
        digits = "".join(g.group(0) for g in groups)
        grouped = len(groups) > 1 and all(len(g.group(0)) in _CARD_GROUP for g in groups)
        if grouped and len(digits) in _CARD_DIGITS and digits.isdigit():
            spans.append((run.start(), run.end(), _mask_card(digits)))
            continue
        for group in groups:  # a card typed unbroken next to other numbers ("2026-11-28 6222...")
            if _is_card(group.group(0)):
                start = run.start() + group.start()
                spans.append((start, start + len(group.group(0)), _mask_card(group.group(0))))
    return spans


def _blank(work: str, spans: list[tuple[int, int]]) -> str:
    chars = list(work)
    for start, end in spans:
        chars[start:end] = _BLANK * (end - start)
    return "".join(chars)


Keep = Callable[[str], list[tuple[int, int]]]  # spans of width-folded text never masked (a platform's orders)


def mask_pii(text: str | None, keep: Keep | None = None) -> str:
    """The text with card numbers as 622202*********0123 and mobile numbers as *******5678.

    Amounts, 4-digit phone tails, dates and order numbers (in every form customers type them) stay: the built-in
    KM numbers always, a platform's own (an acg-faka number has 18 digits, like a card) through `keep`
    (topup.sources.formats.OrderFormat.keep).
    """
    if not text:
        return text or ""
    work = fold_width(text)
    if sum(ch.isdigit() for ch in work) < 11:  # nothing to mask: no card or mobile is shorter
        return text
    kept = [m.span() for pattern in _PROTECTED for m in pattern.finditer(work)] + (keep(work) if keep else [])
    work = _blank(work, kept)
    replacements = _card_spans(work)
    work = _blank(work, [(start, end) for start, end, _ in replacements])
    for match in _MOBILE.finditer(work):
        replacements.append((match.start(), match.end(), mask_phone(match.group(4))))
    out = text
    for start, end, masked in sorted(replacements, reverse=True):
        out = out[:start] + masked + out[end:]
    return out


_TRACEBACKS = logging.Formatter()


class PiiLogFilter(logging.Filter):
    """Masks card and mobile numbers in a record's final message, whatever logger or library wrote it.

    Installed on handlers (not loggers), so records propagated from any logger pass through it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is the caller's bug; let the handler report it
            return True
        masked = mask_pii(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            # Formatters cache the traceback text here and reuse it, so masking it now covers every handler.
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_pii(record.exc_text)
        return True


def install_log_filter(logger: logging.Logger | None = None) -> None:
    """Put one PiiLogFilter on each handler of the logger (the root logger by default); idempotent."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PiiLogFilter) for f in handler.filters):
            handler.addFilter(PiiLogFilter())

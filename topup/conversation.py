"""Reading a conversation's event log (plain dicts, as Rasa stores them) for the handoff."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

COMPLAINT_INTENTS = frozenset(
    {
        "recharge_stuck",
        "charged_not_received",
        "payment_failed",
        "duplicate_charge",
        "refund_request",
        "check_order_status",
    }
)
MAX_TEXT = 2000  # per message kept in a ticket


def _intent(event: dict) -> str | None:
    return ((event.get("parse_data") or {}).get("intent") or {}).get("name")


def _at(event: dict) -> str | None:
    stamp = event.get("timestamp")
    if stamp is None:
        return None
    return datetime.fromtimestamp(float(stamp), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


EXTERNAL = "EXTERNAL: "  # Rasa's text of an event the system triggered (an order changed): not the customer's


def user_events(events: Iterable[dict]) -> list[dict]:
    """What the customer typed or tapped (not the events the system triggered in their conversation)."""
    return [e for e in events if e.get("event") == "user" and not (e.get("text") or "").startswith(EXTERNAL)]


def transcript(events: Iterable[dict]) -> list[dict]:
    """Every customer and assistant message so far, in order, with its time."""
    lines = []
    for event in events:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        text = (event.get("text") or "").strip()
        if not text or (kind == "user" and text.startswith(EXTERNAL.strip())):
            continue
        entry = {"role": "customer" if kind == "user" else "assistant", "text": text[:MAX_TEXT], "at": _at(event)}
        if kind == "user":
            entry["intent"] = _intent(event)
        lines.append(entry)
    return lines


def customer_description(events: Iterable[dict]) -> str:
    """The customer's own words about the problem: their complaint messages (else their first messages)."""
    users = [e for e in user_events(events) if (e.get("text") or "").strip() and not e["text"].startswith("/")]
    chosen = [e for e in users if _intent(e) in COMPLAINT_INTENTS or _intent(e) == "express_frustration"]
    chosen = chosen or users[:3]
    return " / ".join(e["text"].strip()[:MAX_TEXT] for e in chosen)


def frustration(events: Iterable[dict]) -> int:
    return sum(1 for e in user_events(events) if _intent(e) == "express_frustration")

"""Reading a conversation's event log (plain dicts, as Rasa stores them) for the handoff."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from topup.dialogue.responses import button_titles

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


def _buttons(event: dict) -> list[dict]:
    buttons = (event.get("data") or {}).get("buttons") or []
    return [b for b in buttons if isinstance(b, dict)]


def tapped_title(payload: str, buttons: Iterable[dict] = ()) -> str | None:
    """The title of the button whose payload this is: the buttons the customer was shown, else the domain's."""
    payload = payload.strip()
    for button in buttons:
        if str(button.get("payload") or "").strip() == payload and button.get("title"):
            return str(button["title"])
    return button_titles().get(payload)


def shown_text(text: str, events: Iterable[dict]) -> str:
    """What the customer saw themselves send: a tapped button's title, never its payload ("/deny")."""
    if not text.startswith("/"):
        return text
    shown: list[dict] = []
    for event in events:
        if event.get("event") == "bot":
            shown = _buttons(event) or shown
    return tapped_title(text, shown) or text


def transcript(events: Iterable[dict]) -> list[dict]:
    """Every customer and assistant message so far, in order, with its time, in the customer's own words: a
    tapped quick reply is its title (the payload stays on the line as `payload`)."""
    lines = []
    buttons: list[dict] = []  # the quick replies the customer had on screen
    for event in events:
        kind = event.get("event")
        if kind not in ("user", "bot"):
            continue
        if kind == "bot" and _buttons(event):
            buttons = _buttons(event)
        text = (event.get("text") or "").strip()
        if not text or (kind == "user" and text.startswith(EXTERNAL.strip())):
            continue
        entry = {"role": "customer" if kind == "user" else "assistant", "text": text[:MAX_TEXT], "at": _at(event)}
        if kind == "user":
            entry["intent"] = _intent(event)
            title = tapped_title(text, buttons) if text.startswith("/") else None
            if title is not None:
                entry["text"], entry["payload"] = title, text[:MAX_TEXT]
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

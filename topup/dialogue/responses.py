"""The assistant's sentences, read from the domain's responses (domain.yml), rendered as Rasa renders them.

The engine needs the text itself for one rule: never the same sentence three times in one conversation. A
response whose values differ (another ticket, another waiting time) is another sentence; the same response with
the same values is the same sentence. The text stays in domain.yml, where Rasa reads it too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from topup.dialogue.model import Case

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


class MissingValue(KeyError):
    """A response was asked for without a value its text needs."""


def template_values(values: Mapping[str, Any]) -> dict[str, str]:
    """The values a template reads, as text: a missing one shows as empty, never as "None"."""
    return {k: ("" if v is None else v if isinstance(v, str) else str(v)) for k, v in values.items()
            if isinstance(k, str) and k.isidentifier()}


@lru_cache(maxsize=4)
def catalogue(path: Path = DOMAIN) -> dict[str, str]:
    """Each response's text (the first variation: every response of this domain has one)."""
    domain = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: variations[0].get("text", "") for name, variations in (domain.get("responses") or {}).items()}


@lru_cache(maxsize=4)
def button_titles(path: Path = DOMAIN) -> dict[str, str]:
    """Each quick-reply payload the domain's buttons send and the one title it always has: a payload with several
    titles ("/deny" is 还是不行 here, 先不用 there) gets its most frequent one (the buttons the customer was shown,
    when known, name it exactly: topup.conversation.tapped_title)."""
    domain = yaml.safe_load(path.read_text(encoding="utf-8"))
    counts: dict[str, dict[str, int]] = {}
    for variations in (domain.get("responses") or {}).values():
        for variation in variations or []:
            for button in variation.get("buttons") or []:
                if button.get("payload") and button.get("title"):
                    names = counts.setdefault(str(button["payload"]).strip(), {})
                    names[str(button["title"])] = names.get(str(button["title"]), 0) + 1
    return {payload: min(names, key=lambda n: (-names[n], len(n), n)) for payload, names in counts.items()}


def variables(response: str) -> frozenset[str]:
    return frozenset(_PLACEHOLDER.findall(catalogue().get(response, "")))


def render(response: str, values: Mapping[str, Any], strict: bool = False) -> str:
    """The text of `response` with its values filled in. A value it needs and does not get: MissingValue when
    `strict`, else the text as written (what Rasa shows then)."""
    text = catalogue().get(response)
    if text is None:
        raise KeyError(f"no response {response!r} in {DOMAIN.name}")
    filled = template_values(values)
    missing = variables(response) - filled.keys()
    if missing:
        if strict:
            raise MissingValue(f"{response} needs {sorted(missing)}")
        return text
    return _PLACEHOLDER.sub(lambda m: filled[m.group(1)], text)


def sentence_key(response: str, values: Mapping[str, Any]) -> str:
    """A short key of the rendered sentence: equal keys, equal text."""
    return hashlib.sha256(render(response, values).encode("utf-8")).hexdigest()[:12]


# --- never the same sentence three times ---------------------------------------------------------------------

MAX_SAID = 2  # no sentence three times in one conversation
# Other wordings of a response, tried in order once its sentence has been said twice already.
ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "utter_you_are_welcome": ("utter_you_are_welcome_again",),
    "utter_anything_else": ("utter_anything_else_again",),
    "utter_how_can_help": ("utter_how_can_help_again", "utter_how_can_help_short"),
    "utter_trying_ack": ("utter_trying_ack_again", "utter_trying_ack_short"),
    "utter_empathy": ("utter_empathy_again", "utter_empathy_short"),
    "utter_empathy_ticket": ("utter_empathy_ticket_again",),
    "utter_ticket_status_waiting": ("utter_ticket_status_waiting_again",),
    "utter_ticket_status_taken": ("utter_ticket_status_taken_again",),
    "utter_ticket_status_unknown": ("utter_ticket_status_unknown_again",),
    "utter_ticket_reminder": ("utter_ticket_reminder_again",),
    "utter_iamabot": ("utter_iamabot_again",),
    "utter_out_of_scope": ("utter_out_of_scope_again",),
    "utter_greet_again": ("utter_greet_short",),
    "utter_case_stays_open": ("utter_case_stays_open_again",),
    "utter_come_back_open": ("utter_case_stays_open_again",),
    "utter_offer_human": ("utter_offer_human_again", "utter_offer_human_last"),
    "utter_glad": ("utter_glad_again",),
    "utter_goodbye": ("utter_goodbye_again",),
    "utter_goodbye_ticket": ("utter_goodbye_ticket_again",),
    "utter_prevention": ("utter_prevention_again",),
    "utter_rating_not_asked": ("utter_you_are_welcome_again",),
    "utter_verify_locked_still": ("utter_verify_locked_still_again",),
    "utter_contact": ("utter_contact_again",),
    "utter_contact_online": ("utter_contact_again",),
    "utter_why_tail": ("utter_why_tail_again",),
    "utter_ask_order_for_human": ("utter_ask_order_for_human_again",),
    "utter_ask_phone_last4": ("utter_ask_phone_last4_again", "utter_ask_phone_last4_for"),
    "utter_ask_phone_last4_again": ("utter_ask_phone_last4_for",),
    "utter_ask_order_id": ("utter_ask_order_id_again", "utter_ask_order_id_short"),
    "utter_ask_order_id_again": ("utter_ask_order_id_short",),
    "utter_rephrase": ("utter_rephrase_help", "utter_rephrase_short"),
    "utter_rephrase_help": ("utter_rephrase_short",),
    "utter_phone_last4_invalid": ("utter_phone_last4_invalid_again",),
    "utter_greet": ("utter_greet_again", "utter_greet_short"),
    "utter_eta_need_order": ("utter_eta_need_order_again",),
    "utter_refund_need_order": ("utter_refund_need_order_again",),
    "utter_wait_ack": ("utter_come_back_open",),
}
# Responses that tell the customer about their ticket: once a ticket exists every reply has one of them.
TICKET_AWARE = frozenset({
    "utter_greet_ticket", "utter_goodbye_ticket", "utter_goodbye_ticket_again", "utter_you_are_welcome_ticket",
    "utter_iamabot_ticket", "utter_empathy_ticket", "utter_empathy_ticket_again", "utter_forgot_tail_ticket",
    "utter_handoff_created", "utter_handoff_offhours", "utter_handoff_no_agent", "utter_handoff_queued",
    "utter_ticket_status_waiting", "utter_ticket_status_waiting_again", "utter_ticket_status_taken",
    "utter_ticket_status_taken_again", "utter_ticket_status_unknown", "utter_ticket_status_unknown_again",
    "utter_ticket_queued_status", "utter_ticket_noted", "utter_ticket_follows", "utter_ticket_already_human",
    "utter_ticket_arrived_offer_close", "utter_ticket_closed", "utter_ticket_kept", "utter_ticket_welcome_back",
    "utter_ticket_reminder", "utter_ticket_reminder_again", "utter_ticket_resolved_status",
    "utter_case_kept_with_ticket", "utter_complaint_noted", "utter_ticket_updated", "utter_ticket_noted_count",
    "utter_angry_ticket", "utter_refund_ticket",
})


def variant(response: str, tags: tuple[str, ...] = ()) -> str:
    """The platform's own wording of `response`, if the domain has one: `utter_ask_order_id__dujiaoka` (its
    order numbers), `utter_ask_phone_last4__email` (its proof). `tags`: the platform's, then the proof's."""
    names = catalogue()
    for tag in tags:
        if f"{response}__{tag}" in names:
            return f"{response}__{tag}"
    return response


def wording(case: Case, response: str, values: dict[str, object] | None = None) -> str | None:
    """The response to say for `response` under the no-three-times rule: itself, or the first of its other
    wordings whose sentence has not been said twice yet; None when all have. Counted as said."""
    values = values or {}
    for candidate in (response, *ALTERNATIVES.get(response, ())):
        key = sentence_key(candidate, values)
        if case.said.get(key, 0) < MAX_SAID:
            case.said[key] = case.said.get(key, 0) + 1
            return candidate
    return None

"""JSON for the console API: dataclasses, enums and naive-UTC datetimes (ISO with "Z") as the browser reads them."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from enum import Enum
from typing import Any

from aiohttp import web

from topup.agents import AgentDirectory
from topup.model import TicketView
from topup.summary import case_summary

# Ticket detail fields that the repository writes as naive isoformat() strings without a zone.
_NAIVE_UTC_FIELDS = ("updated_at", "claimed_at", "resolved_at", "first_reply_at")


def _utc(value: str | None) -> str | None:
    if value and not value.endswith("Z") and "+" not in value[10:]:
        return value + "Z"
    return value


def _default(value: Any) -> Any:  # noqa: ANN401
    if isinstance(value, datetime):
        return value.isoformat() + ("Z" if value.tzinfo is None else "")
    if isinstance(value, Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


async def json_body(request: web.Request) -> dict[str, Any]:
    """A request's JSON object; {} for no body, bad JSON, bad UTF-8 or anything but an object."""
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def dumps(payload: Any) -> str:  # noqa: ANN401
    return json.dumps(payload, ensure_ascii=False, default=_default)


def respond(payload: Any, status: int = 200) -> web.Response:  # noqa: ANN401
    return web.json_response(payload, status=status, dumps=dumps)


def error(status: int, text: str, code: str, /, **extra: Any) -> web.Response:  # noqa: ANN401
    """Every API error has the same shape, so the console shows `error` as it is; extra data rides along."""
    return respond({**extra, "error": text, "code": code}, status=status)


def ticket_dict(ticket: TicketView, agents: AgentDirectory, with_summary: bool = True) -> dict:
    """A ticket for the console, with its one-line summary (the queue shows it too)."""
    details = dict(ticket.details)
    for key in _NAIVE_UTC_FIELDS:
        details[key] = _utc(details.get(key))
    holder = details.get("assigned_agent")
    details["assigned_agent_name"] = agents.display_name(holder) if holder else None
    out = {
        "ticket_no": ticket.ticket_no,
        "conversation_id": ticket.conversation_id,
        "order_no": ticket.order_no,
        "priority": ticket.priority.value,
        "status": ticket.status.value,
        "created_at": _default(ticket.created_at),
        "details": details,
    }
    if with_summary:
        try:
            out["summary"] = case_summary(ticket)
        except (KeyError, TypeError):  # an odd old ticket must not take the whole queue down
            out["summary"] = ""
    return out

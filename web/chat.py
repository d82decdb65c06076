"""The customer's page and the agent's view of it: presence, read, typing both ways, the rating's comment, and a
signed-in customer's other device finding their conversation (docs/CONSOLE.md, "Nothing lost").

The customer's page proves nothing but its conversation id (random, known only to its browser: the same trust the
socket.io channel and the missed-messages fetch give it); a signed-in shop customer's token names them.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohttp import web

from topup.pii import mask_pii
from web.auth import agent_required
from web.context import topup
from web.jsonio import error, json_body, respond
from web.notify import _SESSION as SESSION_ID

logger = logging.getLogger(__name__)

COMMENT_MAX = 500


def _session(body: dict[str, Any]) -> str | None:
    session = body.get("session")
    return session if isinstance(session, str) and SESSION_ID.fullmatch(session) else None


async def presence(request: web.Request) -> web.Response:
    """POST /api/chat/presence {session, read_ts, typing}: the widget's heartbeat (every 15 s while open, every
    1.5 s while a person holds the chat, and when the customer starts or stops typing). The answer says whether
    the agent is typing."""
    body = await json_body(request)
    session = _session(body)
    if session is None:
        return error(400, "会话无效", "bad_session")
    read_ts = body.get("read_ts")
    read_ts = float(read_ts) if isinstance(read_ts, (int, float)) and not isinstance(read_ts, bool) and read_ts > 0 \
        else None
    app = topup(request)
    if body.get("leaving") is True:  # the page is closing (a beacon): offline now, not in 45 s
        try:
            await asyncio.to_thread(app.conversations.left, session)
        except Exception:
            logger.exception("presence not cleared")
        return respond({"agent_typing": False})
    try:
        agent_typing = await asyncio.to_thread(app.conversations.seen, session, read_ts, body.get("typing") is True)
    except Exception:
        logger.exception("presence not stored")
        return error(503, "暂时连不上，稍后会自动重试", "unavailable")
    return respond({"agent_typing": bool(agent_typing)})


async def resume(request: web.Request) -> web.Response:
    """POST /api/chat/resume {token}: a signed-in shop customer on another device continues their newest
    conversation (the widget then fetches it with /api/chat/missed?mine=1)."""
    body = await json_body(request)
    app = topup(request)
    customer = app.customers.verify(body.get("token"))
    if customer is None:
        return error(401, "登录信息无效", "bad_token")
    try:
        session = await asyncio.to_thread(app.conversations.latest_for_customer, customer.customer_id)
    except Exception:
        logger.exception("resume lookup failed")
        return error(503, "暂时连不上，稍后会自动重试", "unavailable")
    return respond({"session": session})


async def rating_comment(request: web.Request) -> web.Response:
    """POST /api/chat/rating-comment {session, comment}: what the customer adds to their rating."""
    body = await json_body(request)
    session = _session(body)
    comment = body.get("comment")
    if session is None:
        return error(400, "会话无效", "bad_session")
    if not isinstance(comment, str) or not comment.strip():
        return error(400, "请先写下想说的话", "empty_text")
    if len(comment) > COMMENT_MAX:
        return error(400, f"最多 {COMMENT_MAX} 个字", "text_too_long")
    app = topup(request)
    text = mask_pii(comment.strip(), app.source.order_format.keep)
    try:
        ticket_no = await asyncio.to_thread(app.conversations.comment_rating, session, text)
    except Exception:
        logger.exception("rating comment not stored")
        return error(503, "暂时没保存上，请稍后再试", "unavailable")
    if ticket_no is None:
        return error(409, "请先打分，再写评价", "not_rated")
    return respond({"ok": True})


# --- the agent's side --------------------------------------------------------------------------------------


def _ticket_presence(request: web.Request, ticket_no: str) -> dict[str, Any] | None:
    app = topup(request)
    found = app.handoffs.get_ticket(ticket_no)
    if found is None:
        return None
    state = app.conversations.presence(found.conversation_id)
    last_reply = app.conversations.last_agent_reply(ticket_no)
    read = bool(last_reply and state.read_ts and state.read_ts >= last_reply)
    return {**state.as_dict(), "conversation_id": found.conversation_id, "last_reply_read": read,
            "has_reply": last_reply is not None}


@agent_required
async def ticket_presence(request: web.Request) -> web.Response:
    """GET /api/tickets/{ticket_no}/presence: is the customer's page open, have they read the last reply, are
    they typing."""
    payload = await asyncio.to_thread(_ticket_presence, request, request.match_info["ticket_no"])
    if payload is None:
        return error(404, "没有找到这个工单", "not_found")
    return respond(payload)


@agent_required
async def agent_typing(request: web.Request) -> web.Response:
    """POST /api/tickets/{ticket_no}/typing {typing}: the agent holding the chat is typing (the customer's page
    shows it)."""
    body = await json_body(request)
    app = topup(request)
    found = await asyncio.to_thread(app.handoffs.get_ticket, request.match_info["ticket_no"])
    if found is None:
        return error(404, "没有找到这个工单", "not_found")
    if found.details.get("assigned_agent") != request["agent"]:
        return error(409, "请先接手这个工单", "conflict")
    await asyncio.to_thread(app.conversations.agent_typing, found.conversation_id, body.get("typing") is True)
    return respond({"ok": True})


def routes() -> list[web.RouteDef]:
    return [
        web.post("/api/chat/presence", presence),
        web.post("/api/chat/resume", resume),
        web.post("/api/chat/rating-comment", rating_comment),
        web.get("/api/tickets/{ticket_no}/presence", ticket_presence),
        web.post("/api/tickets/{ticket_no}/typing", agent_typing),
    ]


"""The console's ticket API: read the queue and a case, claim, reply, resolve, and tell Rasa about each step."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

from topup.services.console import TicketConflict, TicketNotFound
from web.auth import agent_required
from web.context import topup
from web.jsonio import error, json_body, respond, ticket_dict
from web.rasa import AGENT_JOINED, AGENT_LEFT, DELIVER_AGENT_MESSAGES, RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
RASA = web.AppKey("rasa", RasaClient)

_CONFLICTS = {
    "already resolved": "这个工单已经解决了",
    "claim the ticket first": "请先接手这个工单，再回复客户",
    # topup/services/casework.py: transfer and release
    "not claimed": "这个工单现在没有人在处理，请先接手",
    "changed meanwhile": "工单刚刚被转交或放回队列了，请看一下最新状态",
    "transfer to self": "工单已经在您手上了，请选一位其他同事",
}


def _conflict_message(request: web.Request, exc: TicketConflict) -> str:
    """The refusal in Chinese, whatever the reason says: a service's reason (English, for the log) never reaches
    the agent as it is, and a holder is named only by a known account's display name."""
    reason = str(exc)
    if reason.startswith("claimed by "):
        holder = topup(request).agents.get(reason.removeprefix("claimed by "))
        if holder is None:  # lost the race to a colleague a moment ago ("someone else"), or a removed account
            return "这个工单刚刚被其他同事接手了"
        return f"这个工单已经由{holder.display_name}接手了"
    return _CONFLICTS.get(reason, "工单状态刚刚变了，请刷新后再试")


async def _call(func: Callable[..., Any], *args: Any) -> Any:  # noqa: ANN401
    """Run a topup service in a worker thread (the database never blocks the event loop)."""
    return await asyncio.to_thread(func, *args)


async def _text_field(request: web.Request, name: str, empty_message: str) -> str | web.Response:
    value = (await json_body(request)).get(name)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return error(400, empty_message, "empty_text")
    if len(text) > MAX_TEXT:
        return error(400, f"内容太长了，请控制在 {MAX_TEXT} 字以内", "text_too_long")
    return text


async def _tell_rasa(request: web.Request, conversation_id: str, actions: tuple[str, ...], payload: dict,
                     failed_message: str) -> web.Response:
    """The database change stands either way; a 502 says the customer has not seen it yet."""
    try:
        await request.app[RASA].execute(conversation_id, actions)
    except RasaUnavailable as exc:
        logger.warning("rasa unavailable after %s: %s", actions[0], exc)
        return error(502, failed_message, "rasa_unavailable", **payload)
    return respond(payload)


def _detail_payload(request: web.Request, ticket_no: str) -> dict:
    app = topup(request)
    found = app.console.detail(ticket_no)
    ticket = ticket_dict(found["ticket"], app.agents)
    return {
        "ticket": ticket,
        "summary": ticket["summary"],
        "current_order": found["current_order"],
        "messages": [m.as_dict() for m in found["messages"]],
        "conversations": found.get("conversations", []),
        # every image of the case's conversations, also those sent before the handoff (web/attachments.py)
        "attachments": [a.as_dict() for a in app.attachments.for_ticket(ticket_no)],
    }


@agent_required
async def show(request: web.Request) -> web.Response:
    ticket_no = request.match_info["ticket_no"]
    try:
        return respond(await _call(_detail_payload, request, ticket_no))
    except TicketNotFound:
        return error(404, "没有找到这个工单", "not_found")


@agent_required
async def claim(request: web.Request) -> web.Response:
    ticket_no = request.match_info["ticket_no"]
    try:
        ticket = await _call(topup(request).console.claim, ticket_no, request["agent"])
    except TicketNotFound:
        return error(404, "没有找到这个工单", "not_found")
    except TicketConflict as exc:
        return error(409, _conflict_message(request, exc), "conflict")
    return await _tell_rasa(request, ticket.conversation_id, AGENT_JOINED,
                            {"ticket": ticket_dict(ticket, topup(request).agents)},
                            "工单已接手，但暂时没能通知到客户（智能助手服务连不上），可以稍后直接回复客户。")


@agent_required
async def reply(request: web.Request) -> web.Response:
    ticket_no = request.match_info["ticket_no"]
    text = await _text_field(request, "text", "请先输入要回复的内容")
    if isinstance(text, web.Response):
        return text
    try:
        app = topup(request)
        message = await _call(app.console.post_agent_message, ticket_no, request["agent"], text)
        ticket = await _call(app.handoffs.get_ticket, ticket_no)
    except TicketNotFound:
        return error(404, "没有找到这个工单", "not_found")
    except TicketConflict as exc:
        return error(409, _conflict_message(request, exc), "conflict")
    if ticket is None:
        return error(404, "没有找到这个工单", "not_found")
    return await _tell_rasa(request, ticket.conversation_id, DELIVER_AGENT_MESSAGES, {"message": message.as_dict()},
                            "回复已保存，但暂时没能发到客户那边（智能助手服务连不上），下一条回复送达时会一并补上。")


@agent_required
async def resolve(request: web.Request) -> web.Response:
    ticket_no = request.match_info["ticket_no"]
    resolution = await _text_field(request, "resolution", "请填写处理结果，方便以后查看")
    if isinstance(resolution, web.Response):
        return resolution
    try:
        ticket = await _call(topup(request).console.resolve, ticket_no, request["agent"], resolution)
    except TicketNotFound:
        return error(404, "没有找到这个工单", "not_found")
    except TicketConflict as exc:
        return error(409, _conflict_message(request, exc), "conflict")
    return await _tell_rasa(request, ticket.conversation_id, AGENT_LEFT,
                            {"ticket": ticket_dict(ticket, topup(request).agents)},
                            "工单已解决，但暂时没能通知到客户（智能助手服务连不上）。")

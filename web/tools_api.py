"""The agent's tools in the console API: canned replies, private notes, transfer to a colleague, release to the
queue, and the agent list the transfer picker shows. Every answer an agent can read is Chinese."""

from __future__ import annotations

import logging

from aiohttp import web

from topup.services.canned import MAX_SHORTCUT, MAX_TEXT, MAX_TITLE, CannedInvalid, CannedNotFound
from topup.services.casework import UnknownAgent
from topup.services.console import TicketConflict, TicketNotFound
from web.api import RASA, _call, _conflict_message, _text_field
from web.auth import agent_required
from web.context import topup
from web.jsonio import error, json_body, respond, ticket_dict
from web.rasa import AGENT_JOINED, AGENT_RELEASED, RasaUnavailable

logger = logging.getLogger(__name__)

CANNED_ERRORS = {
    "title_empty": "请给这条快捷回复起个标题",
    "title_too_long": f"标题太长了，请控制在 {MAX_TITLE} 字以内",
    "text_empty": "请填写快捷回复的内容",
    "text_too_long": f"内容太长了，请控制在 {MAX_TEXT} 字以内",
    "shortcut_invalid": "快捷键只能用小写英文字母和数字，例如 dd 或 tk1",
    "shortcut_too_long": f"快捷键太长了，请控制在 {MAX_SHORTCUT} 个字符以内",
    "shortcut_taken": "这个快捷键已经被别的快捷回复用了，请换一个",
    "too_many": "快捷回复已经很多了，请先删掉几条用不上的",
}
NOT_FOUND = "没有找到这个工单"
CANNED_GONE = "这条快捷回复已经被同事删除了，请刷新列表"


def _reply_id(request: web.Request) -> int | None:
    raw = request.match_info["reply_id"]
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


# ---- canned replies ---------------------------------------------------------------------------------------------

@agent_required
async def list_canned(request: web.Request) -> web.Response:
    replies = await _call(topup(request).canned.list)
    return respond({"replies": [r.as_dict() for r in replies]})


@agent_required
async def create_canned(request: web.Request) -> web.Response:
    body = await json_body(request)
    try:
        reply = await _call(topup(request).canned.create, body.get("title"), body.get("text"), body.get("shortcut"),
                            request["agent"])
    except CannedInvalid as exc:
        return error(400, CANNED_ERRORS.get(exc.code, "这条快捷回复没能保存，请检查后再试"), exc.code, field=exc.field)
    return respond({"reply": reply.as_dict()}, status=201)


@agent_required
async def update_canned(request: web.Request) -> web.Response:
    reply_id = _reply_id(request)
    if reply_id is None:
        return error(404, CANNED_GONE, "not_found")
    body = await json_body(request)
    try:
        reply = await _call(topup(request).canned.update, reply_id, body.get("title"), body.get("text"),
                            body.get("shortcut"), request["agent"])
    except CannedNotFound:
        return error(404, CANNED_GONE, "not_found")
    except CannedInvalid as exc:
        return error(400, CANNED_ERRORS.get(exc.code, "这条快捷回复没能保存，请检查后再试"), exc.code, field=exc.field)
    return respond({"reply": reply.as_dict()})


@agent_required
async def delete_canned(request: web.Request) -> web.Response:
    reply_id = _reply_id(request)
    try:
        if reply_id is None:
            raise CannedNotFound(request.match_info["reply_id"])
        await _call(topup(request).canned.delete, reply_id)
    except CannedNotFound:
        return error(404, CANNED_GONE, "not_found")
    return respond({"ok": True})


# ---- colleagues, notes, transfer, release -----------------------------------------------------------------------

@agent_required
async def list_agents(request: web.Request) -> web.Response:
    agents = await _call(topup(request).casework.agent_list)
    return respond({"agents": [{**a.as_dict(), "me": a.username == request["agent"]} for a in agents]})


@agent_required
async def add_note(request: web.Request) -> web.Response:
    text = await _text_field(request, "text", "请先写下备注内容")
    if isinstance(text, web.Response):
        return text
    try:
        message = await _call(topup(request).casework.add_note, request.match_info["ticket_no"], request["agent"],
                              text)
    except TicketNotFound:
        return error(404, NOT_FOUND, "not_found")
    return respond({"message": message.as_dict()}, status=201)


async def _tell_everywhere(request: web.Request, ticket_no: str, actions: tuple[str, ...], payload: dict,
                           failed_message: str) -> web.Response:
    """Run the takeover steps in every conversation of the case; the database change stands either way, and a
    502 says some customer window has not heard of it yet."""
    app, rasa = topup(request), request.app[RASA]
    failed = 0
    for conversation_id in await _call(app.casework.conversations, ticket_no):
        try:
            await rasa.execute(conversation_id, actions)
        except RasaUnavailable as exc:
            logger.warning("rasa unavailable after %s: %s", actions[0], exc)
            failed += 1
    return error(502, failed_message, "rasa_unavailable", **payload) if failed else respond(payload)


@agent_required
async def transfer(request: web.Request) -> web.Response:
    ticket_no, app = request.match_info["ticket_no"], topup(request)
    to = (await json_body(request)).get("to")
    if not isinstance(to, str) or not to.strip():
        return error(400, "请选择要转给哪位同事", "no_target")
    try:
        ticket = await _call(app.casework.transfer, ticket_no, request["agent"], to.strip())
    except TicketNotFound:
        return error(404, NOT_FOUND, "not_found")
    except UnknownAgent:
        return error(400, "没有这位同事的账号，请从列表里选一位", "unknown_agent")
    except TicketConflict as exc:
        return error(409, _conflict_message(request, exc), "conflict")
    name = app.agents.display_name(to.strip())
    # action_agent_joined reads the new holder: the customer sees 客服小李已接入.
    return await _tell_everywhere(request, ticket_no, AGENT_JOINED, {"ticket": ticket_dict(ticket, app.agents)},
                                  f"工单已转给{name}，但暂时没能通知到客户（智能助手服务连不上），"
                                  f"{name}回复时客户会看到。")


@agent_required
async def release(request: web.Request) -> web.Response:
    ticket_no, app = request.match_info["ticket_no"], topup(request)
    try:
        ticket = await _call(app.casework.release, ticket_no, request["agent"])
    except TicketNotFound:
        return error(404, NOT_FOUND, "not_found")
    except TicketConflict as exc:
        return error(409, _conflict_message(request, exc), "conflict")
    return await _tell_everywhere(request, ticket_no, AGENT_RELEASED, {"ticket": ticket_dict(ticket, app.agents)},
                                  "工单已放回队列，但暂时没能通知到客户（智能助手服务连不上）。")


ROUTES = [
    web.get("/api/canned", list_canned),
    web.post("/api/canned", create_canned),
    web.put("/api/canned/{reply_id}", update_canned),
    web.delete("/api/canned/{reply_id}", delete_canned),
    web.get("/api/agents", list_agents),
    web.post("/api/tickets/{ticket_no}/notes", add_note),
    web.post("/api/tickets/{ticket_no}/transfer", transfer),
    web.post("/api/tickets/{ticket_no}/release", release),
]

"""Images in the conversation: the customer's payment screenshot, and an agent's image back (docs/CONSOLE.md,
"Attachments").

- POST /api/chat/attachments?session=… (multipart, field `file`): the customer's upload. The session id, random
  and known only to the customer's browser, is what the socket.io channel and /api/chat/missed trust too.
  When the conversation has an open ticket the image goes onto it (the agent sees it live); otherwise it stays
  with the conversation and the case view shows it once there is a ticket.
- POST /api/tickets/{ticket_no}/attachments: the agent holding the ticket sends one; it reaches the customer the
  way a reply does (Rasa runs action_deliver_agent_messages, which shows it as an image).
- GET /api/attachments/{token}?session=…: the image, for the conversation's customer (their own, or one on their
  ticket) or any signed-in agent; 404 for everyone else, whether it exists or not.

The body is read as a stream, counted as it comes, and refused past TOPUP_ATTACHMENT_MAX_BYTES: a 20 MB upload
costs 8 MB of memory at most, never 20 (the app's client_max_size, 64 KB, is for JSON bodies; a multipart stream
is read here). The sentences the customer reads are in domain.yml (utter_attachment_*), rendered here because the
web app answers the upload itself, before Rasa hears of it.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import BodyPartReader, web

from topup.dialogue.responses import render
from topup.model import TicketStatus
from topup.pii import for_log
from topup.services.attachments import Attachment, AttachmentNotFound, AttachmentRefused
from web.api import DELIVER_AGENT_MESSAGES, _tell_rasa
from web.auth import agent_required, client_address, current_agent
from web.context import topup
from web.jsonio import error, respond
from web.notify import _SESSION as SESSION_ID

logger = logging.getLogger(__name__)

DECODING = web.AppKey("attachment_decoding", asyncio.Semaphore)  # images decoded at once (memory, CPU)
DECODING_AT_ONCE = 2
CHUNK = 64 * 1024
ENVELOPE = 16 * 1024  # the multipart boundaries and part headers around the file
IMAGE_HEADERS = {
    "Content-Disposition": "inline",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, max-age=86400",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
}  # no Cross-Origin-Resource-Policy: a shop may embed the widget on its own domain, and its <img> must load

# Why an image was not kept: the HTTP status and the sentence (domain.yml) the sender reads.
REFUSALS = {
    "not_image": (415, "utter_attachment_not_image"),
    "no_file": (400, "utter_attachment_not_image"),
    "broken": (422, "utter_attachment_broken"),
    "too_many_pixels": (422, "utter_attachment_too_large"),
    "too_big": (413, "utter_attachment_too_big"),
    "too_many": (409, "utter_attachment_too_many"),
    "slow_down": (429, "utter_attachment_slow_down"),
    "failed": (503, "utter_attachment_failed"),
}


def _max_mb(request: web.Request) -> str:
    megabytes = topup(request).settings.attachment_max_bytes / (1024 * 1024)
    return f"{megabytes:.0f}" if megabytes >= 1 else f"{megabytes:.1f}"


def refusal(request: web.Request, reason: str) -> web.Response:
    status, response = REFUSALS.get(reason, REFUSALS["failed"])
    return error(status, render(response, {"max_mb": _max_mb(request)}), reason)


async def read_upload(request: web.Request, max_bytes: int) -> bytes:
    """The `file` part of a multipart body, read in chunks and given up as soon as it passes `max_bytes`
    (AttachmentRefused: too_big, or no_file for anything that is not a multipart body with a file first)."""
    if request.content_length is not None and request.content_length > max_bytes + ENVELOPE:
        raise AttachmentRefused("too_big")  # said by the browser itself: no need to read any of it
    if not request.content_type.startswith("multipart/"):
        raise AttachmentRefused("no_file")
    try:
        reader = await request.multipart()
        part = await reader.next()
    except (ValueError, AssertionError, KeyError):
        raise AttachmentRefused("no_file") from None
    if not isinstance(part, BodyPartReader) or part.name != "file":
        raise AttachmentRefused("no_file")
    data = bytearray()
    while True:
        chunk = await part.read_chunk(CHUNK)
        if not chunk:
            break
        data += chunk
        if len(data) > max_bytes:
            raise AttachmentRefused("too_big")
    if not data:
        raise AttachmentRefused("no_file")
    return bytes(data)


async def _store(request: web.Request, conversation_id: str, role: str, author: str,
                 ticket_no: str | None) -> Attachment | web.Response:
    """Read, check and keep the upload; a refusal as the response to send."""
    app = topup(request)
    try:
        data = await read_upload(request, app.settings.attachment_max_bytes)
        async with request.app[DECODING]:
            return await asyncio.to_thread(app.attachments.store, conversation_id, role, author, data, ticket_no)
    except AttachmentRefused as refused:
        logger.info("attachment refused (%s) from %s %s", refused.reason, role, for_log(author or conversation_id))
        return refusal(request, refused.reason)
    except Exception:
        logger.exception("attachment not stored for %s", for_log(conversation_id))
        return refusal(request, "failed")


async def customer_upload(request: web.Request) -> web.Response:
    session = request.query.get("session", "")
    if not SESSION_ID.fullmatch(session):
        return refusal(request, "failed")  # no conversation yet: the page sends one only after it connected
    app = topup(request)
    address = client_address(request, app.settings.trusted_proxies)
    if not (await app.limits.chat.allow(f"image:{session}") and await app.limits.chat_ip.allow(f"image:{address}")):
        return refusal(request, "slow_down")
    try:
        ticket = await asyncio.to_thread(app.console.open_for_conversation, session)
    except Exception:
        logger.exception("open ticket not read for %s", for_log(session))
        return refusal(request, "failed")
    stored = await _store(request, session, "customer", "", ticket.ticket_no if ticket else None)
    if isinstance(stored, web.Response):
        return stored
    if ticket is not None:
        try:  # the agent sees it in the case at once (the live log, through /api/events)
            await asyncio.to_thread(app.console.add_customer_note, ticket.ticket_no, "[图片]", stored.token)
        except Exception:  # it is on the ticket all the same (the case view's 附件 list)
            logger.exception("image not noted on ticket %s", ticket.ticket_no)
    said = render("utter_attachment_received" if ticket else "utter_attachment_kept", {})
    return respond({"attachment": stored.as_dict(), "text": said, "ticket_no": ticket.ticket_no if ticket else None},
                   status=201)


@agent_required
async def agent_upload(request: web.Request) -> web.Response:
    app, agent, ticket_no = topup(request), request["agent"], request.match_info["ticket_no"]
    ticket = await asyncio.to_thread(app.console.ticket_state, ticket_no)
    if ticket is None:
        return error(404, "没有找到这个工单", "not_found")
    if ticket.status is not TicketStatus.IN_PROGRESS or ticket.details.get("assigned_agent") != agent:
        return error(409, "请先接手这个工单，再给客户发图片", "conflict")
    stored = await _store(request, ticket.conversation_id, "agent", agent, ticket_no)
    if isinstance(stored, web.Response):
        return stored
    try:
        message = await asyncio.to_thread(app.console.post_agent_message, ticket_no, agent, "[图片]", stored.token)
    except Exception:
        logger.exception("agent image not queued on %s", ticket_no)
        return error(409, "图片已保存，但工单状态刚刚变了，没有发给客户，请刷新后再试", "conflict",
                     attachment=stored.as_dict())
    return await _tell_rasa(request, ticket.conversation_id, DELIVER_AGENT_MESSAGES,
                            {"message": message.as_dict(), "attachment": stored.as_dict()},
                            "图片已保存，但暂时没能发到客户那边（智能助手服务连不上），下一条回复送达时会一并补上。")


async def fetch(request: web.Request) -> web.StreamResponse:
    app, token = topup(request), request.match_info["token"]
    try:
        attachment, path = await asyncio.to_thread(app.attachments.open, token)
    except AttachmentNotFound:
        return _not_found()
    if current_agent(request) is None:
        session = request.query.get("session", "")
        if not SESSION_ID.fullmatch(session) or not await asyncio.to_thread(
                app.attachments.visible_to, attachment, session):
            return _not_found()
    return web.FileResponse(path, headers={"Content-Type": attachment.content_type, **IMAGE_HEADERS})


def _not_found() -> web.Response:
    return error(404, "没有找到这张图片", "not_found")


ROUTES = [
    web.post("/api/chat/attachments", customer_upload),
    web.post("/api/tickets/{ticket_no}/attachments", agent_upload),
    web.get("/api/attachments/{token}", fetch),
]


def install(app: web.Application) -> None:
    """The routes and what they share (called by web.app.create_app)."""
    app[DECODING] = asyncio.Semaphore(DECODING_AT_ONCE)
    app.add_routes(ROUTES)

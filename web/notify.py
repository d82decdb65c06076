"""Telling customers their order changed, without them asking (docs/PLATFORMS.md, "Telling the customer").

- The notifier polls the orders of open conversations every TOPUP_ORDER_POLL_SECONDS (topup/services/watch.py:
  one query on the platform per few hundred orders, none when nothing is watched).
- The webhook, POST /hooks/order, lets the platform say at once that an order changed (dujiaoka's goods
  `api_hook` can point at it). It carries only the order number: the status is read from the source, never taken
  from the request, so a forged or replayed call can at most cause one extra read.
- Each change is told once (the watch claims it), through Rasa's own trigger_intent (check_order_status with the
  entity order_event): the conversation engine decides the words, the customer's socket.io page shows them live,
  and the ticket, if there is one, gets a line for the agent.
- A page that was closed asks for what it missed when it comes back (GET /api/chat/missed): the assistant's
  messages after the last one it saw, from the tracker store.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import re
import time
from contextlib import suppress
from typing import Any

from aiohttp import web
from sqlalchemy import text
from sqlalchemy.engine import Engine

from topup.app import App
from topup.conversation import EXTERNAL, shown_text
from topup.db.engine import make_engine
from topup.dialogue.understand import ORDER_CHANGED_INTENT
from topup.labels import label
from topup.services.watch import Change
from web.context import TOPUP
from web.rasa import DELIVER_AGENT_MESSAGES, RasaClient, RasaUnavailable

logger = logging.getLogger(__name__)

ORDER_CHANGED = ORDER_CHANGED_INTENT  # with the entity order_event (topup/dialogue/understand.py)
_SESSION = re.compile(r"[A-Za-z0-9_\-]{16,128}")
MISSED_MAX = 50


class Notifier:
    def __init__(self, topup: App, rasa: RasaClient) -> None:
        self.topup, self.rasa = topup, rasa
        self._task: asyncio.Task | None = None
        self.told = 0

    async def start(self) -> None:
        if self.topup.settings.order_poll_seconds > 0:
            self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        interval = self.topup.settings.order_poll_seconds
        tidied = time.monotonic()
        while True:
            await asyncio.sleep(interval)
            try:
                await self.check()
                if time.monotonic() - tidied > 3600:
                    tidied = time.monotonic()
                    await asyncio.to_thread(self.topup.watch.forget_expired)
            except Exception:  # the platform or our database is down: tried again next time
                logger.exception("order watch poll failed")

    async def check(self, order_nos: list[str] | None = None) -> int:
        """Tell every change (of all watched orders, or of these): how many were told."""
        changes = await asyncio.to_thread(self.topup.watch.changes, order_nos)
        for change in changes:
            await self.tell(change)
        return len(changes)

    async def tell(self, change: Change) -> None:
        try:
            await self.rasa.trigger(change.conversation_id, ORDER_CHANGED,
                                    {"order_id": change.order_no, "order_event": change.now})
        except RasaUnavailable as exc:
            logger.error("order change not told to %s: %s", change.conversation_id, exc)
            await asyncio.to_thread(self.topup.watch.release, change)  # told on the next poll
            return
        self.told += 1
        try:
            await asyncio.to_thread(self._note, change)
        except Exception:
            logger.exception("order change not noted on the ticket of %s", change.conversation_id)

    def _note(self, change: Change) -> None:
        console = self.topup.console
        ticket = console.open_for_conversation(change.conversation_id)
        if ticket is None:
            return
        status = label("orderStatus", change.now)
        offer = "客户已收到通知，确认解决的话可以解决这个工单。" if change.now == "delivered" else "客户已收到通知。"
        console.add_system_note(ticket.ticket_no, f"订单 {change.order_no} 的状态变为「{status}」（平台记录）。{offer}")


NOTIFIER = web.AppKey("notifier", Notifier)
TRACKER = web.AppKey("tracker_engine", Engine)


async def order_hook(request: web.Request) -> web.Response:
    """POST /hooks/order?token=…: the platform says an order changed. Body: JSON or a form with the order number
    (`order_sn`, dujiaoka's api_hook field; `trade_no`, acg-faka's; or `order_no`)."""
    topup = request.app[TOPUP]
    secret = topup.settings.order_webhook_secret
    if not secret:
        raise web.HTTPNotFound()
    given = request.query.get("token") or request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise web.HTTPUnauthorized(text=json.dumps({"error": "bad token"}), content_type="application/json")
    try:
        body: Any = await request.json() if request.content_type == "application/json" else dict(await request.post())
    except (ValueError, UnicodeDecodeError):
        body = None
    raw = next((body.get(k) for k in ("order_sn", "trade_no", "order_no") if isinstance(body, dict)
                and isinstance(body.get(k), str)), None)
    number = topup.source.order_format.normalise(raw) if raw else None
    if number is None:
        raise web.HTTPBadRequest(text=json.dumps({"error": "no order number of this platform in the body"}),
                                 content_type="application/json")
    try:
        told = await request.app[NOTIFIER].check([number])
    except Exception:
        logger.exception("order hook for %s failed", number[:6])
        raise web.HTTPServiceUnavailable(text=json.dumps({"error": "try again"}),
                                         content_type="application/json") from None
    return web.json_response({"ok": True, "told": told})


def _tracker(app: web.Application) -> Engine:
    if TRACKER not in app:
        app[TRACKER] = make_engine(app[TOPUP].settings.tracker_url)
    return app[TRACKER]


def _missed(engine: Engine, sender: str, after: float, mine: bool = False,
            before: float | None = None) -> list[dict[str, Any]]:
    """The messages for the customer after `after`, as the socket.io channel sent them: text parts with their
    buttons, images, and the custom messages the page reads (who holds the chat). `mine`: the customer's own
    messages too (another device rebuilding the conversation), tapped buttons as their titles."""
    kinds = "('bot', 'user')" if mine else "('bot')"
    with engine.connect() as connection:
        rows = connection.execute(text(
            f"SELECT timestamp, data FROM events WHERE sender_id = :sender AND type_name IN {kinds} "  # noqa: S608
            f"AND timestamp > :after {'AND timestamp < :before ' if before else ''}ORDER BY id DESC LIMIT :limit"),
            {"sender": sender, "after": after, "before": before, "limit": MISSED_MAX * (4 if mine else 1)}).all()
    messages: list[dict[str, Any]] = []
    shown: list[dict] = []
    for timestamp, data in reversed(rows):
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            continue
        if event.get("event") == "user":
            said = (event.get("text") or "").strip()
            if said and not said.startswith(EXTERNAL.strip()):
                messages.append({"from": "user", "text": shown_text(said, shown), "ts": timestamp})
            continue
        extra = event.get("data") or {}
        buttons = extra.get("buttons") or []
        shown = [event] if buttons else shown
        for part in (event.get("text") or "").strip().split("\n\n"):  # as the socket.io channel sends them
            if part:
                messages.append({"text": part, "buttons": buttons, "ts": timestamp})
        if extra.get("image"):
            messages.append({"image": extra["image"], "ts": timestamp})
        if isinstance(extra.get("custom"), dict):
            messages.append({"custom": extra["custom"], "ts": timestamp})
    return messages


async def _deliver_waiting(app: web.Application, session: str) -> float | None:
    """Agent replies that never reached Rasa (it was down when the agent sent them) are delivered now that the
    customer is back: Rasa shows them over the socket (the page asks only once it is connected) and stores them.
    The time before that, when it happened: this fetch answers only what came earlier, so none is shown twice."""
    try:
        if not await asyncio.to_thread(app[TOPUP].conversations.waiting_replies, session):
            return None
        started = time.time()
        await app[NOTIFIER].rasa.execute(session, DELIVER_AGENT_MESSAGES)
        return started
    except RasaUnavailable as exc:
        logger.warning("waiting agent replies not delivered yet: %s", exc)
    except Exception:
        logger.exception("waiting agent replies not checked")
    return None


async def missed(request: web.Request) -> web.Response:
    """GET /api/chat/missed?session=…&after=…: the assistant's messages in that conversation after `after`
    (the server time of the last message the page showed). The session id, random and known only to the
    customer's browser, is what the socket.io channel trusts too."""
    session = request.query.get("session", "")
    try:
        after = float(request.query.get("after", "0"))
    except ValueError:
        after = -1.0
    if not _SESSION.fullmatch(session) or after < 0:
        raise web.HTTPBadRequest(text=json.dumps({"error": "session and after"}), content_type="application/json")
    mine = request.query.get("mine") == "1"
    before = await _deliver_waiting(request.app, session)
    try:
        messages = await asyncio.to_thread(_missed, _tracker(request.app), session, after, mine, before)
    except Exception:
        logger.exception("missed messages not read")
        messages = []
    return web.json_response({"messages": messages})


async def start(app: web.Application) -> None:
    await app[NOTIFIER].start()


async def stop(app: web.Application) -> None:
    await app[NOTIFIER].stop()
    if TRACKER in app:
        app[TRACKER].dispose()

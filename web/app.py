"""The aiohttp application: pages, static files, the console API and the live event stream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from topup.app import App
from topup.db import migrate
from web import api, attachments, auth, chat, events, notify, pages, queue, reports, tools_api
from web.context import TOPUP
from web.rasa import RasaClient


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.path.startswith("/api/"):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


async def _no_favicon(request: web.Request) -> web.Response:
    """Browsers ask for it on every page; an empty answer keeps their consoles and our logs quiet."""
    return web.Response(status=204, headers={"Cache-Control": "max-age=86400"})


async def _start(app: web.Application) -> None:
    # Idempotent, so a fresh install answers instead of failing on missing tables.
    settings = app[TOPUP].settings  # the same Alembic migrations the run command applies
    await asyncio.to_thread(migrate.upgrade, settings.database_url, settings.db_connect_timeout)
    await app[api.RASA].start()
    await app[events.FEED].start()
    await notify.start(app)


async def _stop_streams(app: web.Application) -> None:
    await app[events.FEED].stop()
    await notify.stop(app)


async def _close(app: web.Application) -> None:
    await app[api.RASA].close()


def create_app(topup: App) -> web.Application:
    settings = topup.settings
    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
    app[TOPUP] = topup
    app[api.RASA] = RasaClient(settings.rasa_url, settings.rasa_token)
    app[queue.QUEUE] = queue.QueueService(topup.engine, topup.clock)
    app[events.FEED] = events.LiveFeed(topup, app[queue.QUEUE])
    app[notify.NOTIFIER] = notify.Notifier(topup, app[api.RASA])
    # Read once: no file I/O per request.
    app[pages.WIDGET_JS] = pages.widget_source(settings)
    app[pages.DEMO_SHOP] = pages.demo_shop_template()
    app[pages.CONSOLE_CONFIG] = pages.console_config(settings)
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop_streams)
    app.on_cleanup.append(_close)
    app.add_routes([
        web.get("/", pages.chat_page),
        web.get("/widget.js", pages.widget_js),
        web.get("/console", pages.console_page),
        web.get("/console-config.js", pages.console_config_js),
        web.get("/favicon.ico", _no_favicon),
        web.post("/api/login", auth.login),
        web.post("/api/logout", auth.logout),
        web.get("/api/me", auth.me),
        web.get("/api/events", events.stream),
        web.get("/api/tickets", queue.list_page),  # one page of the queue (web/queue.py)
        web.get("/api/tickets/{ticket_no}", api.show),
        web.post("/api/tickets/{ticket_no}/claim", api.claim),
        web.post("/api/tickets/{ticket_no}/reply", api.reply),
        web.post("/api/tickets/{ticket_no}/resolve", api.resolve),
        *tools_api.ROUTES,  # canned replies, notes, transfer, release, the agent list
        *reports.ROUTES,  # the reports page, its figures and the CSV export
        web.get("/api/chat/missed", notify.missed),
        *chat.routes(),
        web.post("/hooks/order", notify.order_hook),
        web.static("/static", pages.STATIC, append_version=False),
    ])
    attachments.install(app)  # images in the chat: upload (customer, agent) and fetch
    if not settings.scaled:
        # The demo shop signs a token for a demo customer with the real secret: it must not exist where real
        # customers' orders are, or anyone could read that phone number's orders without the tail.
        app.add_routes([web.get("/demo-shop", pages.demo_shop)])
    return app

"""The aiohttp application: pages, static files, the console API and the live event stream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web

from topup.db import migrate
from topup.ratelimit import LOGIN_RATE_DEFAULT, LOGIN_RATE_ENV, limiter_from_env
from web import api, auth, events, pages
from web.rasa import RasaClient
from web.settings import Settings


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
    await asyncio.to_thread(migrate.upgrade)  # the same Alembic migrations the run command applies
    await app[api.RASA].start()
    await app[events.FEED].start()


async def _stop_streams(app: web.Application) -> None:
    await app[events.FEED].stop()


async def _close(app: web.Application) -> None:
    await app[api.RASA].close()


def create_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings.from_env()
    app = web.Application(middlewares=[security_headers], client_max_size=64 * 1024)
    app[api.RASA] = RasaClient(settings.rasa_url, settings.rasa_token)
    app[auth.LOGIN_LIMITER] = limiter_from_env("login", LOGIN_RATE_ENV, LOGIN_RATE_DEFAULT)  # read at start-up
    app[events.FEED] = events.LiveFeed()
    app[pages.WIDGET_JS] = pages.widget_source(settings.rasa_public_url)  # read once: no file I/O per request
    app[pages.DEMO_SHOP] = pages.demo_shop_template()
    app.on_startup.append(_start)
    app.on_shutdown.append(_stop_streams)
    app.on_cleanup.append(_close)
    app.add_routes([
        web.get("/", pages.chat_page),
        web.get("/widget.js", pages.widget_js),
        web.get("/demo-shop", pages.demo_shop),
        web.get("/console", pages.console_page),
        web.get("/favicon.ico", _no_favicon),
        web.post("/api/login", auth.login),
        web.post("/api/logout", auth.logout),
        web.get("/api/me", auth.me),
        web.get("/api/events", events.stream),
        web.get("/api/tickets", api.list_queue),
        web.get("/api/tickets/{ticket_no}", api.show),
        web.post("/api/tickets/{ticket_no}/claim", api.claim),
        web.post("/api/tickets/{ticket_no}/reply", api.reply),
        web.post("/api/tickets/{ticket_no}/resolve", api.resolve),
        web.static("/static", pages.STATIC, append_version=False),
    ])
    return app

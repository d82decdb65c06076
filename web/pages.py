"""The HTML pages, the widget script (with the Rasa address the browser should use) and the console's config."""

from __future__ import annotations

import html
import json
from pathlib import Path

from aiohttp import web

from topup.dialogue.responses import render
from topup.labels import LABELS
from topup.settings import Settings
from web.context import topup

STATIC = Path(__file__).resolve().parent / "static"
PAGES = STATIC / "pages"
WIDGET_JS = web.AppKey("widget_js", str)
DEMO_SHOP = web.AppKey("demo_shop", str)
CONSOLE_CONFIG = web.AppKey("console_config", str)

DEMO_CUSTOMER = ("demo-customer-1", "13800003821")  # owns demo order KM20261127004215

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def widget_source(settings: Settings) -> str:
    """The widget with its settings filled in: TOPUP_RASA_PUBLIC_URL, or (when it is empty) the widget's own
    host on TOPUP_RASA_PORT."""
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    megabytes = settings.attachment_max_bytes / (1024 * 1024)
    config = {"rasaUrl": settings.rasa_public_url or None, "rasaPort": settings.rasa_port,
              # an image over the limit is refused before it is sent, in the server's own words (domain.yml)
              "attachmentMaxBytes": settings.attachment_max_bytes,
              "attachmentTooBig": render("utter_attachment_too_big",
                                         {"max_mb": f"{megabytes:.0f}" if megabytes >= 1 else f"{megabytes:.1f}"})}
    return source.replace("/*__TOPUP_CONFIG__*/null", json.dumps(config), 1)


def console_config(settings: Settings) -> str:
    """What the console needs from the server before it renders: the platform's time zone and every label
    (topup/labels.py), so Python and the browser name each status the same way."""
    config = {"zone": settings.timezone, "labels": LABELS}
    return "window.TOPUP_CONSOLE = " + json.dumps(config, ensure_ascii=False) + ";\n"


def demo_shop_template() -> str:
    return (PAGES / "demo-shop.html").read_text(encoding="utf-8")


def _page(name: str, **headers: str) -> web.FileResponse:
    return web.FileResponse(PAGES / name, headers={"Cache-Control": "no-cache", **headers})


async def chat_page(request: web.Request) -> web.FileResponse:
    return _page("chat.html")


async def console_page(request: web.Request) -> web.FileResponse:
    return _page("console.html", **{"Content-Security-Policy": CONSOLE_CSP, "X-Frame-Options": "DENY"})


async def console_config_js(request: web.Request) -> web.Response:
    return web.Response(text=request.app[CONSOLE_CONFIG], content_type="application/javascript", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def widget_js(request: web.Request) -> web.Response:
    """The one script a shop embeds; it loads its own styles and the socket.io client."""
    return web.Response(text=request.app[WIDGET_JS], content_type="application/javascript", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def demo_shop(request: web.Request) -> web.Response:
    """A pretend shop page whose server signs its logged-in customer with TOPUP_CUSTOMER_TOKEN_SECRET, as a real
    shop would."""
    token = topup(request).customers.sign(*DEMO_CUSTOMER)
    body = request.app[DEMO_SHOP].replace("{{CUSTOMER_TOKEN}}", html.escape(token, quote=True))
    return web.Response(text=body, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"})

"""The HTML pages and the widget script (with the Rasa address the browser should use)."""

from __future__ import annotations

import html
import json
from pathlib import Path

from aiohttp import web

from topup import customer_token

STATIC = Path(__file__).resolve().parent / "static"
PAGES = STATIC / "pages"
WIDGET_JS = web.AppKey("widget_js", str)
DEMO_SHOP = web.AppKey("demo_shop", str)

DEMO_CUSTOMER = ("demo-customer-1", "13800003821")  # owns demo order KM20261127004215

CONSOLE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def widget_source(rasa_public_url: str | None) -> str:
    """The widget with its settings filled in; a null rasaUrl means "the widget's own host, port 5005"."""
    source = (STATIC / "widget.js").read_text(encoding="utf-8")
    return source.replace("/*__TOPUP_CONFIG__*/null", json.dumps({"rasaUrl": rasa_public_url}), 1)


def demo_shop_template() -> str:
    return (PAGES / "demo-shop.html").read_text(encoding="utf-8")


def _page(name: str, **headers: str) -> web.FileResponse:
    return web.FileResponse(PAGES / name, headers={"Cache-Control": "no-cache", **headers})


async def chat_page(request: web.Request) -> web.FileResponse:
    return _page("chat.html")


async def console_page(request: web.Request) -> web.FileResponse:
    return _page("console.html", **{"Content-Security-Policy": CONSOLE_CSP, "X-Frame-Options": "DENY"})


async def widget_js(request: web.Request) -> web.Response:
    """The one script a shop embeds; it loads its own styles and the socket.io client."""
    return web.Response(text=request.app[WIDGET_JS], content_type="application/javascript", charset="utf-8",
                        headers={"Cache-Control": "no-cache"})


async def demo_shop(request: web.Request) -> web.Response:
    """A pretend shop page whose server signs its logged-in customer, as a real shop would."""
    token = customer_token.sign(*DEMO_CUSTOMER)
    body = request.app[DEMO_SHOP].replace("{{CUSTOMER_TOKEN}}", html.escape(token, quote=True))
    return web.Response(text=body, content_type="text/html", charset="utf-8", headers={"Cache-Control": "no-store"})

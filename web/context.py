"""The process's application object as the aiohttp app holds it: every handler reads it from here."""

from __future__ import annotations

from aiohttp import web

from topup.app import App

TOPUP = web.AppKey("topup", App)


def topup(request: web.Request) -> App:
    return request.app[TOPUP]

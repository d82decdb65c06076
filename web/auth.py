"""Console sign-in: a signed, expiring session cookie (topup.agents) checked on every API call and page stream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from topup import agents, config
from web.jsonio import error, respond

COOKIE = "topup_console"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

EXPIRED = "登录已过期，请重新登录"
NOT_SIGNED_IN = "请先登录"
BAD_CREDENTIALS = "用户名或密码不正确"


def current_agent(request: web.Request) -> str | None:
    """The signed-in agent's username, or None when the cookie is missing, forged or expired."""
    return agents.check_session(request.cookies.get(COOKIE))


def unauthorised(request: web.Request) -> web.Response:
    """Tell an expired session apart from no session, so the console can say why it signs the agent out."""
    if request.cookies.get(COOKIE):
        return error(401, EXPIRED, "session_expired")
    return error(401, NOT_SIGNED_IN, "not_signed_in")


def agent_required(handler: Handler) -> Handler:
    """Only signed-in agents get past; the username is in request["agent"]."""

    @wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        username = current_agent(request)
        if username is None:
            return unauthorised(request)
        request["agent"] = username
        return await handler(request)

    return wrapper


def _profile(username: str) -> dict:
    agent = agents.accounts().get(username)
    return {"username": username, "display_name": agent.display_name if agent else username}


async def _json_body(request: web.Request) -> dict:
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


async def login(request: web.Request) -> web.Response:
    body = await _json_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return error(401, BAD_CREDENTIALS, "bad_credentials")
    # pbkdf2 with 200k rounds takes a noticeable slice of CPU: keep it off the event loop.
    agent = await asyncio.to_thread(agents.authenticate, username.strip(), password)
    if agent is None:
        return error(401, BAD_CREDENTIALS, "bad_credentials")
    response = respond(_profile(agent.username))
    response.set_cookie(
        COOKIE,
        agents.issue_session(agent.username),
        max_age=config.console_session_seconds(),
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.Response:
    response = respond({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@agent_required
async def me(request: web.Request) -> web.Response:
    return respond(_profile(request["agent"]))

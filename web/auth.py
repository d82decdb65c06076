"""Console sign-in: a signed, expiring session cookie (topup.agents) checked on every API call and page stream."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from functools import wraps

from aiohttp import web

from topup.pii import for_log
from topup.ratelimit import OncePer, RateLimiter
from web.context import topup
from web.jsonio import error, json_body, respond

COOKIE = "topup_console"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

EXPIRED = "登录已过期，请重新登录"
NOT_SIGNED_IN = "请先登录"
BAD_CREDENTIALS = "用户名或密码不正确"
TOO_MANY_ATTEMPTS = "登录尝试次数太多了，为了账号安全，请 {minutes} 分钟后再试。"

# Sign-in attempts per client IP + username (TOPUP_LOGIN_RATE, the application object's limiter). Each attempt
# is counted before the password is checked (so parallel guesses are bounded too) and a successful sign-in
# clears the count, so an agent signing in again and again is never locked out. Over the limit every attempt,
# right password or not, gets 429, so guessing stops.
security_log = logging.getLogger("topup.security")
_limited_logged = OncePer()  # one security event per client and window, however hard it keeps trying


def client_address(request: web.Request, trusted_proxies: int) -> str:
    """Who is asking: the peer, or behind `trusted_proxies` proxies (TOPUP_TRUSTED_PROXIES, 1 behind the launcher's
    nginx) the address the outermost one saw, from X-Forwarded-For. Entries a client put there itself come before
    the ones the proxies added and are never used."""
    if trusted_proxies > 0:
        hops = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(hops) >= trusted_proxies:
            return hops[-trusted_proxies]
    return request.remote or "unknown"


def current_agent(request: web.Request) -> str | None:
    """The signed-in agent's username, or None when the cookie is missing, forged or expired."""
    return topup(request).sessions.check(request.cookies.get(COOKIE))


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


def _profile(request: web.Request, username: str) -> dict:
    return {"username": username, "display_name": topup(request).agents.display_name(username)}


async def login(request: web.Request) -> web.Response:
    body = await json_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or not username or not password:
        return error(401, BAD_CREDENTIALS, "bad_credentials")
    app = topup(request)
    limiter = app.limits.login
    address = client_address(request, app.settings.trusted_proxies)
    client = f"{address}|{username.strip().casefold()}"
    if not await limiter.allow(client):
        if _limited_logged.first(client, limiter.rate.seconds if limiter.rate else 60):
            security_log.warning("login_limited limit=%s client=%s username=%s", limiter.rate,
                                 for_log(address), for_log(username, 64))
        return _too_many(limiter)
    # pbkdf2 with 200k rounds takes a noticeable slice of CPU: keep it off the event loop.
    agent = await asyncio.to_thread(app.agents.authenticate, username.strip(), password)
    if agent is None:
        return error(401, BAD_CREDENTIALS, "bad_credentials")
    await limiter.reset(client)
    response = respond(_profile(request, agent.username))
    response.set_cookie(
        COOKIE,
        app.sessions.issue(agent.username),
        max_age=app.sessions.ttl_seconds,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    return response


def _too_many(limiter: RateLimiter) -> web.Response:
    seconds = limiter.rate.seconds if limiter.rate else 60
    response = error(429, TOO_MANY_ATTEMPTS.format(minutes=max(1, math.ceil(seconds / 60))), "too_many_attempts")
    response.headers["Retry-After"] = str(math.ceil(seconds))
    return response


async def logout(request: web.Request) -> web.Response:
    response = respond({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@agent_required
async def me(request: web.Request) -> web.Response:
    return respond(_profile(request, request["agent"]))

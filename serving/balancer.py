"""A small HTTP and WebSocket load balancer for running the assistant scaled out on one machine.

    python -m serving.balancer --port 5055 --upstream http://127.0.0.1:5056 --upstream http://127.0.0.1:5057 \
        --health /health [--sticky]

Rasa talks to exactly one action server URL, and a browser to one chat URL, so M action servers and
N Rasa servers need something in front. In production that is nginx or a cloud load balancer (see
docs/DEPLOYMENT.md and deploy/); this is the same job for `make run-scaled` and the tests:
- health checks every second; a server that stops answering leaves the rotation until it answers again;
- round robin, or with --sticky the client's address picks the server (socket.io's long-polling
  transport needs every request of a session on the server that opened it);
- a request whose server refuses the connection is retried once on the next server (nothing ran yet);
- WebSocket upgrades are proxied both ways.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import logging

import aiohttp
from aiohttp import web

logger = logging.getLogger("topup.balancer")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}


class Pool:
    def __init__(self, upstreams: list[str], health_path: str, sticky: bool) -> None:
        self.upstreams = [u.rstrip("/") for u in upstreams]
        self.healthy = list(self.upstreams)
        self.health_path = health_path
        self.sticky = sticky
        self._turn = itertools.count()

    def order(self, client: str) -> list[str]:
        """Servers to try for this client, best first: healthy ones, then the rest as a last resort."""
        alive = [u for u in self.upstreams if u in self.healthy] or list(self.upstreams)
        if self.sticky:
            start = int(hashlib.sha256(client.encode()).hexdigest(), 16) % len(alive)
        else:
            start = next(self._turn) % len(alive)
        ranked = alive[start:] + alive[:start]
        return ranked + [u for u in self.upstreams if u not in ranked]

    async def watch(self, http: aiohttp.ClientSession) -> None:
        while True:
            healthy = []
            for upstream in self.upstreams:
                try:
                    async with http.get(upstream + self.health_path, timeout=aiohttp.ClientTimeout(total=2)) as r:
                        if r.status < 500:
                            healthy.append(upstream)
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
            if healthy != self.healthy:
                logger.warning("healthy servers: %s", ", ".join(healthy) or "none")
            self.healthy = healthy
            await asyncio.sleep(1)


def _client(request: web.Request) -> str:
    return request.remote or ""


def _headers(request: web.Request) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    forwarded = request.headers.get("X-Forwarded-For")
    headers["X-Forwarded-For"] = f"{forwarded}, {_client(request)}" if forwarded else _client(request)
    return headers


async def _websocket(request: web.Request, upstream: str, http: aiohttp.ClientSession) -> web.StreamResponse:
    url = upstream.replace("http", "ws", 1) + request.path_qs
    async with http.ws_connect(url, headers=_headers(request), timeout=10) as server:
        client = web.WebSocketResponse()
        await client.prepare(request)

        async def pump(source, sink) -> None:  # noqa: ANN001
            async for message in source:
                if message.type == aiohttp.WSMsgType.TEXT:
                    await sink.send_str(message.data)
                elif message.type == aiohttp.WSMsgType.BINARY:
                    await sink.send_bytes(message.data)
                else:
                    break
            await sink.close()

        await asyncio.gather(pump(client, server), pump(server, client), return_exceptions=True)
        return client


def make_app(pool: Pool, timeout_s: float) -> web.Application:
    async def proxy(request: web.Request) -> web.StreamResponse:
        http: aiohttp.ClientSession = request.app["http"]
        body = await request.read()
        for upstream in pool.order(_client(request))[:2]:
            try:
                if request.headers.get("Upgrade", "").lower() == "websocket":
                    return await _websocket(request, upstream, http)
                async with http.request(request.method, upstream + request.path_qs, headers=_headers(request),
                                        data=body, allow_redirects=False,
                                        timeout=aiohttp.ClientTimeout(total=timeout_s)) as answer:
                    payload = await answer.read()
                    headers = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP}
                    return web.Response(status=answer.status, body=payload, headers=headers)
            except aiohttp.ClientConnectorError:
                logger.warning("%s refused the connection; trying the next server", upstream)
                continue
            except asyncio.TimeoutError:
                return web.json_response({"error": "upstream timed out"}, status=504)
        return web.json_response({"error": "no server available"}, status=502)

    async def lifecycle(app: web.Application):  # noqa: ANN202
        app["http"] = aiohttp.ClientSession(auto_decompress=False)
        watcher = asyncio.create_task(pool.watch(app["http"]))
        yield
        watcher.cancel()
        await app["http"].close()

    app = web.Application(client_max_size=2 * 1024 * 1024)
    app.cleanup_ctx.append(lifecycle)
    app.router.add_route("*", "/{tail:.*}", proxy)
    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m serving.balancer", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", action="append", required=True)
    parser.add_argument("--health", default="/", help="path that answers < 500 when a server is up")
    parser.add_argument("--sticky", action="store_true", help="same client address, same server")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for a server's answer")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    pool = Pool(args.upstream, args.health, args.sticky)
    web.run_app(make_app(pool, args.timeout), host=args.host, port=args.port, access_log=None)


if __name__ == "__main__":
    main()

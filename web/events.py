"""Live console updates: one poller reads the database, every signed-in console gets the news over SSE."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from topup.app import App
from topup.model import TicketView
from web.auth import COOKIE, agent_required
from web.context import topup
from web.jsonio import dumps, ticket_dict

logger = logging.getLogger(__name__)

POLL_S = 0.3  # how stale the console may be: customer messages must show within a second
PRESENCE_S = 20  # agents_online() counts an agent seen within the last 60 s
PING_S = 10  # a comment line, so a closed browser tab is noticed and proxies keep the stream open
SUBSCRIBER_BACKLOG = 1000


def queue_json(tickets: list[TicketView], app: App) -> str:
    """The queue as the console lists it (without transcripts, which only the ticket view needs)."""
    rows = []
    for ticket in tickets:
        row = ticket_dict(ticket, app.agents)
        row["details"].pop("transcript", None)
        rows.append(row)
    return dumps(rows)


def current_queue_json(app: App) -> str:
    """Read and serialise in one worker-thread call (serialising reads the agents file for display names)."""
    return queue_json(app.console.queue(), app)


def queue_event(rows_json: str, app: App) -> str:
    """Server time goes with every snapshot so waiting times are right even if the agent's clock is off."""
    return f'{{"now": "{app.clock.now().isoformat()}Z", "tickets": {rows_json}}}'


class LiveFeed:
    """A single database poller shared by all streams, so ten open consoles do not mean ten pollers."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.subscribers: set[asyncio.Queue] = set()
        self.last_id = 0
        self._queue_json: str | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        # Messages already in the database reach the console through the ticket view, not as live news.
        self.last_id = await asyncio.to_thread(self.app.console.latest_message_id)
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        for subscriber in list(self.subscribers):
            self._close(subscriber)

    def subscribe(self) -> asyncio.Queue:
        subscriber: asyncio.Queue = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self.subscribers.add(subscriber)
        self._wake.set()
        return subscriber

    def unsubscribe(self, subscriber: asyncio.Queue) -> None:
        self.subscribers.discard(subscriber)

    def _close(self, subscriber: asyncio.Queue) -> None:
        """End a stream (shutdown, or a browser too slow to keep up: it reconnects and reloads)."""
        self.subscribers.discard(subscriber)
        while not subscriber.empty():
            subscriber.get_nowait()
        subscriber.put_nowait(None)

    def _publish(self, event: str, data: str) -> None:
        for subscriber in list(self.subscribers):
            try:
                subscriber.put_nowait((event, data))
            except asyncio.QueueFull:
                self._close(subscriber)

    async def _run(self) -> None:
        while True:
            if not self.subscribers:
                self._wake.clear()
                await self._wake.wait()
            try:
                await self.poll_once()
            except Exception:  # a database hiccup must not end the feed
                logger.exception("live feed poll failed")
                await asyncio.sleep(2)
            await asyncio.sleep(POLL_S)

    async def poll_once(self) -> None:
        messages = await asyncio.to_thread(self.app.console.messages_since, self.last_id)
        for message in messages:
            self.last_id = message.id
            self._publish("message", dumps(message.as_dict()))
        rows_json = await asyncio.to_thread(current_queue_json, self.app)
        if rows_json != self._queue_json:
            self._queue_json = rows_json
            self._publish("queue", queue_event(rows_json, self.app))


FEED = web.AppKey("feed", LiveFeed)


async def _send(response: web.StreamResponse, event: str, data: str) -> None:
    await response.write(f"event: {event}\ndata: {data}\n\n".encode())


@agent_required
async def stream(request: web.Request) -> web.StreamResponse:
    """GET /api/events: `queue` snapshots when the queue changes, `message` for each new live message."""
    feed, agent, token = request.app[FEED], request["agent"], request.cookies.get(COOKIE)
    app = topup(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    subscriber = feed.subscribe()
    loop = asyncio.get_running_loop()
    try:
        await response.write(b"retry: 2000\n\n")
        await asyncio.to_thread(app.console.touch_presence, agent)
        await _send(response, "queue", queue_event(await asyncio.to_thread(current_queue_json, app), app))
        next_presence, next_ping = loop.time() + PRESENCE_S, loop.time() + PING_S
        while True:
            wait = max(0.0, min(next_presence, next_ping) - loop.time())
            try:
                item = await asyncio.wait_for(subscriber.get(), wait)
            except asyncio.TimeoutError:
                item = ()
            if item is None:
                break
            if item:
                await _send(response, *item)
            if loop.time() >= next_ping:
                await response.write(b": ping\n\n")
                next_ping = loop.time() + PING_S
            if loop.time() >= next_presence:
                if app.sessions.check(token) is None:  # the session ran out while the page stayed open
                    await _send(response, "expired", '{"error": "登录已过期，请重新登录"}')
                    break
                await asyncio.to_thread(app.console.touch_presence, agent)
                next_presence = loop.time() + PRESENCE_S
    except ConnectionResetError:  # the browser went away
        pass
    finally:
        feed.unsubscribe(subscriber)
    return response

"""Live console updates: one poller reads the database, every signed-in console gets the news over SSE.

Two kinds of news: `message`, each new live message (the case view shows it), and `queue`, a small "the queue
changed" note (a version, the count of every tab, the newest open ticket): each console then fetches its own page
(GET /api/tickets), so no stream ever carries the queue itself, whatever its size.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from topup.app import App
from topup.services.queue import QueuePulse, QueueService
from web.auth import COOKIE, agent_required
from web.context import topup
from web.jsonio import dumps

logger = logging.getLogger(__name__)

POLL_S = 0.3  # how stale the console may be: customer messages must show within a second
PRESENCE_S = 20  # agents_online() counts an agent seen within the last 60 s
PING_S = 10  # a comment line, so a closed browser tab is noticed and proxies keep the stream open
SUBSCRIBER_BACKLOG = 1000


def queue_event(pulse: QueuePulse, agent: str, app: App) -> str:
    """The `queue` event for one agent's console: server time (waiting times are right even if the agent's
    clock is off), the version, every tab's count (我的 is this agent's), and what a new-ticket alert needs."""
    newest = pulse.newest_open
    return dumps({
        "version": pulse.version, "now": app.clock.now(), "counts": pulse.counts_for(agent),
        "open_count": pulse.open_count,
        "newest_open": None if newest is None else {"ticket_no": newest.ticket_no, "priority": newest.priority,
                                                    "created_at": newest.created_at},
    })


class LiveFeed:
    """A single database poller shared by all streams, so ten open consoles do not mean ten pollers."""

    def __init__(self, app: App, queue: QueueService | None = None) -> None:
        self.app = app
        self.queue = queue or QueueService(app.engine, app.clock)
        self.subscribers: dict[asyncio.Queue, str] = {}  # each stream and its agent (我的 is counted per agent)
        self.last_id = 0
        self.pulse: QueuePulse | None = None
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

    def subscribe(self, agent: str = "") -> asyncio.Queue:
        subscriber: asyncio.Queue = asyncio.Queue(maxsize=SUBSCRIBER_BACKLOG)
        self.subscribers[subscriber] = agent
        self._wake.set()
        return subscriber

    def unsubscribe(self, subscriber: asyncio.Queue) -> None:
        self.subscribers.pop(subscriber, None)

    def _close(self, subscriber: asyncio.Queue) -> None:
        """End a stream (shutdown, or a browser too slow to keep up: it reconnects and reloads)."""
        self.subscribers.pop(subscriber, None)
        while not subscriber.empty():
            subscriber.get_nowait()
        subscriber.put_nowait(None)

    def _put(self, subscriber: asyncio.Queue, event: str, data: str) -> None:
        try:
            subscriber.put_nowait((event, data))
        except asyncio.QueueFull:
            self._close(subscriber)

    def _publish(self, event: str, data: str) -> None:
        for subscriber in list(self.subscribers):
            self._put(subscriber, event, data)

    def _publish_queue(self, pulse: QueuePulse) -> None:
        events: dict[str, str] = {}  # one serialisation per agent, however many tabs they have open
        for subscriber, agent in list(self.subscribers.items()):
            if agent not in events:
                events[agent] = queue_event(pulse, agent, self.app)
            self._put(subscriber, "queue", events[agent])

    async def current_pulse(self) -> QueuePulse:
        """The latest pulse (read now if the poller has not run yet), for a stream that just opened."""
        if self.pulse is not None:
            return self.pulse
        pulse = await asyncio.to_thread(self.queue.pulse)
        if self.pulse is None:  # the poller may have read a newer one meanwhile
            self.pulse = pulse
        return pulse

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
        pulse = await asyncio.to_thread(self.queue.pulse, self.pulse)
        # The first reading is news to nobody: every stream sends the pulse it found when it opened.
        changed = self.pulse is not None and pulse.version != self.pulse.version
        self.pulse = pulse
        if changed:
            self._publish_queue(pulse)


FEED = web.AppKey("feed", LiveFeed)


async def _send(response: web.StreamResponse, event: str, data: str) -> None:
    await response.write(f"event: {event}\ndata: {data}\n\n".encode())


@agent_required
async def stream(request: web.Request) -> web.StreamResponse:
    """GET /api/events: `queue` when the queue changes (and once on connecting), `message` for each new live
    message."""
    feed, agent, token = request.app[FEED], request["agent"], request.cookies.get(COOKIE)
    app = topup(request)
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    subscriber = feed.subscribe(agent)
    loop = asyncio.get_running_loop()
    try:
        await response.write(b"retry: 2000\n\n")
        await asyncio.to_thread(app.console.touch_presence, agent)
        await _send(response, "queue", queue_event(await feed.current_pulse(), agent, app))
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

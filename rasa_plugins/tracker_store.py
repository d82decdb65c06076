"""Rasa's SQL tracker store with the conversation kept in memory between its messages.

Every message makes Rasa's SQLTrackerStore read the whole conversation back, decode every event from JSON
and rebuild the tracker event by event (looking each event's class up among all Event subclasses), then
write the new events: under load that was a quarter of the Rasa server's time, growing with the length of
the conversation (ops/bench/profile.py). This store keeps the tracker it saved and hands it back on the next
message if, and only if, the database still ends where it left it: one indexed `max(id)` query instead of
reading and rebuilding everything. Another Rasa server writing to the conversation, a failed turn that
never saved, a new session: any of these and the tracker is read from the database as before.

SQLite databases also get a pooled connection (not one per query) with WAL and synchronous=NORMAL (no fsync
per turn; still crash-safe). Calls to a database over the network run in a worker thread (`_call`).

endpoints.yml: tracker_store: {type: rasa_plugins.tracker_store.CachedSQLTrackerStore, url: <SQLAlchemy URL>}
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, NamedTuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from topup import settings

logger = logging.getLogger(__name__)


def cache_size() -> int:
    """TOPUP_TRACKER_CACHE_SIZE: conversations kept between their messages (least recently used go first)."""
    return settings.current().tracker_cache_size


class _Entry(NamedTuple):
    tracker: DialogueStateTracker
    last_id: int | None  # the database's last event id for the conversation when this server saved it
    saved: int  # how many of tracker.events are in the database
    sessions: int  # SessionStarted events among them


class CachedSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore that skips re-reading a conversation nobody else changed since this server saved it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._lent: dict[str, _Entry] = {}  # handed out by retrieve(), coming back through save()
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens and closes a SQLite file connection per session (NullPool): a pooled one
            # instead, with WAL and synchronous=NORMAL set once per connection.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.QueuePool, pool_size=2, max_overflow=4,
                                           connect_args={"check_same_thread": False, "timeout": 15})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _call(self, call: Callable[..., Any], *args: Any) -> Any:  # noqa: ANN401 - what `call` returns
        """A database call: in a worker thread for a database over the network, in place for SQLite.

        Rasa's SQL store is `async` but talks to the database synchronously, so a PostgreSQL round trip held up
        every conversation on the server. SQLite answers in microseconds from a local file, where the hop to a
        thread and back (and the GIL) cost more than they save (one run's saturation: 22 msg/s in place, 19 in
        threads)."""
        if self.engine.dialect.name == "sqlite":
            return call(*args)
        return await asyncio.to_thread(call, *args)

    async def _run(self, work: Coroutine[Any, Any, Any]) -> Any:  # noqa: ANN401 - what Rasa's method returns
        """One of Rasa's own (blocking) coroutines, retrieve or save, as `_call` places a call."""
        if self.engine.dialect.name == "sqlite":
            return await work
        return await asyncio.to_thread(asyncio.run, work)

    def _last_id(self, sender_id: str) -> int | None:
        with self.session_scope() as session:
            return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        entry = self._cache.pop(sender_id, None)  # the caller owns the tracker now
        last_id = await self._call(self._last_id, sender_id)
        if last_id is None:
            return None  # a new conversation: nothing to read
        if entry is not None and entry.last_id == last_id:
            self._lent[sender_id] = entry
            return entry.tracker
        return await self._run(super().retrieve(sender_id))

    async def save(self, tracker: DialogueStateTracker) -> None:
        entry = self._lent.pop(tracker.sender_id, None) or self._cache.get(tracker.sender_id)
        count = len(tracker.events)
        if entry is not None and entry.tracker is tracker and entry.saved <= count:
            await self.stream_events(tracker)
            new = list(itertools.islice(tracker.events, entry.saved, None))  # only these: O(1) per message
            last_id = await self._call(self._append, tracker, new) or entry.last_id
            sessions = entry.sessions + _sessions(new)
        else:
            await self._run(super().save(tracker))
            last_id = await self._call(self._last_id, tracker.sender_id)
            sessions = _sessions(tracker.events)
        # A tracker that spans a new session holds events a fresh read would not: let the database decide.
        if sessions > 1:
            self._cache.pop(tracker.sender_id, None)
            return
        self._cache[tracker.sender_id] = _Entry(tracker, last_id, count, sessions)
        self._cache.move_to_end(tracker.sender_id)
        while len(self._cache) > cache_size():
            self._cache.popitem(last=False)

    def _append(self, tracker: DialogueStateTracker, events: list[Any]) -> int | None:
        """Store the new events as SQLTrackerStore.save does; the last one's id (None if there were none)."""
        if not events:
            return None
        with self.session_scope() as session:
            rows = []
            for event in events:
                data = event.as_dict()
                rows.append(self.SQLEvent(
                    sender_id=tracker.sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get("name"),
                    action_name=data.get("name"), data=json.dumps(data),
                ))
            session.add_all(rows)
            session.flush()
            last_id = max(row.id for row in rows)
            session.commit()
            return last_id


def _sessions(events: Iterable[Any]) -> int:
    return sum(1 for event in events if isinstance(event, SessionStarted))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:  # noqa: ANN401
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()

"""Rasa's Redis lock store, made safe for several Rasa servers and quick to hand the lock on.

Rasa 3.6's RedisLockStore reads the conversation's ticket lock, changes it in Python and writes it
back (GET, then SET). Two Rasa servers taking a ticket at the same moment can both read the same
lock: one ticket is lost and two messages of one conversation run at once (events lost or doubled),
or a finishing server deletes the lock a new ticket was just written to, and the waiting message fails
with a LockError. Here every read-modify-write is one optimistic Redis transaction (WATCH/MULTI,
retried on conflict), and a waiting message checks every TOPUP_LOCK_POLL_SECONDS (default 0.02 s)
instead of every second.

endpoints.yml: lock_store: {type: rasa_plugins.lock_store.AtomicRedisLockStore, url: ..., port: ..., db: ...}
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

from topup import settings

T = TypeVar("T")
logger = logging.getLogger(__name__)
# A lock nobody touches for this long belongs to a crashed server: Redis forgets it.
STALE_LOCK_SECONDS = 600


def poll_seconds() -> float:
    return settings.current().lock_poll_seconds


def _from_url(url: str) -> dict[str, Any]:
    """RedisLockStore's arguments from a redis:// or rediss:// URL, decoded as redis-py decodes it."""
    from redis.connection import SSLConnection, parse_url

    parsed = parse_url(url)
    arguments = {key: parsed[key] for key in ("host", "port", "db", "username", "password") if key in parsed}
    arguments["use_ssl"] = parsed.get("connection_class") is SSLConnection
    return arguments


class AtomicRedisLockStore(RedisLockStore):
    """RedisLockStore whose ticket operations are atomic across processes."""

    def __init__(self, host: str = "localhost", endpoint_config: Any = None, **kwargs: Any) -> None:
        # Rasa builds a lock store named by module path with the endpoint config alone.
        if endpoint_config is not None:
            host = endpoint_config.url or host
            kwargs = {**endpoint_config.kwargs, **kwargs}
        if "://" in host:  # the whole Redis URL (TOPUP_LOCK_STORE_URL): user, password, TLS and database from it
            for name in ("port", "db", "password"):
                kwargs.pop(name, None)
            kwargs.update(_from_url(host))
            host = kwargs.pop("host")
        kwargs.setdefault("key_prefix", "topup")
        kwargs.setdefault("socket_timeout", 2)
        super().__init__(host=host, **kwargs)
        self._local_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def _transact(self, conversation_id: str, change: Callable[[TicketLock | None], tuple[TicketLock | None, T]]) -> T:
        """Apply `change` to the stored lock atomically; `change` returns (lock to store or None to delete, result)."""
        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    updated, result = change(lock)
                    pipe.multi()
                    if updated is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, updated.dumps(), ex=STALE_LOCK_SECONDS)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transact(conversation_id, change)
        except redis.RedisError as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_expired_tickets()
            return lock, None

        self._transact(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Drop our ticket; delete the lock only if, in the same transaction, nobody else holds one."""

        def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            lock.remove_expired_tickets()
            return (lock if lock.tickets else None), None

        self._transact(conversation_id, change)

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float | None = None
    ) -> AsyncGenerator[TicketLock, None]:
        wait = poll_seconds() if wait_time_in_seconds is None else wait_time_in_seconds
        try:
            ticket = self.issue_ticket(conversation_id, lock_lifetime)
        except LockError as error:
            if not isinstance(error.__cause__, redis.RedisError):
                raise
            # Redis is down: keep answering, one message per conversation within this server (what a single
            # server guarantees anyway), and say loudly that servers no longer coordinate.
            logger.error("lock store: Redis unreachable (%s); locking within this server only", error.__cause__)
            local = self._local_locks.setdefault(conversation_id, asyncio.Lock())
            async with local:
                yield TicketLock(conversation_id)
            return
        try:  # LockStore.lock, with the ticket taken above
            yield await self._acquire_lock(conversation_id, ticket, wait)
        finally:
            self.cleanup(conversation_id, ticket)

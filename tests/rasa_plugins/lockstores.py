"""Lock stores on the test Redis (db 7) under a key prefix of the test's own (the `prefix` fixture)."""

from __future__ import annotations

from rasa.core.lock_store import RedisLockStore

from rasa_plugins.lock_store import AtomicRedisLockStore
from tests.services import REDIS_HOST, REDIS_PORT

REDIS_DB = 7


def atomic(prefix: str) -> AtomicRedisLockStore:
    return AtomicRedisLockStore(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, key_prefix=prefix)


def stock(prefix: str) -> RedisLockStore:
    return RedisLockStore(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, key_prefix=prefix)


def stored_tickets(store: RedisLockStore, conversation: str) -> list[int]:
    return [t.number for t in getattr(store.get_lock(conversation), "tickets", [])]

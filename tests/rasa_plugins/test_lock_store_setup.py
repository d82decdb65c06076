"""AtomicRedisLockStore as Rasa builds it from endpoints.yml, and when Redis is down."""

from __future__ import annotations

import asyncio

from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins.lock_store import AtomicRedisLockStore
from tests.rasa_plugins.lockstores import REDIS_DB, atomic, stored_tickets
from tests.services import REDIS_HOST, REDIS_PORT


def test_rasa_builds_it_from_an_endpoint_config(prefix: str) -> None:
    config = EndpointConfig(url="127.0.0.1", port="6379", db=str(REDIS_DB),
                            type="rasa_plugins.lock_store.AtomicRedisLockStore")
    store = LockStore.create(config)
    assert isinstance(store, AtomicRedisLockStore)
    connection = store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("127.0.0.1", 6379, REDIS_DB)
    assert store.key_prefix == "topup:lock:"
    conversation = f"{prefix}-endpoint"  # under the default prefix: deleted below by name
    try:
        assert store.issue_ticket(conversation) == 0
        assert store.red.exists("topup:lock:" + conversation)
    finally:
        store.red.delete("topup:lock:" + conversation)


def test_endpoint_config_key_prefix_is_kept(prefix: str) -> None:
    config = EndpointConfig(url=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB, key_prefix=prefix,
                            type="rasa_plugins.lock_store.AtomicRedisLockStore")
    store = LockStore.create(config)
    assert store.key_prefix == f"{prefix}:lock:"
    assert store.issue_ticket("conv") == 0
    assert stored_tickets(atomic(prefix), "conv") == [0]


async def test_with_redis_down_messages_are_still_locked_within_the_server() -> None:
    """No Redis: no LockError for the customer; one message of a conversation at a time in this process."""
    store = AtomicRedisLockStore(host="127.0.0.1", port=1, socket_timeout=1)
    inside, overlaps = 0, 0

    async def turn() -> None:
        nonlocal inside, overlaps
        async with store.lock("down-conv"):
            inside += 1
            overlaps += inside > 1
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(turn() for _ in range(5)))
    assert overlaps == 0

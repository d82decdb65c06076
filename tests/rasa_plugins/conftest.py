"""Fixtures for the Rasa plug-in tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import redis

from tests.rasa_plugins.lockstores import REDIS_DB
from tests.services import REDIS_HOST, REDIS_PORT, require_services


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of the test's own; every key under it is deleted afterwards (nothing else in db 7)."""
    require_services(postgres=False, redis=True)
    name = "t" + uuid.uuid4().hex[:12]
    yield name
    with redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB) as client:
        for key in client.scan_iter(match=f"{name}:*"):
            client.delete(key)

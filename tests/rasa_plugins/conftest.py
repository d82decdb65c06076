"""Fixtures for the Rasa plug-in tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.appkit import make_settings
from tests.rasa_plugins.lockstores import REDIS_DB
from tests.services import REDIS_HOST, REDIS_PORT, require_services
from topup import settings
from topup.settings import Settings


@pytest.fixture(autouse=True)
def plugin_settings(tmp_path: Path) -> Settings:
    """What the Rasa-side plug-ins read (topup.settings.current()): the defaults, on the test's own state folder.

    A test that needs other values installs its own (``settings.install(make_settings(tmp_path, TOPUP_X="..."))``);
    tests/conftest.py puts the process's settings back afterwards.
    """
    installed = make_settings(tmp_path)
    settings.install(installed)
    return installed


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of the test's own; every key under it is deleted afterwards (nothing else in db 7)."""
    require_services(postgres=False, redis=True)
    name = "t" + uuid.uuid4().hex[:12]
    yield name
    with redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB) as client:
        for key in client.scan_iter(match=f"{name}:*"):
            client.delete(key)

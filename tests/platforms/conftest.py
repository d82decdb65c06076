"""Throwaway MariaDB databases with the demo orders of each platform (ops/platform_demo.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime

import pytest

from ops import platform_demo
from ops.launcher.stack import Stack
from tests.e2e.conftest import LOAD_SETTINGS
from tests.platforms.test_platform_demo import _connect, require_mariadb


def _database(platform: str, now: datetime | None = None) -> Iterator[tuple[str, dict[str, str]]]:
    """A database of its own with the demo rows, their times relative to `now` (default: the real now, as the
    servers' clocks see it)."""
    require_mariadb()
    name = f"topup_test_{platform}_{uuid.uuid4().hex[:8]}"
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    try:
        yield url, platform_demo.load(url, platform, now=now)
    finally:
        conn = _connect()
        try:
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        finally:
            conn.close()


@pytest.fixture(scope="module")
def dujiaoka_db() -> Iterator[tuple[str, dict[str, str]]]:
    yield from _database("dujiaoka")


@pytest.fixture(scope="module")
def acgfaka_db() -> Iterator[tuple[str, dict[str, str]]]:
    yield from _database("acgfaka")


WEBHOOK_TOKEN = "w" * 24


def _stack(tmp_path_factory: pytest.TempPathFactory, platform: str, url: str) -> Iterator[Stack]:
    """The assistant as `make run` starts it, reading the platform's database (no polling: the tests say when)."""
    settings = {**LOAD_SETTINGS, "TOPUP_ORDER_SOURCE": platform, "TOPUP_ORDER_SOURCE_URL": url,
                "TOPUP_ORDER_POLL_SECONDS": "0", "TOPUP_ORDER_WEBHOOK_SECRET": WEBHOOK_TOKEN}
    with Stack.running(tmp_path_factory.mktemp(platform), settings) as stack:
        stack.app.console.touch_presence("xiaowang")  # an agent has the console open
        yield stack


@pytest.fixture(scope="module")
def dujiaoka_stack(tmp_path_factory: pytest.TempPathFactory, dujiaoka_db) -> Iterator[tuple[Stack, dict]]:  # noqa: ANN001
    url, numbers = dujiaoka_db
    for stack in _stack(tmp_path_factory, "dujiaoka", url):
        yield stack, numbers


@pytest.fixture(scope="module")
def acgfaka_stack(tmp_path_factory: pytest.TempPathFactory, acgfaka_db) -> Iterator[tuple[Stack, dict]]:  # noqa: ANN001
    url, numbers = acgfaka_db
    for stack in _stack(tmp_path_factory, "acgfaka", url):
        yield stack, numbers

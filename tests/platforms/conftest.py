"""Throwaway MariaDB databases with the demo orders of each platform (ops/platform_demo.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from ops import platform_demo
from tests.platforms.test_platform_demo import NOW, _connect, require_mariadb


def _database(platform: str) -> Iterator[tuple[str, dict[str, str]]]:
    require_mariadb()
    name = f"topup_test_{platform}_{uuid.uuid4().hex[:8]}"
    url = f"mysql+pymysql://root@127.0.0.1:3306/{name}"
    try:
        yield url, platform_demo.load(url, platform, now=NOW)
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

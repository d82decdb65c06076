"""The assistant as `make run` starts it (the launcher, under supervisord), on free ports and its own state folder.

The same launcher the run command and the benchmark use (ops/launcher), so these tests exercise the embedded
default exactly as it ships. Per-client chat limits are off: these tests send many messages from one address.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ops.launcher.stack import Stack
from tests.isolation import close_open_cases

LOAD_SETTINGS = {"TOPUP_CHAT_RATE": "off", "TOPUP_CHAT_IP_RATE": "off", "TOPUP_BUSINESS_HOURS": "00:00-23:59"}


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack.running(tmp_path_factory.mktemp("e2e"), LOAD_SETTINGS) as stack:
        yield stack


@pytest.fixture(autouse=True)
def _no_open_cases(request: pytest.FixtureRequest) -> None:
    """Each test's customer starts without the open cases earlier tests left (tests/isolation.py)."""
    if "servers" in request.fixturenames:
        close_open_cases(request.getfixturevalue("servers").app.engine)

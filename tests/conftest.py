"""Shared by every test: no setting from the shell leaks in, and nothing a test does lands in the checkout's var/.

Tests build their settings and application objects from dicts (tests/appkit.py). As a net under that, each test
starts with no process-wide settings or application object, and with TOPUP_STATE_DIR pointing at its own
temporary folder, so anything that still builds one from the environment builds it there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from topup import app as app_module
from topup import settings as settings_module


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith(("TOPUP_", "ENDPOINTS_")) and name != "TOPUP_REQUIRE_SERVICES":
            monkeypatch.delenv(name)
    monkeypatch.setenv("TOPUP_STATE_DIR", str(tmp_path / "state"))
    previous_app, previous_settings = app_module.install(None), settings_module._current
    settings_module.install(None)
    yield
    current = app_module.install(previous_app)
    if current is not None and current is not previous_app:
        current.close()
    settings_module.install(previous_settings)

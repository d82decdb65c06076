"""Shared by every test: nothing a test does lands in the checkout's own var/ folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _private_outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Handoffs queued while a test's database is 'down' go to the test's own folder, not var/outbox (where a
    running action server would deliver them)."""
    monkeypatch.setenv("TOPUP_OUTBOX_DIR", str(tmp_path / "outbox"))

"""rasa_plugins.rasa_server: the model's objects leave the garbage collector's way once the model is loaded."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
import rasa.core.run as rasa_run

from rasa_plugins import rasa_server
from tests.appkit import make_settings
from topup import settings


@pytest.fixture
def fake_loader(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Rasa's model loader replaced by one that records how many objects were frozen when it ran."""
    seen: list[int] = []

    async def load(*_: object, **__: object) -> str:
        seen.append(gc.get_freeze_count())
        return "agent"

    monkeypatch.setattr(rasa_run, "load_agent_on_start", load)
    yield seen
    gc.unfreeze()  # the rest of the test session collects as usual


def test_after_the_model_loads_everything_alive_is_frozen(fake_loader: list[int], tmp_path: Path) -> None:
    settings.install(make_settings(tmp_path))  # TOPUP_GC_FREEZE unset: on by default
    gc.unfreeze()
    rasa_server.freeze_after_load()
    assert rasa_run.load_agent_on_start.__name__ == "load_then_freeze"
    agent = asyncio.run(rasa_run.load_agent_on_start("models/x.tar.gz", None, None, None))
    assert agent == "agent"  # Rasa gets its agent back unchanged
    assert fake_loader == [0]  # nothing frozen while loading
    assert gc.get_freeze_count() > 1000


def test_it_can_be_turned_off(fake_loader: list[int], tmp_path: Path) -> None:
    settings.install(make_settings(tmp_path, TOPUP_GC_FREEZE="0"))
    gc.unfreeze()
    rasa_server.freeze_after_load()
    assert rasa_run.load_agent_on_start.__name__ == "load"
    asyncio.run(rasa_run.load_agent_on_start())
    assert gc.get_freeze_count() == 0

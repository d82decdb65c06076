"""The trained model's NLU, loaded once, as a plain function: text -> Rasa's parse (intent, entities)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "topup.tar.gz"


def load_parser(model: Path = MODEL) -> Callable[[str], dict]:
    """Raises FileNotFoundError without a trained model (`make train`; the test command trains first)."""
    from rasa.core.agent import Agent

    if not model.exists():
        raise FileNotFoundError(f"no trained model at {model}: run `make train`")
    agent = Agent.load(str(model))
    # A worker thread with its own loop: other suites (Playwright's sync API) may hold the caller's loop.
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nlu")
    return lambda text: worker.submit(asyncio.run, agent.parse_message(text)).result()

"""`rasa` with the assistant's hardening installed: python -m serving.rasa_server run --model ... (same arguments).

What it adds before Rasa starts: custom actions that apologise and offer a person when the action
server is down or slow (serving.resilient_action), and a garbage collector that leaves the loaded model
alone (freeze_after_load). Everything else is configuration: endpoints.yml (tracker store, lock store,
action server token) and the command line (auth token, interface).
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from typing import Any

from serving import resilient_action

logger = logging.getLogger(__name__)


def freeze_after_load() -> None:
    """Once the model is loaded, move everything alive into the collector's permanent generation.

    The loaded model is millions of objects (TensorFlow, spaCy, the domain) that live as long as the process.
    Python's full collections walked all of them, on the event loop, while every customer waited. Frozen, they
    are never walked again; the conversations' own objects are collected as before. TOPUP_GC_FREEZE=0 turns
    this off.
    """
    if os.environ.get("TOPUP_GC_FREEZE", "1") == "0":
        return
    import rasa.core.run as rasa_run

    load = rasa_run.load_agent_on_start

    async def load_then_freeze(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401 - Rasa's own signature
        agent = await load(*args, **kwargs)
        gc.collect()
        gc.freeze()
        logger.info("model loaded; %d objects frozen out of the garbage collector's way", gc.get_freeze_count())
        return agent

    rasa_run.load_agent_on_start = load_then_freeze


def main() -> None:
    resilient_action.install()
    freeze_after_load()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()

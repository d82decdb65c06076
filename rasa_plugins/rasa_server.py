"""The Rasa server of the assistant: `python -m rasa_plugins.rasa_server [--port N]`.

It reads and checks the settings (a wrong one stops the start with a message naming it), then runs
`rasa run` with the assistant's model, endpoints.yml and credentials.yml, the HTTP API behind
TOPUP_RASA_TOKEN, on TOPUP_BIND_HOST. Before Rasa starts it installs custom actions that apologise and
offer a person when the action server is down or slow (rasa_plugins.resilient_action), and a garbage
collector that leaves the loaded model alone (freeze_after_load). The values endpoints.yml expands are
computed from the settings here, so nothing else needs to set them.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from typing import Any

from rasa_plugins import resilient_action
from topup import settings as settings_module
from topup.settings import MODEL, ROOT, Settings

logger = logging.getLogger(__name__)


def freeze_after_load() -> None:
    """Once the model is loaded, move everything alive into the collector's permanent generation.

    The loaded model is millions of objects (TensorFlow, spaCy, the domain) that live as long as the process.
    Python's full collections walked all of them, on the event loop, while every customer waited. Frozen, they
    are never walked again; the conversations' own objects are collected as before. TOPUP_GC_FREEZE=0 turns
    this off.
    """
    if not settings_module.current().gc_freeze:
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


def rasa_arguments(settings: Settings, port: int) -> list[str]:
    """`rasa run`'s arguments for this server (the token never reaches the process list: argv is set inside)."""
    # --option=value: a token that starts with "-" is still the option's value, not another option.
    return ["run", "--enable-api", f"--auth-token={settings.rasa_token}", "-i", settings.bind_host,
            "--port", str(port), "--model", str(MODEL), "--endpoints", str(ROOT / "endpoints.yml"),
            "--credentials", str(ROOT / "credentials.yml"), "--cors", "*"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rasa_plugins.rasa_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="default TOPUP_RASA_PORT")
    args = parser.parse_args(argv)
    settings = settings_module.start("rasa server")
    os.environ.update(settings.endpoints_environment())
    os.environ["SANIC_WORKERS"] = str(settings.rasa_workers)
    if settings.trusted_proxies:  # the client's address from X-Forwarded-For, as many hops as there are proxies
        os.environ["SANIC_PROXIES_COUNT"] = str(settings.trusted_proxies)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    resilient_action.install()
    freeze_after_load()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *rasa_arguments(settings, args.port or settings.rasa_port)]
    os.chdir(ROOT)
    rasa_main()


if __name__ == "__main__":
    main()

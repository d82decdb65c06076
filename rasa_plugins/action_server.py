"""The action server: rasa-sdk's app with a shared-secret check, localhost by default, and the handoff outbox.

    python -m rasa_plugins.action_server [--port N]

- It reads and checks the settings first (a wrong one stops the start) and builds the application object
  the actions use (topup.app), so the first customer does not pay for it.
- Every request except /health must carry `Authorization: Bearer $TOPUP_ACTION_TOKEN` (Rasa sends it,
  see endpoints.yml).
- A background task delivers handoffs queued on disk while the database was down (topup.services.outbox).
- Error bodies never echo the request (rasa-sdk's default handler returns the whole tracker).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import logging

from rasa_sdk.endpoint import create_app
from sanic import Sanic, response
from sanic.request import Request

from topup import app as app_module
from topup import settings as settings_module
from topup.app import App
from topup.pii import install_log_filter

logger = logging.getLogger("topup.action_server")
OPEN_PATHS = {"/health"}


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def _deliver_queued_handoffs(app: App) -> None:
    """Every few seconds: hand queued handoffs to the database if it is back. Never raises."""
    while True:
        await asyncio.sleep(app.settings.outbox_retry_seconds)
        try:
            if app.outbox.pending():
                result = await asyncio.to_thread(app.outbox.flush)
                if result.delivered:
                    logger.info("delivered %d queued handoff(s); %d pending", len(result.delivered), result.pending)
        except Exception:  # noqa: BLE001 - the loop must survive anything
            logger.exception("delivering queued handoffs failed; will retry")


def build_app(app: App) -> Sanic:
    token = app.settings.action_token
    server = create_app("actions", cors_origins=[])

    @server.middleware("request")
    async def check_token(request: Request):  # noqa: ANN202 - Sanic middleware
        if request.path not in OPEN_PATHS and not _authorised(request, token):
            logger.warning("action server: request to %s without a valid token from %s", request.path, request.ip)
            return response.json({"error": "unauthorised"}, status=401)
        return None

    @server.exception(Exception)
    async def failed(request: Request, exception: Exception):  # noqa: ANN202
        logger.error("action server error on %s", request.path, exc_info=exception)
        return response.json({"error": "internal error"}, status=500)

    @server.listener("after_server_start")
    async def start_outbox(server: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        server.add_task(_deliver_queued_handoffs(app))

    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rasa_plugins.action_server",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="default TOPUP_ACTION_PORT")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    install_log_filter()  # card and mobile numbers masked in every log line, tracebacks included
    settings = settings_module.start("action server")
    app = App.build(settings)
    app_module.install(app)
    port = args.port or settings.action_port
    server = build_app(app)
    logger.info("action server on http://%s:%d", settings.bind_host, port)
    server.run(host=settings.bind_host, port=port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()

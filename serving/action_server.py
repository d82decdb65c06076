"""The action server: rasa-sdk's app with a shared-secret check, localhost by default, and the handoff outbox.

    python -m serving.action_server [--port 5055] [--host 127.0.0.1]

- Every request except /health must carry `Authorization: Bearer $TOPUP_ACTION_TOKEN` (Rasa sends it,
  see endpoints.yml); without the token set the check is off and a warning says so.
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

from topup import config
from topup.pii import install_log_filter
from topup.services import outbox

logger = logging.getLogger("topup.action_server")
OPEN_PATHS = {"/health"}


def _authorised(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


async def _deliver_queued_handoffs() -> None:
    """Every few seconds: hand queued handoffs to the database if it is back. Never raises."""
    while True:
        await asyncio.sleep(config.outbox_retry_seconds())
        try:
            if outbox.pending():
                result = await asyncio.to_thread(outbox.flush)
                if result.delivered:
                    logger.info("delivered %d queued handoff(s); %d pending", len(result.delivered), result.pending)
        except Exception:  # noqa: BLE001 - the loop must survive anything
            logger.exception("delivering queued handoffs failed; will retry")


def build_app(token: str | None = None) -> Sanic:
    token = config.action_token() if token is None else token
    app = create_app("actions", cors_origins=[])
    if not token:
        logger.warning("TOPUP_ACTION_TOKEN is not set: the action server accepts requests without a token")

    @app.middleware("request")
    async def check_token(request: Request):  # noqa: ANN202 - Sanic middleware
        if token and request.path not in OPEN_PATHS and not _authorised(request, token):
            logger.warning("action server: request to %s without a valid token from %s", request.path, request.ip)
            return response.json({"error": "unauthorised"}, status=401)
        return None

    @app.exception(Exception)
    async def failed(request: Request, exception: Exception):  # noqa: ANN202
        logger.error("action server error on %s", request.path, exc_info=exception)
        return response.json({"error": "internal error"}, status=500)

    @app.listener("after_server_start")
    async def start_outbox(app: Sanic, _loop: asyncio.AbstractEventLoop) -> None:
        app.add_task(_deliver_queued_handoffs())

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m serving.action_server", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=5055)
    parser.add_argument("--host", default=config.bind_host())
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s - %(message)s")
    install_log_filter()  # card and mobile numbers masked in every log line, tracebacks included
    app = build_app()
    logger.info("action server on http://%s:%d", args.host, args.port)
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)


if __name__ == "__main__":
    main()

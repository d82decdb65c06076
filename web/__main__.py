"""`python -m web`: serve the chat page, the widget and the agent console."""

from __future__ import annotations

import logging

from aiohttp import web

from topup.pii import install_log_filter
from web.app import create_app
from web.settings import Settings


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_filter()  # card and mobile numbers masked in every log line this process writes
    settings = Settings.from_env()
    web.run_app(create_app(settings), host=settings.host, port=settings.port, access_log=None)


if __name__ == "__main__":
    main()

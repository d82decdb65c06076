"""`python -m web [--port N]`: serve the chat page, the widget and the agent console."""

from __future__ import annotations

import argparse
import logging

from aiohttp import web

from topup import app as app_module
from topup import settings as settings_module
from topup.app import App
from topup.pii import install_log_filter
from web.app import create_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m web", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="default TOPUP_WEB_PORT")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_filter()  # card and mobile numbers masked in every log line this process writes
    settings = settings_module.start("web")
    topup = App.build(settings)
    app_module.install(topup)
    web.run_app(create_app(topup), host=settings.bind_host, port=args.port or settings.web_port, access_log=None)


if __name__ == "__main__":
    main()

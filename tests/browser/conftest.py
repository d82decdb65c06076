"""Real servers and a real browser: the whole assistant as the run command's launcher starts it, or the web app alone.

Every server gets free ports and a state folder of its own under pytest's tmp dir; nothing touches var/.
Chromium is Debian's (/usr/bin/chromium): Playwright never downloads a browser here.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from ops.launcher.stack import Stack, clean_environment
from ops.prepare import prepare
from tests.isolation import close_open_cases
from topup import settings as settings_module
from topup.app import App
from topup.settings import MODEL, ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
START_TIMEOUT_S = 240
DESKTOP = {"width": 1280, "height": 800}
AGENT, PASSWORD = "xiaowang", settings_module.DEMO_AGENT_PASSWORD
# Agents are "on duty" whenever the suite runs, so the handoff path does not depend on the clock.
ON_DUTY = {"TOPUP_BUSINESS_HOURS": "00:00-23:59"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    """A running web app (and maybe the whole assistant behind it), with an application object on its databases
    and its settings (so tests sign cookies and tokens with the site's own secrets)."""

    url: str
    app: App
    rasa_url: str | None = None
    logs: Path | None = None

    @property
    def rasa_token(self) -> str:
        return self.app.settings.rasa_token


SOCKETIO_ROOM_BUG = "coroutine 'AsyncServer.enter_room' was never awaited"
SOCKETIO_HINT = (
    "Rasa's socket.io channel never delivered bot messages: rasa/core/channels/socketio.py (Rasa 3.6) calls "
    "sio.enter_room(...) without await, and python-socketio >= 5.10 made it a coroutine, so with "
    "session_persistence the browser never joins its session room (RasaHQ/rasa#13027). Fix on the Rasa side: "
    "pin python-socketio < 5.10, or use a socket.io input channel that awaits enter_room."
)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """When a test against the real stack fails, say so if Rasa's log shows the known socket.io room bug."""
    outcome = yield
    report = outcome.get_result()
    site = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(site, Site) and site.logs:
        log = (site.logs / "rasa.log").read_text(errors="replace")
        if SOCKETIO_ROOM_BUG in log:
            report.sections.append(("Rasa socket.io channel", SOCKETIO_HINT))


@pytest.fixture(scope="package")
def web_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """`python -m web` alone on the demo database; Rasa's address points at a closed port (Rasa is "down")."""
    work = tmp_path_factory.mktemp("web")
    port, dead = free_port(), f"http://127.0.0.1:{free_port()}"
    env = {**clean_environment(), **ON_DUTY, "TOPUP_STATE_DIR": str(work), "TOPUP_WEB_PORT": str(port),
           "TOPUP_RASA_URL": dead, "TOPUP_RASA_PUBLIC_URL": dead}
    settings = settings_module.load(env)
    prepare(settings, demo=True)
    log = work / "web.log"
    web = subprocess.Popen([sys.executable, "-m", "web"], cwd=ROOT, env=env, stdout=log.open("w"),
                           stderr=subprocess.STDOUT)
    app = App.build(settings)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if web.poll() is not None:
                raise RuntimeError(f"the web app exited:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/widget.js", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the web app did not answer:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield Site(url, app)
    finally:
        web.terminate()
        web.wait(timeout=20)
        app.close()


DEMO_ORDERS = [o["order_no"] for o in yaml.safe_load((ROOT / "demo" / "orders.yml").read_text(encoding="utf-8"))
               ["orders"]]


@pytest.fixture(autouse=True)
def _no_open_demo_cases(request: pytest.FixtureRequest) -> None:
    """Each test's customers start without the demo orders' open cases of earlier tests (a verified conversation
    about an order with an open case joins it: tests/isolation.py)."""
    for name in ("stack", "web_only"):
        if name in request.fixturenames:
            close_open_cases(request.getfixturevalue(name).app.engine, DEMO_ORDERS)


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The whole assistant as `make run` starts it: action server, Rasa (socket.io, HTTP API) and web."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (the test command does it)")
    with Stack.running(tmp_path_factory.mktemp("stack"), ON_DUTY) as running:
        yield Site(running.web_url, running.app, running.rasa_url, running.state_dir / "log")


# Package scope, not session: Playwright's sync API keeps an event loop running in this thread while it is
# open, and every asyncio test collected after the browser tests would fail ("cannot be called from a running
# event loop"). Closing it when the browser package is done keeps the rest of the suite order-independent.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh desktop browser profile (own cookies and localStorage) per test."""
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(10_000)
    yield ctx
    ctx.close()


@pytest.fixture(scope="package")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS

"""Real servers and a real browser: `python -m web` alone, or together with the action server and Rasa.

Every server gets free ports and its own SQLite files under pytest's tmp dir; nothing touches var/.
Chromium is Debian's (/usr/bin/chromium): Playwright never downloads a browser here.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright
from sqlalchemy.engine import Engine

from topup.db.engine import get_engine

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "topup.tar.gz"
BIN = Path(sys.executable).parent
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
START_TIMEOUT_S = 240
DESKTOP = {"width": 1280, "height": 800}
AGENT, PASSWORD = "xiaowang", "demo-agent-pass"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    ready_url: str


@dataclass
class Site:
    """A running web app (and maybe Rasa behind it) with the database the test can read and write."""

    url: str
    database_url: str
    rasa_url: str | None = None
    logs: Path | None = None
    rasa_token: str | None = None  # Rasa's HTTP API (trackers) wants it

    @property
    def engine(self) -> Engine:
        return get_engine(self.database_url)


def _start(name: str, args: list, env: dict, work: Path, ready_url: str) -> Proc:
    log = work / f"{name}.log"
    popen = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return Proc(name, popen, log, ready_url)


def _wait_all(procs: list[Proc]) -> None:
    """Poll every server until each answers 200 (they start in parallel, so the slowest sets the pace)."""
    deadline, pending = time.monotonic() + START_TIMEOUT_S, list(procs)
    while pending and time.monotonic() < deadline:
        for proc in list(pending):
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited early:\n{proc.log.read_text()[-3000:]}")
            try:
                if requests.get(proc.ready_url, timeout=2).status_code == 200:
                    pending.remove(proc)
            except requests.RequestException:
                pass
        time.sleep(0.25)
    if pending:
        raise RuntimeError(f"{pending[0].name} not ready:\n{pending[0].log.read_text()[-3000:]}")


def _stop(procs: list[Proc]) -> None:
    for proc in procs:
        proc.popen.terminate()
    for proc in procs:
        try:
            proc.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.popen.kill()


def _base_env(work: Path) -> dict:
    assert os.environ.get("TOPUP_CONSOLE_SECRET"), "the console_secret fixture runs first"
    return {
        **os.environ,
        "TOPUP_DATABASE_URL": f"sqlite:///{work}/topup.db",
        "TOPUP_OUTBOX_DIR": str(work / "outbox"),
        "RASA_TELEMETRY_ENABLED": "false",
        # Agents are "on duty" whenever the suite runs, so the handoff path does not depend on the clock.
        "TOPUP_BUSINESS_HOURS": "00:00-23:59",
    }


def _init_db(env: dict) -> None:
    subprocess.run([BIN / "python", "-m", "topup.cli", "init-db", "--demo"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def _web(env: dict, work: Path, rasa_url: str) -> tuple[Proc, str]:
    """`python -m web` on a free port; the browser reaches Rasa at the same address the server does."""
    port = free_port()
    web_env = {**env, "WEB_PORT": str(port), "WEB_HOST": "127.0.0.1", "RASA_URL": rasa_url,
               "RASA_PUBLIC_URL": rasa_url}
    base = f"http://127.0.0.1:{port}"
    return _start("web", [BIN / "python", "-m", "web"], web_env, work, f"{base}/widget.js"), base


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
def console_secret() -> Iterator[str]:
    """One session-signing secret for the servers and this process (tests forge expired cookies with it).

    Every server fixture depends on it, so it is in the environment before they start, and the installation's
    var/console_secret is never read or written.
    """
    previous = os.environ.get("TOPUP_CONSOLE_SECRET")
    os.environ["TOPUP_CONSOLE_SECRET"] = value = secrets.token_hex(32)
    yield value
    if previous is None:
        os.environ.pop("TOPUP_CONSOLE_SECRET", None)
    else:
        os.environ["TOPUP_CONSOLE_SECRET"] = previous


@pytest.fixture(scope="package")
def web_only(tmp_path_factory: pytest.TempPathFactory, console_secret: str) -> Iterator[Site]:
    """The web app on its own database; Rasa's address points at a closed port (Rasa is "down")."""
    work = tmp_path_factory.mktemp("web")
    env = _base_env(work)
    _init_db(env)
    dead = f"http://127.0.0.1:{free_port()}"
    web, base = _web(env, work, dead)
    try:
        _wait_all([web])
        yield Site(base, env["TOPUP_DATABASE_URL"])
    finally:
        _stop([web])


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, console_secret: str) -> Iterator[Site]:
    """Action server + Rasa (socket.io channel, HTTP API) + web, sharing one orders/tickets database."""
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (the test command does it)")
    work = tmp_path_factory.mktemp("stack")
    rasa_port, action_port = free_port(), free_port()
    env = {
        **_base_env(work),
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_HOST": "",
        "TRACKER_DB": str(work / "tracker.db"),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        # As the run command starts them: the action server checks Rasa's token, Rasa's API wants its own.
        "TOPUP_ACTION_TOKEN": secrets.token_hex(16),
        "RASA_TOKEN": secrets.token_hex(16),
    }
    _init_db(env)
    rasa_url = f"http://127.0.0.1:{rasa_port}"
    procs: list[Proc] = []
    try:
        procs.append(_start("actions", [BIN / "python", "-m", "rasa_plugins.action_server", "--port", str(action_port)],
                            env, work, f"http://127.0.0.1:{action_port}/health"))
        procs.append(_start("rasa", [BIN / "python", "-m", "rasa_plugins.rasa_server", "run", "--enable-api",
                                     "--auth-token", env["RASA_TOKEN"], "-i", "127.0.0.1", "--port", str(rasa_port),
                                     "--model", str(MODEL), "--endpoints", "endpoints.yml", "--credentials",
                                     "credentials.yml", "--cors", "*"], env, work, f"{rasa_url}/"))
        web, base = _web(env, work, rasa_url)
        procs.append(web)
        _wait_all(procs)
        yield Site(base, env["TOPUP_DATABASE_URL"], rasa_url, work, env["RASA_TOKEN"])
    finally:
        _stop(procs)


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

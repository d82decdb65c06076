"""The scaled-out topology, for real, as `make run-scaled` starts it: the launcher runs two Rasa servers, two action
servers and the web app under supervisord behind nginx, sharing PostgreSQL (tracker store, orders and tickets) and
Redis (lock store, rate limits, socket.io).

The orders database is reached through a relay the tests can cut, to take the database away mid-conversation.
"""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from ops.launcher.stack import Stack
from tests.isolation import close_open_cases
from tests.scaleout.netfaults import CuttableRelay
from tests.services import POSTGRES_HOST, POSTGRES_PORT, require_services, temporary_postgres_database
from topup.agents import hash_password

REDIS_DB = "5"
ACTION_SERVERS = ("actions-1", "actions-2")


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


@dataclass
class Cluster:
    stack: Stack
    orders_relay: CuttableRelay

    def say(self, server: int, sender: str, text: str, timeout: float = 60) -> list[dict]:
        """A message straight to Rasa server `server` (0 or 1), bypassing nginx, to alternate on purpose."""
        return self.stack.say(sender, text, timeout_s=timeout, server=f"rasa-{server + 1}")

    def rasa_url(self, server: int) -> str:
        return self.stack.url(f"rasa-{server + 1}")

    def tracker(self, sender: str, server: int = 0) -> dict:
        return self.stack.tracker(sender, server=f"rasa-{server + 1}")

    @property
    def rasa_token(self) -> str:
        return self.stack.rasa_token

    @property
    def outbox(self) -> Path:
        return self.stack.settings.outbox_dir

    def restart_rasa(self, index: int) -> float:
        """SIGKILL Rasa server `index`; seconds until supervisord has it answering again (model loaded)."""
        name = f"rasa-{index + 1}"
        return self.stack.wait_restarted(name, self.stack.kill(name), timeout_s=180)

    def stop_action_servers(self) -> None:
        """Both down: nginx finds nothing to pass custom actions to."""
        rpc = self.stack.supervisor.rpc()
        for name in ACTION_SERVERS:
            rpc.supervisor.stopProcess(name, True)

    def start_action_servers(self) -> None:
        rpc = self.stack.supervisor.rpc()
        for name in ACTION_SERVERS:
            rpc.supervisor.startProcess(name, True)
        for name in ACTION_SERVERS:  # startProcess waits for RUNNING (startsecs); wait for the port too
            self.stack.wait_restarted(name, -1, timeout_s=60)

    def hang_action_servers(self, hung: bool = True) -> None:
        """Both alive but answering nothing (SIGSTOP), or going again (SIGCONT)."""
        for name in ACTION_SERVERS:
            self.stack.kill(name, signal.SIGSTOP if hung else signal.SIGCONT)

    def logs(self) -> str:
        return self.stack.logs()


def _agents_file(folder: Path) -> Path:
    """Agent accounts with a password of their own: the scaled deployment refuses the demo one."""
    path = folder / "agents.yml"
    hashed = hash_password(secrets.token_urlsafe(12))
    path.write_text(yaml.safe_dump({"agents": [
        {"username": "xiaowang", "display_name": "小王", "password_hash": hashed},
        {"username": "xiaoli", "display_name": "小李", "password_hash": hashed},
    ]}, allow_unicode=True), encoding="utf-8")
    return path


def scaled_settings(work: Path, orders_url: str, tracker_url: str) -> dict[str, str]:
    """The scaled deployment with every secret set (it makes none up) and its own accounts, demo orders loaded."""
    return {
        "TOPUP_DEPLOYMENT": "scaled",
        "TOPUP_DEMO_ORDERS": "1",
        "TOPUP_DATABASE_URL": orders_url,
        "TOPUP_TRACKER_URL": tracker_url,
        "TOPUP_LOCK_STORE_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "TOPUP_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        # SCALEOUT_LOCK_STORE=redis-stock runs the same tests on Rasa's stock RedisLockStore, for comparison.
        "TOPUP_LOCK_STORE": os.environ.get("SCALEOUT_LOCK_STORE", "auto"),
        "TOPUP_AGENTS_FILE": str(_agents_file(work)),
        "TOPUP_ACTION_TOKEN": secrets.token_urlsafe(24),
        "TOPUP_RASA_TOKEN": secrets.token_urlsafe(24),
        "TOPUP_CONSOLE_SECRET": secrets.token_urlsafe(24),
        "TOPUP_CUSTOMER_TOKEN_SECRET": secrets.token_urlsafe(24),
        "TOPUP_CHAT_RATE": "off",
        "TOPUP_CHAT_IP_RATE": "off",
        "TOPUP_BUSINESS_HOURS": "00:00-23:59",
        "TOPUP_ACTION_TIMEOUT_SECONDS": "3",
        "TOPUP_OUTBOX_RETRY_SECONDS": "1",
        "TOPUP_DB_CONNECT_TIMEOUT": "2",
    }


@pytest.fixture(scope="package")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    require_services(postgres=True, redis=True)
    work = tmp_path_factory.mktemp("scaleout")
    with ExitStack() as stack:
        orders_url = stack.enter_context(temporary_postgres_database("so_orders"))
        tracker_url = stack.enter_context(temporary_postgres_database("so_tracker"))
        relay = CuttableRelay(POSTGRES_HOST, POSTGRES_PORT)
        stack.callback(relay.cut)
        orders_db = orders_url.rsplit("/", 1)[1]
        settings = scaled_settings(work, f"postgresql+psycopg2://postgres@127.0.0.1:{relay.port}/{orders_db}",
                                   tracker_url.replace("postgresql+psycopg2://", "postgresql://"))
        running = stack.enter_context(Stack.running(work / "state", settings))
        yield Cluster(running, relay)


def agent_online(cluster: Cluster) -> None:
    """An agent has the console open (the handoff reply names the wait only then)."""
    cluster.stack.app.console.touch_presence("xiaowang")


def wait_until(check: object, timeout_s: float = 30, every_s: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(every_s)
    return False


@pytest.fixture(autouse=True)
def _no_open_cases(request: pytest.FixtureRequest) -> None:
    """Each test's customer starts without the open cases earlier tests left (tests/isolation.py)."""
    if "cluster" in request.fixturenames:
        close_open_cases(request.getfixturevalue("cluster").stack.app.engine)

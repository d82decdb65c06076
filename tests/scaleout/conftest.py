"""The scaled-out topology, for real: two Rasa servers and two action servers (behind serving.balancer) sharing
PostgreSQL (tracker store, orders and tickets) and Redis (lock store), as `make run-scaled` starts them.

The orders database is reached through a relay the tests can cut, to take the database away mid-conversation.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from ops.bench.servers import BIN, ROOT, Server, _spawn, free_port, init_db, our_env, spawn_actions, spawn_rasa
from tests.scaleout.netfaults import CuttableRelay
from tests.services import POSTGRES_HOST, POSTGRES_PORT, require_services, temporary_postgres_database

REDIS_DB = "5"


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


@dataclass
class Cluster:
    work: Path
    env: dict[str, str]
    rasa: list[Server]
    actions: list[Server]
    balancer: Server
    action_port: int
    orders_relay: CuttableRelay
    rasa_ports: list[int] = field(default_factory=list)

    def say(self, server: int, sender: str, text: str, timeout: float = 60) -> list[dict]:
        answer = requests.post(f"{self.rasa[server].url}/webhooks/rest/webhook",
                               json={"sender": sender, "message": text}, timeout=timeout)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def tracker(self, sender: str, server: int = 0) -> dict:
        answer = requests.get(f"{self.rasa[server].url}/conversations/{sender}/tracker",
                              params={"token": self.env["RASA_TOKEN"]}, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def restart_rasa(self, index: int) -> float:
        """Stop Rasa server `index` and start it again on the same port; seconds until it answers."""
        self.rasa[index].stop()
        started = time.monotonic()
        self.rasa[index] = spawn_rasa(self.env, self.work, self.rasa_ports[index], f"rasa_{index}_restarted")
        self.rasa[index].wait_ready("/")
        return time.monotonic() - started

    def stop_balancer(self) -> None:
        self.balancer.stop()

    def start_balancer(self) -> None:
        self.balancer = start_balancer(self.env, self.work, self.action_port, self.actions)
        self.balancer.wait_ready("/health")

    def logs(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.work.glob("*.log")))


def start_balancer(env: dict[str, str], work: Path, port: int, actions: list[Server]) -> Server:
    upstreams = [arg for server in actions for arg in ("--upstream", server.url)]
    return _spawn("balancer", [str(BIN / "python"), "-m", "serving.balancer", "--port", str(port),
                               "--health", "/health", *upstreams], ROOT, env, work / f"balancer-{time.time_ns()}.log",
                  f"http://127.0.0.1:{port}")


def scaled_env(work: Path, action_port: int, orders_url: str, tracker_db: str) -> dict[str, str]:
    return {
        **our_env(work, action_port),
        "TOPUP_DEPLOYMENT": "scaled",
        "TOPUP_DATABASE_URL": orders_url,
        "TRACKER_DIALECT": "postgresql",
        "TRACKER_HOST": f"postgresql://postgres@{POSTGRES_HOST}:{POSTGRES_PORT}/{tracker_db}",
        "TRACKER_DB": tracker_db,
        # SCALEOUT_LOCK_STORE=redis runs the same tests on Rasa's stock RedisLockStore, for comparison.
        "LOCK_STORE_TYPE": os.environ.get("SCALEOUT_LOCK_STORE", "rasa_plugins.lock_store.AtomicRedisLockStore"),
        "LOCK_STORE_DB": REDIS_DB,
        "TOPUP_REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
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
        orders_db = orders_url.rsplit("/", 1)[1]
        relay = CuttableRelay(POSTGRES_HOST, POSTGRES_PORT)
        stack.callback(relay.cut)
        action_port = free_port()
        env = scaled_env(work, action_port, f"postgresql+psycopg2://postgres@127.0.0.1:{relay.port}/{orders_db}",
                         tracker_url.rsplit("/", 1)[1])
        subprocess.run([str(BIN / "python"), "-m", "ops.prepare"], cwd=ROOT, env=env, check=True, timeout=120,
                       stdout=subprocess.DEVNULL)
        init_db(env)
        actions = [spawn_actions(env, work, free_port(), f"action_server_{i}") for i in range(2)]
        for server in actions:
            stack.callback(server.stop)
        rasa_ports = [free_port(), free_port()]
        rasa = [spawn_rasa(env, work, port, f"rasa_{i}") for i, port in enumerate(rasa_ports)]
        for server in actions:
            server.wait_ready("/health")
        balancer = start_balancer(env, work, action_port, actions)
        for server in rasa:
            server.wait_ready("/")
        balancer.wait_ready("/health")
        cluster = Cluster(work, env, rasa, actions, balancer, action_port, relay, rasa_ports)
        stack.callback(lambda: [s.stop() for s in cluster.rasa + [cluster.balancer]])
        yield cluster


def agent_online(cluster: Cluster) -> None:
    """An agent has the console open (the handoff reply names the wait only then)."""
    from topup.db.engine import get_engine
    from topup.services.console import touch_presence

    touch_presence("xiaowang", engine=get_engine(cluster.env["TOPUP_DATABASE_URL"]))

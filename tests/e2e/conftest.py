"""Starts the real action server and Rasa server on the trained model, on free ports, with their own databases."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "topup.tar.gz"
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 240


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Servers:
    rasa_url: str
    action_url: str
    database_url: str
    env: dict

    def say(self, sender: str, text: str) -> list[dict]:
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30
        )
        response.raise_for_status()
        return response.json()


def _wait(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(1)
    raise RuntimeError(f"{url} not ready after {START_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train` (the test command does it)")
    work = tmp_path_factory.mktemp("e2e")
    rasa_port, action_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "TOPUP_DATABASE_URL": f"sqlite:///{work}/topup.db",
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_HOST": "",
        "TRACKER_DB": str(work / "tracker.db"),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "RASA_TELEMETRY_ENABLED": "false",
        "TOPUP_BUSINESS_HOURS": "00:00-23:59",  # the handoff message must not depend on the clock
    }
    subprocess.run([BIN / "python", "-m", "topup.cli", "init-db", "--demo"], cwd=ROOT, env=env, check=True)
    procs = []
    try:
        action_log, rasa_log = work / "actions.log", work / "rasa.log"
        actions = subprocess.Popen(
            [BIN / "rasa", "run", "actions", "--actions", "actions", "--port", str(action_port)],
            cwd=ROOT, env=env, stdout=action_log.open("w"), stderr=subprocess.STDOUT,
        )
        procs.append(actions)
        rasa = subprocess.Popen(
            [BIN / "rasa", "run", "--enable-api", "--port", str(rasa_port), "--model", str(MODEL),
             "--endpoints", "endpoints.yml", "--credentials", "credentials.yml"],
            cwd=ROOT, env=env, stdout=rasa_log.open("w"), stderr=subprocess.STDOUT,
        )
        procs.append(rasa)
        _wait(f"http://127.0.0.1:{action_port}/health", actions, action_log)
        _wait(f"http://127.0.0.1:{rasa_port}/status", rasa, rasa_log)
        yield Servers(
            f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}", env["TOPUP_DATABASE_URL"], env
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()

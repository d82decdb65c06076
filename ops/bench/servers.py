"""Start and stop the servers under test: ours (as the run command does, on temporary databases) and the stock bot.

Everything binds to 127.0.0.1 on free ports with its own databases, so a benchmark never touches `make run`'s
data and can run next to it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "topup.tar.gz"
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 20


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env() -> dict[str, str]:
    """The embedded defaults of ops/scripts/env.sh that matter to a child process, with our venv first on PATH."""
    return {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }


def _proc_kb(path: str, field: str) -> int:
    """A `field: N kB` line of a /proc file (0 when the process is gone)."""
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _vm_rss_kb(pid: int) -> int:
    return _proc_kb(f"/proc/{pid}/status", "VmRSS:")


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _pss_kb(pid: int) -> int:
    """Proportional set size: pages shared with other processes (libraries, forked memory) count in part."""
    return _proc_kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def rss_mb(pid: int) -> dict[str, float]:
    """VmRSS of the process and of the process with its descendants (Sanic may fork workers); and the tree's
    PSS, which counts what the processes share once rather than once per process."""
    own = _vm_rss_kb(pid)
    total, pss, pending, seen = 0, 0, [pid], set()
    while pending and len(seen) < 256:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _vm_rss_kb(current)
        pss += _pss_kb(current)
        pending += _children(current)
    return {"rss_mb": round(own / 1024, 1), "tree_rss_mb": round(total / 1024, 1), "tree_pss_mb": round(pss / 1024, 1)}


@dataclass
class Server:
    name: str
    proc: subprocess.Popen
    url: str
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def wait_ready(self, path: str, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"{self.name} not ready after {timeout_s:.0f}s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)


@dataclass
class Stack:
    """A running assistant: the Rasa server and, for ours, the action server."""

    label: str
    rasa: Server
    actions: Server | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return self.rasa.url

    @property
    def token_query(self) -> str:
        """`?token=...` for Rasa's HTTP API when the server was started with --auth-token, else ''."""
        token = self.env.get("RASA_TOKEN")
        return f"?token={token}" if token else ""

    def rss(self) -> dict[str, dict[str, float]]:
        servers = [self.rasa] + ([self.actions] if self.actions else [])
        return {s.name: rss_mb(s.proc.pid) for s in servers}


def _spawn(name: str, args: list[str], cwd: Path, env: dict[str, str], log: Path, url: str) -> Server:
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return Server(name, proc, url, log)


def ensure_model() -> Path:
    """Train with the project's own script when the model is missing, as the run command would."""
    if not MODEL.exists():
        print("no trained model: running ops/scripts/train.sh (about a minute)...", flush=True)
        subprocess.run(["bash", "ops/scripts/train.sh"], cwd=ROOT, env=base_env(), check=True, timeout=1800)
    return MODEL


def our_env(work: Path, action_port: int) -> dict[str, str]:
    """The embedded default on databases in `work`, with fresh secrets and the per-client chat limits off
    (load from one address and 50 messages at one conversation are the point of the callers)."""
    return {
        **base_env(),
        "TOPUP_DATABASE_URL": f"sqlite:///{work / 'topup.db'}",
        "TRACKER_DIALECT": "sqlite",
        "TRACKER_HOST": "",
        "TRACKER_DB": str(work / "tracker.db"),
        "LOCK_STORE_TYPE": "in_memory",
        "LOCK_STORE_HOST": "127.0.0.1",
        "LOCK_STORE_PORT": "6379",
        "LOCK_STORE_DB": "1",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "TOPUP_ACTION_TOKEN": secrets.token_hex(16),
        "RASA_TOKEN": secrets.token_hex(16),
        "TOPUP_OUTBOX_DIR": str(work / "outbox"),
        "TOPUP_CHAT_RATE": "off",
        "TOPUP_CHAT_IP_RATE": "off",
        "TOPUP_BUSINESS_HOURS": "00:00-23:59",  # the handoff reply must not depend on the clock
    }


def spawn_actions(env: dict[str, str], work: Path, port: int, name: str = "action_server") -> Server:
    return _spawn(name, [str(BIN / "python"), "-m", "rasa_plugins.action_server", "--port", str(port)], ROOT, env,
                  work / f"{name}.log", f"http://127.0.0.1:{port}")


def spawn_rasa(env: dict[str, str], work: Path, port: int, name: str = "rasa_server") -> Server:
    return _spawn(name, [str(BIN / "python"), "-m", "rasa_plugins.rasa_server", "run", "--enable-api", "--auth-token",
                         env["RASA_TOKEN"], "-i", "127.0.0.1", "--port", str(port), "--model", str(ensure_model()),
                         "--endpoints", "endpoints.yml", "--credentials", "credentials.yml", "--cors", "*"],
                  ROOT, env, work / f"{name}.log", f"http://127.0.0.1:{port}")


def init_db(env: dict[str, str]) -> None:
    subprocess.run([str(BIN / "python"), "-m", "topup.cli", "init-db", "--demo"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=120)


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def ours(work: Path, workers: int = 1) -> Iterator[Stack]:
    """Action server + Rasa on the trained model, SQLite orders/tickets/tracker in `work` (the embedded default).
    With workers > 1: that many Sanic workers in the Rasa server, locking conversations through Redis (Rasa
    allows several workers only with a shared lock store), as `TOPUP_RASA_WORKERS=2 make run-scaled` does."""
    work.mkdir(parents=True, exist_ok=True)
    rasa_port, action_port = free_port(), free_port()
    env = our_env(work, action_port)
    if workers > 1:
        env.update(SANIC_WORKERS=str(workers), LOCK_STORE_TYPE="rasa_plugins.lock_store.AtomicRedisLockStore",
                   LOCK_STORE_DB="4", TOPUP_REDIS_URL="redis://127.0.0.1:6379/4")
    init_db(env)
    servers: list[Server] = []
    try:
        actions = spawn_actions(env, work, action_port)
        servers.append(actions)
        rasa = spawn_rasa(env, work, rasa_port)
        servers.append(rasa)
        actions.wait_ready("/health")
        rasa.wait_ready("/status?token=" + env["RASA_TOKEN"])
        yield Stack("ours" if workers == 1 else "workers", rasa, actions, env)
    finally:
        for server in servers:
            server.stop()


def init_stock(work: Path) -> tuple[Path, float]:
    """`rasa init --no-prompt` in a fresh folder (it trains the stock model); return the folder and the seconds."""
    project = work / "stock"
    if project.exists():
        shutil.rmtree(project)
    project.mkdir(parents=True)
    env = {**base_env(), "RASA_CACHE_DIRECTORY": str(work / "stock-cache")}
    started = time.monotonic()
    with (work / "stock-init.log").open("w") as log:
        subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)], cwd=project,
                       env=env, check=True, stdout=log, stderr=subprocess.STDOUT, timeout=1200)
    return project, time.monotonic() - started


@contextmanager
def stock(project: Path, work: Path) -> Iterator[Stack]:
    """The stock bot as created: its own endpoints (in-memory tracker store, no action server)."""
    port = free_port()
    server = _spawn("rasa_server", [str(BIN / "rasa"), "run", "--enable-api", "--port", str(port), "--model",
                                    "models"], project, base_env(), work / "stock-rasa.log",
                    f"http://127.0.0.1:{port}")
    try:
        server.wait_ready("/status")
        yield Stack("stock", server)
    finally:
        server.stop()

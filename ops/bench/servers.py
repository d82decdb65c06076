"""The servers under test: ours, started by the run command's launcher (ops/launcher) on a temporary state folder,
and the stock `rasa init` bot.

Everything binds to 127.0.0.1 on free ports with its own databases, so a benchmark never touches `make run`'s
data and can run next to it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ops.launcher.stack import Stack
from topup.settings import MODEL, ROOT

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
class Measured:
    """A running assistant as the benchmark sees it: where to send messages, and whose memory to read."""

    label: str
    rasa_url: str
    pids: dict[str, int]  # name -> pid of the process (the tree under it is counted too)
    token: str | None = None

    @property
    def token_query(self) -> str:
        """`?token=...` for Rasa's HTTP API when the server was started with --auth-token, else ''."""
        return f"?token={self.token}" if self.token else ""

    def rss(self) -> dict[str, dict[str, float]]:
        return {name: rss_mb(pid) for name, pid in self.pids.items()}


def _spawn(name: str, args: list[str], cwd: Path, env: dict[str, str], log: Path, url: str) -> Server:
    proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    return Server(name, proc, url, log)


def ensure_model() -> Path:
    """Train with the project's own script when the model is missing, as the run command would."""
    if not MODEL.exists():
        print("no trained model: running ops/scripts/train.sh (about a minute)...", flush=True)
        subprocess.run(["bash", "ops/scripts/train.sh"], cwd=ROOT, env=base_env(), check=True, timeout=1800)
    return MODEL


# Load from one address and 50 messages at one conversation are the point: the per-client chat limits are off.
# Agents are on duty whatever the hour, so the handoff reply does not depend on the clock.
LOAD_SETTINGS = {"TOPUP_CHAT_RATE": "off", "TOPUP_CHAT_IP_RATE": "off", "TOPUP_BUSINESS_HOURS": "00:00-23:59"}


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def ours(work: Path, workers: int = 1) -> Iterator[Measured]:
    """The assistant exactly as `make run` starts it (the launcher, supervisord, SQLite in `work`).
    With workers > 1: that many Sanic workers in the Rasa server, locking conversations through Redis (Rasa
    allows several workers only with a shared lock store), as `TOPUP_RASA_WORKERS=2 make run-scaled` does."""
    ensure_model()
    settings = dict(LOAD_SETTINGS)
    if workers > 1:
        settings.update(TOPUP_RASA_WORKERS=str(workers), TOPUP_LOCK_STORE_URL="redis://127.0.0.1:6379/4",
                        TOPUP_REDIS_URL="redis://127.0.0.1:6379/4")
    with Stack.running(work, settings) as stack:
        pids = {"rasa_server": stack.pid("rasa"), "action_server": stack.pid("actions")}
        yield Measured("ours" if workers == 1 else "workers", stack.rasa_url, pids, stack.rasa_token)


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
def stock(project: Path, work: Path) -> Iterator[Measured]:
    """The stock bot as created: its own endpoints (in-memory tracker store, no action server)."""
    port = free_port()
    server = _spawn("rasa_server", [str(BIN / "rasa"), "run", "--enable-api", "--port", str(port), "--model",
                                    "models"], project, base_env(), work / "stock-rasa.log",
                    f"http://127.0.0.1:{port}")
    try:
        server.wait_ready("/status")
        yield Measured("stock", server.url, {"rasa_server": server.proc.pid})
    finally:
        server.stop()

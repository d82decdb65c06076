"""A whole assistant started by the run command's launcher (`python -m ops.launcher run`) in a subprocess, on
free ports and a state folder of its own: what the benchmark and the end-to-end, browser, supervision and
scale-out tests run against, so they exercise exactly what `make run` starts.

    with Stack.running(tmp_path, {"TOPUP_CHAT_RATE": "off"}) as stack:
        stack.say("me", "你好")
        stack.kill("actions")          # SIGKILL; supervisord restarts it
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests

from ops.launcher.plan import ACTION_OFFSET, RASA_OFFSET, WEB_OFFSET
from ops.launcher.supervisor import Supervisor
from topup import settings as settings_module
from topup.app import App
from topup.settings import ROOT, Settings

START_TIMEOUT_S = 300
STOP_TIMEOUT_S = 60


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def pick_ports(servers: int = 1) -> dict[str, str]:
    """Base ports for TOPUP_RASA_PORT, TOPUP_ACTION_PORT and TOPUP_WEB_PORT with every port the launcher derives
    from them (the scaled deployment's servers behind nginx) free."""
    for _ in range(200):
        base = random.randrange(20000, 60000, 1000)
        rasa, action, web = base + 5, base + 55, base + 80
        wanted = [rasa, action, web, web + WEB_OFFSET]
        wanted += [rasa + RASA_OFFSET + i for i in range(1, servers + 1)]
        wanted += [action + ACTION_OFFSET + i for i in range(1, servers + 1)]
        if all(_free(p) for p in wanted):
            return {"TOPUP_RASA_PORT": str(rasa), "TOPUP_ACTION_PORT": str(action), "TOPUP_WEB_PORT": str(web)}
    raise RuntimeError("no free block of ports found")


def clean_environment() -> dict[str, str]:
    """This process's environment without any setting of the assistant: a stack gets only the ones it is given."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("TOPUP_", "ENDPOINTS_"))}


@dataclass
class Stack:
    state_dir: Path
    settings: Settings
    process: subprocess.Popen
    info: dict = field(default_factory=dict)
    _app: App | None = None

    # --- starting and stopping ---------------------------------------------------------------------------------

    @classmethod
    def start(cls, state_dir: Path, overrides: dict[str, str] | None = None,
              timeout_s: float = START_TIMEOUT_S) -> Stack:
        """The launcher on its own state folder and free ports; returns once every process answers."""
        state_dir.mkdir(parents=True, exist_ok=True)
        overrides = dict(overrides or {})
        servers = max(int(overrides.get("TOPUP_RASA_SERVERS", 2 if overrides.get("TOPUP_DEPLOYMENT") == "scaled"
                                        else 1)), int(overrides.get("TOPUP_ACTION_SERVERS", 2)))
        env = {**clean_environment(), **pick_ports(servers), "TOPUP_STATE_DIR": str(state_dir), **overrides}
        settings = settings_module.load(env)  # the same values the launcher will read (and the same secrets)
        out = (state_dir / "launcher.out").open("ab")
        process = subprocess.Popen([sys.executable, "-m", "ops.launcher", "run"], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        stack = cls(state_dir, settings, process)
        try:
            stack._wait_started(timeout_s)
        except BaseException:
            stack.stop()
            raise
        return stack

    @classmethod
    @contextlib.contextmanager
    def running(cls, state_dir: Path, overrides: dict[str, str] | None = None) -> Iterator[Stack]:
        stack = cls.start(state_dir, overrides)
        try:
            yield stack
        finally:
            stack.stop()

    def _wait_started(self, timeout_s: float) -> None:
        state_file = self.state_dir / "run" / "launcher.json"
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the launcher exited ({self.process.returncode}):\n{self.output()[-4000:]}")
            if state_file.exists():
                with contextlib.suppress(ValueError):
                    self.info = json.loads(state_file.read_text(encoding="utf-8"))
                    return
            time.sleep(0.25)
        raise RuntimeError(f"the stack was not up after {timeout_s:.0f}s:\n{self.output()[-4000:]}\n"
                           f"{self.logs()[-4000:]}")

    def stop(self, signum: int = signal.SIGINT, timeout_s: float = STOP_TIMEOUT_S) -> int | None:
        """What Ctrl-C does (SIGINT to the launcher); everything is killed if that takes longer than timeout_s."""
        pids = self.all_pids()
        if self.process.poll() is None:
            self.process.send_signal(signum)
            try:
                self.process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in pids:  # leftovers of a launcher that did not finish its job
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        if self._app is not None:
            self._app.close()
        return self.process.returncode

    # --- looking at it ----------------------------------------------------------------------------------------

    @property
    def app(self) -> App:
        """An application object on the stack's own databases (to read tickets, touch presence...)."""
        if self._app is None:
            self._app = App.build(self.settings)
        return self._app

    @property
    def supervisor(self) -> Supervisor:
        return Supervisor(self.state_dir)

    def processes(self) -> dict[str, dict]:
        return self.supervisor.processes()

    def all_pids(self) -> list[int]:
        """supervisord and every process it runs (each leads its own process group)."""
        pids = []
        pid_file = self.state_dir / "run" / "supervisord.pid"
        with contextlib.suppress(OSError, ValueError):
            pids.append(int(pid_file.read_text().strip()))
        with contextlib.suppress(OSError, xmlrpc.client.Error):
            pids += [info["pid"] for info in self.processes().values() if info["pid"]]
        return pids

    def pid(self, name: str) -> int:
        return int(self.processes()[name]["pid"])

    def url(self, name: str) -> str:
        """A public address ("rasa", "actions", "web") or one process's own ("rasa-1", "actions-2")."""
        return self.info["public"].get(name) or self.info["programs"][name]

    @property
    def rasa_url(self) -> str:
        return self.url("rasa")

    @property
    def web_url(self) -> str:
        return self.url("web")

    @property
    def rasa_token(self) -> str:
        return self.settings.rasa_token

    @property
    def database_url(self) -> str:
        return self.settings.database_url

    def log(self, name: str) -> str:
        path = self.state_dir / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        folder = self.state_dir / "log"
        return "\n".join(f"==> {p.name}\n{p.read_text(errors='replace')}" for p in sorted(folder.glob("*.log")))

    def output(self) -> str:
        path = self.state_dir / "launcher.out"
        return path.read_text(errors="replace") if path.exists() else ""

    # --- doing things to it -----------------------------------------------------------------------------------

    def kill(self, name: str, signum: int = signal.SIGKILL) -> int:
        """Send a signal to one process (its whole group); the pid it had."""
        pid = self.pid(name)
        os.killpg(pid, signum)
        return pid

    def wait_restarted(self, name: str, old_pid: int, timeout_s: float = 120) -> float:
        """Seconds until supervisord runs `name` again under a new pid and it answers its health check."""
        from ops.launcher.plan import plan

        program = next(p for p in plan(self.settings) if p.name == name)
        started, deadline = time.monotonic(), time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, xmlrpc.client.Error, KeyError):
                info = self.processes()[name]
                if info["pid"] and info["pid"] != old_pid and info["statename"] in ("STARTING", "RUNNING"):
                    with contextlib.suppress(requests.RequestException):
                        if requests.get(program.url() + program.health, timeout=2).status_code == 200:
                            return time.monotonic() - started
            time.sleep(0.1)
        raise RuntimeError(f"{name} not back after {timeout_s:.0f}s:\n{self.log(name)[-3000:]}")

    def say(self, sender: str, text: str, metadata: dict | None = None, timeout_s: float = 30,
            server: str = "rasa") -> list[dict]:
        """One customer message over the REST channel; the assistant's answers."""
        body = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = requests.post(f"{self.url(server)}/webhooks/rest/webhook", json=body, timeout=timeout_s)
        response.raise_for_status()
        return response.json()

    def tracker(self, sender: str, server: str = "rasa") -> dict:
        response = requests.get(f"{self.url(server)}/conversations/{sender}/tracker",
                                params={"token": self.rasa_token}, timeout=30)
        response.raise_for_status()
        return response.json()

"""The processes under supervisord: its configuration, starting it, and asking it what runs.

supervisord restarts a process that dies: at once when it had been running, with a growing pause (1 s, 2 s,
3 s, ...) when it keeps dying within its first seconds, until START_RETRIES such failures in a row make it give
up (FATAL, logged). It logs every exit and start to log/supervisord.log; each process writes its own log in
the same folder (rotated). It keeps the secrets out of its files: the processes inherit them from its
environment. A stop (Ctrl-C, SIGTERM) stops every process (SIGTERM, then SIGKILL after STOP_SECONDS).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import xmlrpc.client
from pathlib import Path
from typing import Any

from ops.launcher.plan import Program
from topup.settings import ROOT

START_RETRIES = 20
STOP_SECONDS = 20
LOG_BYTES = "20MB"


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost")
        self._path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self._path)


class _UnixTransport(xmlrpc.client.Transport):
    def __init__(self, path: str) -> None:
        super().__init__()
        self._path = path

    def make_connection(self, host: Any) -> http.client.HTTPConnection:  # noqa: ANN401 - xmlrpc's signature
        return _UnixHTTPConnection(self._path)


def _quote(value: str) -> str:
    """A value for supervisord's INI files ('%' is its interpolation character)."""
    return value.replace("%", "%%")


def _environment(values: dict[str, str]) -> str:
    return ",".join(f'{k}="{_quote(v)}"' for k, v in values.items())


class Supervisor:
    """supervisord for one state folder: STATE/run (socket, pid), STATE/log (every log), STATE/supervisord.conf."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.run_dir = state_dir / "run"
        self.log_dir = state_dir / "log"
        self.conf = state_dir / "supervisord.conf"
        self.socket = self.run_dir / "supervisor.sock"
        self.log = self.log_dir / "supervisord.log"
        self.process: subprocess.Popen | None = None

    def write_conf(self, programs: list[Program], start_retries: int = START_RETRIES) -> Path:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        lines = [
            "; Written by the launcher (ops/launcher/supervisor.py) at each start; edits here are overwritten.",
            "[supervisord]", "nodaemon=true", f"logfile={_quote(str(self.log))}", f"logfile_maxbytes={LOG_BYTES}",
            "logfile_backups=3", f"pidfile={_quote(str(self.run_dir / 'supervisord.pid'))}",
            f"childlogdir={_quote(str(self.log_dir))}", "loglevel=info",
            *(["user=root"] if os.geteuid() == 0 else []), "",
            "[unix_http_server]", f"file={_quote(str(self.socket))}", "chmod=0700", "",
            "[rpcinterface:supervisor]",
            "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
            "[supervisorctl]", f"serverurl=unix://{_quote(str(self.socket))}", "",
        ]
        for program in programs:
            lines += [
                f"[program:{program.name}]",
                "command=" + " ".join(_quote(_shell_word(word)) for word in program.command),
                f"directory={_quote(str(ROOT))}",
                "autostart=true", "autorestart=true",
                f"startsecs={program.start_seconds}", f"startretries={start_retries}",
                "stopsignal=TERM", f"stopwaitsecs={STOP_SECONDS}", "stopasgroup=true", "killasgroup=true",
                "redirect_stderr=true", f"stdout_logfile={_quote(str(self.log_dir / (program.name + '.log')))}",
                f"stdout_logfile_maxbytes={LOG_BYTES}", "stdout_logfile_backups=3",
            ]
            if program.environment:
                lines.append("environment=" + _environment(program.environment))
            lines.append("")
        self.conf.write_text("\n".join(lines), encoding="utf-8")
        return self.conf

    def start(self, environment: dict[str, str]) -> subprocess.Popen:
        """supervisord in the foreground of its own session: a Ctrl-C reaches the launcher, which stops it once.
        Should the launcher die without stopping it, supervisord gets SIGTERM and stops everything (Linux)."""
        if self.socket.exists():
            self.socket.unlink()
        with open(self.log_dir / "supervisord.err", "ab") as errors:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "supervisor.supervisord", "-c", str(self.conf)], cwd=ROOT, env=environment,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True,
                preexec_fn=_stop_with_parent,
            )
        return self.process

    def rpc(self) -> Any:  # noqa: ANN401 - the XML-RPC proxy
        return xmlrpc.client.ServerProxy("http://localhost", transport=_UnixTransport(str(self.socket)))

    def wait_listening(self, timeout_s: float = 30) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"supervisord exited ({self.process.returncode}); see {self.log}")
            try:
                self.rpc().supervisor.getState()
                return
            except (OSError, xmlrpc.client.Error):
                time.sleep(0.1)
        raise RuntimeError(f"supervisord did not answer within {timeout_s:.0f}s; see {self.log}")

    def processes(self) -> dict[str, dict]:
        """supervisord's view of every process: state name, pid, start time, exit status."""
        return {info["name"]: info for info in self.rpc().supervisor.getAllProcessInfo()}

    def pids(self) -> list[int]:
        try:
            return [info["pid"] for info in self.processes().values() if info["pid"]]
        except (OSError, xmlrpc.client.Error):
            return []

    def stop(self, timeout_s: float = STOP_SECONDS + 15) -> int | None:
        """Stop every process, then supervisord; kills what is left when it does not finish in time."""
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        children = self.pids()
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            for pid in [self.process.pid, *children]:  # each child leads its own process group
                with contextlib.suppress(OSError):
                    os.killpg(pid, signal.SIGKILL)
            return self.process.wait(timeout=10)


def _stop_with_parent() -> None:
    """In the child, before supervisord runs: SIGTERM when the launcher's process ends (prctl PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


def _shell_word(word: str) -> str:
    """supervisord splits `command` like a shell: quote what needs it."""
    return shlex.quote(word)

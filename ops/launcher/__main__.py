"""python -m ops.launcher run | status | nginx-docker  (see ops/launcher/__init__.py)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ops.launcher import nginx
from ops.launcher.plan import Program, plan, public_urls
from ops.launcher.supervisor import Supervisor
from ops.prepare import prepare
from topup import settings as settings_module
from topup.settings import MODEL, Settings

READY_TIMEOUT_S = 300
STATE_FILE = "launcher.json"  # in STATE/run: where a running launcher's processes are (tests and `status` read it)


class Stop(Exception):
    """Ctrl-C or SIGTERM while starting."""


def child_environment(settings: Settings) -> dict[str, str]:
    """What every process starts with: this environment, every setting spelled out (generated secrets
    included, so no process has to make its own), and the project's Python first on PATH."""
    env = {**os.environ, **settings.environment()}
    env.pop("TOPUP_ENV_FILE", None)  # everything it held is spelled out above
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(RASA_TELEMETRY_ENABLED="false", SQLALCHEMY_SILENCE_UBER_WARNING="1", PYTHONUNBUFFERED="1")
    return env


def _port_taken(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def preflight(settings: Settings, programs: list[Program]) -> list[str]:
    """What would make the start fail half-way, said before anything starts."""
    problems = []
    if not MODEL.exists():
        problems.append(f"no trained model at {MODEL}: run `make train` (the run command trains when needed)")
    if settings.scaled and not Path(programs[-1].command[0]).exists():
        problems.append("nginx is not installed: `make run-scaled` installs Debian's package when it can "
                        "(apt-get install nginx)")
    ports = {p.port for p in programs} | {settings.rasa_port, settings.action_port, settings.web_port}
    taken = sorted(p for p in ports if _port_taken("127.0.0.1", p))
    if taken:
        problems.append(f"port(s) {', '.join(map(str, taken))} already in use: is the assistant running already? "
                        "(set TOPUP_RASA_PORT, TOPUP_ACTION_PORT, TOPUP_WEB_PORT to use others)")
    return problems


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


# supervisord's own remarks on a set-up that is deliberate: its control socket is a file only its owner may use.
_QUIET = ("running without any HTTP authentication checking", "Set uid to user 0 succeeded")


class _LogFollower:
    """Prints supervisord's log lines (starts, exits, restarts) as they are written."""

    def __init__(self, path: Path, out: object = sys.stdout) -> None:
        self.path, self.out, self.offset = path, out, path.stat().st_size if path.exists() else 0

    def pump(self) -> None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return
        if data:
            self.offset += len(data)
            lines = [line for line in data.decode(errors="replace").splitlines() if not line.endswith(_QUIET)]
            self.out.write("".join(f"[supervisor] {line}\n" for line in lines))
            self.out.flush()


def _banner(settings: Settings) -> str:
    urls = public_urls(settings)
    lines = [f"The assistant is up ({settings.deployment.value}; supervised: a process that dies is restarted).",
             f"  chat page        {urls['web']}/          (signed-in demo customer: /demo-shop)",
             f"  agent console    {urls['web']}/console" + ("   (demo agents xiaowang / xiaoli, password "
                                                             f"{settings_module.DEMO_AGENT_PASSWORD})"
                                                             if not settings.scaled else ""),
             f"  REST channel     POST {urls['rasa']}/webhooks/rest/webhook"
             "  {\"sender\": \"me\", \"message\": \"你好\"}",
             "  Rasa HTTP API    needs ?token=$TOPUP_RASA_TOKEN" + (f" (in {settings.secrets_path})"
                                                                      if not settings.scaled else ""),
             f"  processes        python -m ops.launcher status    (logs in {settings.state_dir / 'log'})",
             "  chat in terminal make shell   (in another terminal)",
             "  open tickets     make tickets",
             "Demo orders and their phone tails are listed in README.md. Ctrl-C to stop."]
    return "\n".join(lines)


def run(settings: Settings) -> int:
    programs = plan(settings)
    problems = preflight(settings, programs)
    if problems:
        print("Not starting:\n" + "\n".join(f"  - {p}" for p in problems), file=sys.stderr)
        return 2
    stopping: list[int] = []

    def ask_to_stop(signum: int, _frame: object) -> None:
        stopping.append(signum)
        if len(stopping) == 1:
            raise Stop

    signal.signal(signal.SIGINT, ask_to_stop)
    signal.signal(signal.SIGTERM, ask_to_stop)
    supervisor = Supervisor(settings.state_dir)
    state_file = supervisor.run_dir / STATE_FILE
    try:
        for line in prepare(settings):
            print(line, flush=True)
        if settings.scaled:
            conf = nginx.write_local(settings, programs)
            check = subprocess.run([programs[-1].command[0], "-t", "-q", "-p", str(conf.parent), "-c", str(conf)],
                                   capture_output=True, text=True)
            if check.returncode != 0:
                print(f"nginx refuses its configuration {conf}:\n{check.stderr}", file=sys.stderr)
                return 2
        supervisor.write_conf(programs)
        follower = _LogFollower(supervisor.log)
        supervisor.start(child_environment(settings))
        supervisor.wait_listening()
        print(f"Starting {len(programs)} processes under supervisord (the model takes about 30 s to load)...",
              flush=True)
        pending, deadline = list(programs), time.monotonic() + READY_TIMEOUT_S
        while pending:
            follower.pump()
            pending = [p for p in pending if not _healthy(p.url() + p.health)]
            if supervisor.process is not None and supervisor.process.poll() is not None:
                print("supervisord stopped while starting; see the logs in "
                      f"{supervisor.log_dir}", file=sys.stderr)
                return 1
            if pending and time.monotonic() > deadline:
                names = ", ".join(p.name for p in pending)
                print(f"{names} not ready after {READY_TIMEOUT_S} s; see {supervisor.log_dir}", file=sys.stderr)
                supervisor.stop()
                return 1
            time.sleep(0.25)
        state_file.write_text(json.dumps({
            "pid": os.getpid(), "deployment": settings.deployment.value, "public": public_urls(settings),
            "programs": {p.name: p.url() for p in programs}, "socket": str(supervisor.socket),
        }), encoding="utf-8")
        print("\n" + _banner(settings) + "\n", flush=True)
        while supervisor.process is not None and supervisor.process.poll() is None:
            follower.pump()
            time.sleep(0.5)
        print("supervisord stopped on its own; see the logs in " + str(supervisor.log_dir), file=sys.stderr)
        return 1
    except Stop:
        print("\nStopping every process...", flush=True)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop()
        print("Stopped.", flush=True)
        return 0
    finally:
        state_file.unlink(missing_ok=True)


def status(settings: Settings) -> int:
    supervisor = Supervisor(settings.state_dir)
    try:
        processes = supervisor.processes()
    except OSError:
        print(f"no launcher is running with state in {settings.state_dir}", file=sys.stderr)
        return 1
    for name, info in sorted(processes.items()):
        print(f"{name:12} {info['statename']:9} pid {info['pid'] or '-':>7}  {info['description']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.launcher", description=__doc__)
    parser.add_argument("command", choices=["run", "status", "nginx-docker"])
    args = parser.parse_args(argv)
    if args.command == "nginx-docker":
        sys.stdout.write(nginx.docker_conf())
        return 0
    try:
        settings = settings_module.load()
    except settings_module.SettingsError as error:
        print(error, file=sys.stderr)
        return 2
    return run(settings) if args.command == "run" else status(settings)


if __name__ == "__main__":
    raise SystemExit(main())

"""python -m ops.launcher run | status | nginx-docker  (see ops/launcher/__init__.py)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import xmlrpc.client
from pathlib import Path

from ops.launcher import nginx
from ops.launcher.plan import RASA_OFFSET, Program, plan, ports, public_urls
from ops.launcher.supervisor import START_RETRIES, Supervisor
from ops.prepare import prepare
from topup import settings as settings_module
from topup.settings import MODEL, Settings

READY_TIMEOUT_S = 300
REVIVE_AFTER_S = 60
CRASHES_BEFORE_READY = 3
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
    used = ports(settings, programs)
    for port, names in sorted(used.items()):
        if len(names) > 1:
            problems.append(f"port {port} is wanted by {' and '.join(names)}: move TOPUP_RASA_PORT, TOPUP_ACTION_PORT "
                            f"or TOPUP_WEB_PORT further apart (servers behind nginx use the port + {RASA_OFFSET} + n)")
        if port > 65535:
            problems.append(f"port {port} (for {', '.join(names)}) does not exist: lower TOPUP_RASA_PORT, "
                            "TOPUP_ACTION_PORT or TOPUP_WEB_PORT")
    taken = sorted(p for p in used if p <= 65535 and _port_taken("127.0.0.1", p))
    if taken:
        problems.append(f"port(s) {', '.join(map(str, taken))} already in use: is the assistant running already? "
                        "(set TOPUP_RASA_PORT, TOPUP_ACTION_PORT, TOPUP_WEB_PORT to use others)")
    return problems


def _exits(supervisor: Supervisor, name: str) -> int:
    """How many times supervisord has seen `name` exit since it started."""
    try:
        return supervisor.log.read_text(errors="replace").count(f"exited: {name} (")
    except OSError:
        return 0


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

    def __init__(self, path: Path) -> None:
        self.path, self.offset = path, path.stat().st_size if path.exists() else 0

    def pump(self) -> None:
        try:
            with self.path.open("rb") as handle:
                if self.path.stat().st_size < self.offset:  # rotated: a new file from its start
                    self.offset = 0
                handle.seek(self.offset)
                data = handle.read()
        except FileNotFoundError:
            return
        if data:
            self.offset += len(data)
            lines = [line for line in data.decode(errors="replace").splitlines() if not line.endswith(_QUIET)]
            sys.stdout.write("".join(f"[supervisor] {line}\n" for line in lines))
            sys.stdout.flush()


class Reviver:
    """supervisord gives a process up (FATAL) after START_RETRIES failed starts in a row, with growing pauses.
    The launcher asks it to try again REVIVE_AFTER_S later, for ever: a database that is down for an hour must not
    leave the assistant down once it is back."""

    def __init__(self, supervisor: Supervisor, every_s: float = 5.0, after_s: float = REVIVE_AFTER_S) -> None:
        self.supervisor, self.every_s, self.after_s = supervisor, every_s, after_s
        self.fatal_since: dict[str, float] = {}
        self.next_check = time.monotonic() + every_s

    def tick(self) -> None:
        now = time.monotonic()
        if now < self.next_check:
            return
        self.next_check = now + self.every_s
        try:
            processes = self.supervisor.processes()
        except (OSError, xmlrpc.client.Error):
            return
        for name, info in processes.items():
            if info["statename"] != "FATAL":
                self.fatal_since.pop(name, None)
                continue
            since = self.fatal_since.setdefault(name, now)
            if now - since >= self.after_s:
                print(f"[launcher] {name} gave up after {START_RETRIES} failed starts; trying again "
                      f"(its log: {self.supervisor.log_dir / (name + '.log')})", flush=True)
                self.fatal_since.pop(name)
                with contextlib.suppress(OSError, xmlrpc.client.Error):
                    self.supervisor.rpc().supervisor.startProcess(name, False)


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
        stopping.append(signum)  # acted on at the next step, never in the middle of one (a migration, a spawn)

    def check() -> None:
        if stopping:
            raise Stop

    previous = {signum: signal.signal(signum, ask_to_stop)  # Ctrl-C, a stop, the terminal closing
                for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    supervisor = Supervisor(settings.state_dir)
    state_file = supervisor.run_dir / STATE_FILE
    try:
        for line in prepare(settings):
            print(line, flush=True)
        check()
        if settings.scaled:
            conf = nginx.write_local(settings, programs)
            verdict = subprocess.run([programs[-1].command[0], "-t", "-q", "-p", str(conf.parent), "-c", str(conf)],
                                   capture_output=True, text=True)
            if verdict.returncode != 0:
                print(f"nginx refuses its configuration {conf}:\n{verdict.stderr}", file=sys.stderr)
                return 2
        supervisor.write_conf(programs)
        follower = _LogFollower(supervisor.log)
        supervisor.start(child_environment(settings))
        supervisor.wait_listening()
        print(f"Starting {len(programs)} processes under supervisord (the model takes about 30 s to load)...",
              flush=True)
        pending, deadline = list(programs), time.monotonic() + READY_TIMEOUT_S
        while pending:
            check()
            follower.pump()
            pending = [p for p in pending if not _healthy(p.url() + p.health)]
            crashing = [p for p in pending if _exits(supervisor, p.name) >= CRASHES_BEFORE_READY]
            if crashing:  # it will not come up by itself: say why now, not after READY_TIMEOUT_S
                name = crashing[0].name
                tail = (supervisor.log_dir / f"{name}.log").read_text(errors="replace").splitlines()[-15:]
                print(f"{name} exited {CRASHES_BEFORE_READY} times while starting; the end of its log "
                      f"({supervisor.log_dir / (name + '.log')}):\n  " + "\n  ".join(tail), file=sys.stderr)
                supervisor.stop()
                return 1
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
        reviver = Reviver(supervisor)
        while supervisor.process is not None and supervisor.process.poll() is None:
            check()
            follower.pump()
            reviver.tick()
            time.sleep(0.5)
        print("supervisord stopped on its own; see the logs in " + str(supervisor.log_dir), file=sys.stderr)
        return 1
    except Stop:
        print("\nStopping every process...", flush=True)
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, signal.SIG_IGN)
        supervisor.stop()
        print("Stopped.", flush=True)
        return 0
    finally:
        state_file.unlink(missing_ok=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


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

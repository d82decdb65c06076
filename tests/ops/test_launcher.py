"""The launcher's parts without the model: supervisord's restarts and backoff with real processes, what the
launcher refuses before it starts anything, and nginx's configuration as nginx itself reads it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from ops.launcher import nginx
from ops.launcher.plan import Program, plan
from ops.launcher.stack import clean_environment, pick_ports
from ops.launcher.supervisor import START_RETRIES, Supervisor
from tests.appkit import make_settings
from topup.settings import ROOT


def _spawns(log: str, name: str) -> list[datetime]:
    return [datetime.strptime(m, "%Y-%m-%d %H:%M:%S,%f")
            for m in re.findall(rf"^(\S+ \S+) INFO spawned: '{name}'", log, re.M)]


def test_a_process_that_keeps_dying_is_restarted_with_growing_pauses_while_the_others_keep_running(
    tmp_path: Path,
) -> None:
    crashing = Program("crashing", [sys.executable, "-c", "import sys; print('boom', flush=True); sys.exit(3)"],
                       0, "/")  # dies within its first 3 seconds, every time: a failed start
    steady = Program("steady", [sys.executable, "-c", "import time; time.sleep(600)"], 0, "/", start_seconds=1)
    supervisor = Supervisor(tmp_path)
    supervisor.write_conf([crashing, steady])
    supervisor.start(clean_environment())
    try:
        supervisor.wait_listening()
        deadline = time.monotonic() + 30
        while len(_spawns(supervisor.log.read_text(), "crashing")) < 5 and time.monotonic() < deadline:
            time.sleep(0.2)
        log = supervisor.log.read_text()
        spawns = _spawns(log, "crashing")
        assert len(spawns) >= 5, log
        gaps = [(b - a).total_seconds() for a, b in zip(spawns, spawns[1:], strict=False)]
        # One more second of pause after each failed start (supervisord notices an exit within about a second):
        # backoff, not a tight loop.
        assert all(later >= earlier - 0.5 for earlier, later in zip(gaps, gaps[1:], strict=False)), gaps
        assert gaps[-1] >= gaps[0] + 1.5, gaps
        assert "exited: crashing (exit status 3; not expected)" in log
        processes = supervisor.processes()
        assert processes["steady"]["statename"] == "RUNNING"  # the others keep serving
        assert processes["crashing"]["statename"] in ("BACKOFF", "STARTING")
        assert "boom" in (tmp_path / "log" / "crashing.log").read_text()  # each process has its own log
    finally:
        supervisor.stop()
    assert supervisor.process is not None and supervisor.process.returncode is not None


def test_the_run_commands_processes_are_supervised_with_restarts_and_group_stops(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    supervisor = Supervisor(tmp_path)
    conf = supervisor.write_conf(plan(settings)).read_text()
    assert re.findall(r"^\[program:(\S+)\]", conf, re.M) == ["actions", "rasa", "web"]
    assert conf.count("autorestart=true") == 3 and conf.count(f"startretries={START_RETRIES}") == 3
    assert conf.count("stopasgroup=true") == 3 and conf.count("killasgroup=true") == 3
    assert settings.action_token not in conf and settings.rasa_token not in conf  # secrets stay out of files


def _run(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ops.launcher", "run"], cwd=ROOT, env={**clean_environment(), **env},
                          capture_output=True, text=True, timeout=120)


def test_invalid_settings_stop_the_start_before_anything_runs(tmp_path: Path) -> None:
    result = _run({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_CHAT_RATE": "abc", "TOPUP_ACTION_TIMEOUT_SECONDS": "-1"})
    assert result.returncode == 2
    assert "TOPUP_CHAT_RATE=abc: expected count/seconds" in result.stderr
    assert "TOPUP_ACTION_TIMEOUT_SECONDS=-1: expected a number greater than 0" in result.stderr
    assert not (tmp_path / "supervisord.conf").exists()


def test_the_scaled_deployment_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    result = _run({"TOPUP_STATE_DIR": str(tmp_path), "TOPUP_DEPLOYMENT": "scaled"})
    assert result.returncode == 2
    for name in ("TOPUP_ACTION_TOKEN", "TOPUP_RASA_TOKEN", "TOPUP_CONSOLE_SECRET", "TOPUP_CUSTOMER_TOKEN_SECRET"):
        assert f"{name} is not set" in result.stderr
    assert "TOPUP_AGENTS_FILE" in result.stderr and "demo password" in result.stderr
    assert not (tmp_path / "secrets.env").exists() and not (tmp_path / "supervisord.conf").exists()


def test_a_port_in_use_is_named_before_anything_starts(tmp_path: Path) -> None:
    ports = pick_ports()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", int(ports["TOPUP_WEB_PORT"])))
        busy.listen()
        result = _run({"TOPUP_STATE_DIR": str(tmp_path), **ports})
    assert result.returncode == 2
    assert f"port(s) {ports['TOPUP_WEB_PORT']} already in use" in result.stderr
    assert not (tmp_path / "supervisord.conf").exists()


@pytest.mark.skipif(os.environ.get("TOPUP_REQUIRE_SERVICES") != "1" and not shutil.which("nginx"),
                    reason="nginx is installed by the test command")
def test_nginx_accepts_the_configuration_the_launcher_writes(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, TOPUP_DEPLOYMENT="scaled", TOPUP_AGENTS_FILE=str(_agents(tmp_path)),
                             **{name: "x" * 20 for name in ("TOPUP_ACTION_TOKEN", "TOPUP_RASA_TOKEN",
                                                            "TOPUP_CONSOLE_SECRET", "TOPUP_CUSTOMER_TOKEN_SECRET")})
    programs = plan(settings)
    conf = nginx.write_local(settings, programs)
    binary = programs[-1].command[0]
    result = subprocess.run([binary, "-t", "-p", str(conf.parent), "-c", str(conf)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "ip_hash" in conf.read_text() and f"listen 127.0.0.1:{settings.rasa_port}" in conf.read_text()


def _agents(folder: Path) -> Path:
    from topup.agents import hash_password

    path = folder / "agents.yml"
    path.write_text(f"agents:\n- username: a\n  password_hash: {hash_password('not-the-demo-one')}\n")
    return path


def test_a_process_supervisord_gave_up_on_is_tried_again(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from ops.launcher.__main__ import Reviver

    broken = Program("broken", [sys.executable, "-c", "import sys; sys.exit(1)"], 0, "/")
    supervisor = Supervisor(tmp_path)
    supervisor.write_conf([broken], start_retries=1)
    supervisor.start(clean_environment())
    try:
        supervisor.wait_listening()
        deadline = time.monotonic() + 30
        while supervisor.processes()["broken"]["statename"] != "FATAL" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert supervisor.processes()["broken"]["statename"] == "FATAL"
        spawned = len(_spawns(supervisor.log.read_text(), "broken"))
        reviver = Reviver(supervisor, every_s=0, after_s=0.5)
        deadline = time.monotonic() + 15
        while len(_spawns(supervisor.log.read_text(), "broken")) <= spawned and time.monotonic() < deadline:
            reviver.tick()
            time.sleep(0.2)
        assert len(_spawns(supervisor.log.read_text(), "broken")) > spawned
        assert "[launcher] broken gave up after" in capsys.readouterr().out
    finally:
        supervisor.stop()


def test_supervisord_stops_everything_when_its_launcher_is_killed(tmp_path: Path) -> None:
    """A launcher that dies without stopping anything (SIGKILL, a crash) takes the whole stack with it."""
    code = (
        "import sys, time; from pathlib import Path; from ops.launcher.plan import Program; "
        "from ops.launcher.supervisor import Supervisor; from ops.launcher.stack import clean_environment; "
        "s = Supervisor(Path(sys.argv[1])); "
        "s.write_conf([Program('steady', [sys.executable, '-c', 'import time; time.sleep(600)'], 0, '/')]); "
        "s.start(clean_environment()); s.wait_listening(); print(s.process.pid, flush=True); time.sleep(600)"
    )
    launcher = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True)
    try:
        supervisord = int(launcher.stdout.readline())
        supervisor = Supervisor(tmp_path)
        deadline = time.monotonic() + 20
        while supervisor.processes()["steady"]["statename"] != "RUNNING" and time.monotonic() < deadline:
            time.sleep(0.2)
        steady = supervisor.processes()["steady"]["pid"]
        launcher.kill()
        launcher.wait(10)
        deadline = time.monotonic() + 30
        while (_alive(supervisord) or _alive(steady)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(supervisord) and not _alive(steady)
    finally:
        launcher.kill()


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text().lower()


def test_ports_that_clash_or_do_not_exist_are_named_before_anything_starts(tmp_path: Path) -> None:
    from ops.launcher.__main__ import preflight

    secrets = {name: "x" * 20 for name in ("TOPUP_ACTION_TOKEN", "TOPUP_RASA_TOKEN", "TOPUP_CONSOLE_SECRET",
                                           "TOPUP_CUSTOMER_TOKEN_SECRET")}
    scaled = make_settings(tmp_path, TOPUP_DEPLOYMENT="scaled", TOPUP_AGENTS_FILE=str(_agents(tmp_path)),
                           TOPUP_RASA_PORT="5005", TOPUP_ACTION_PORT="5006", TOPUP_WEB_PORT="5007", **secrets)
    problems = preflight(scaled, plan(scaled))
    assert any(p.startswith("port 5107 is wanted by actions-1 and rasa-2") for p in problems), problems
    high = make_settings(tmp_path, TOPUP_DEPLOYMENT="scaled", TOPUP_AGENTS_FILE=str(_agents(tmp_path)),
                         TOPUP_RASA_PORT="65500", **secrets)
    assert any("port 65601 (for rasa-1) does not exist" in p for p in preflight(high, plan(high)))


def test_behind_nginx_the_servers_listen_privately_and_trust_one_hop(tmp_path: Path) -> None:
    secrets = {name: "x" * 20 for name in ("TOPUP_ACTION_TOKEN", "TOPUP_RASA_TOKEN", "TOPUP_CONSOLE_SECRET",
                                           "TOPUP_CUSTOMER_TOKEN_SECRET")}
    settings = make_settings(tmp_path, TOPUP_DEPLOYMENT="scaled", TOPUP_BIND_HOST="0.0.0.0",
                             TOPUP_AGENTS_FILE=str(_agents(tmp_path)), **secrets)
    programs = {p.name: p for p in plan(settings)}
    for name in ("actions-1", "actions-2", "rasa-1", "rasa-2", "web"):
        assert programs[name].environment["TOPUP_BIND_HOST"] == "127.0.0.1", name
    for name in ("rasa-1", "rasa-2", "web"):
        assert programs[name].environment["TOPUP_TRUSTED_PROXIES"] == "1", name
    conf = nginx.local_conf(settings, list(programs.values()))
    assert f"listen 0.0.0.0:{settings.rasa_port};" in conf and f"listen 0.0.0.0:{settings.web_port};" in conf
    assert f"listen 127.0.0.1:{settings.action_port};" in conf  # only Rasa, on this machine, calls the actions
    assert settings.action_url == f"http://127.0.0.1:{settings.action_port}/webhook"
    embedded = make_settings(tmp_path, TOPUP_BIND_HOST="10.1.2.3")
    assert embedded.action_url == "http://10.1.2.3:5055/webhook" and embedded.rasa_url == "http://10.1.2.3:5005"
    assert {p.url() for p in plan(embedded)} == {"http://10.1.2.3:5055", "http://10.1.2.3:5005",
                                                 "http://10.1.2.3:8080"}


def test_a_process_that_cannot_start_stops_the_run_command_with_its_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A broken start (here: a model file that is not a model) is reported within seconds with the end of the
    process's log, not after the launcher's five-minute wait for it to answer."""
    from ops.launcher import __main__ as launcher

    settings = make_settings(tmp_path, **pick_ports())
    broken = Program("rasa", [sys.executable, "-c", "import sys; print('the model is broken'); sys.exit(1)"],
                     settings.rasa_port, "/", "127.0.0.1", start_seconds=0)
    monkeypatch.setattr(launcher, "plan", lambda _settings: [broken])
    started = time.monotonic()
    code = launcher.run(settings)
    assert code == 1 and time.monotonic() - started < 60
    err = capsys.readouterr().err
    assert "rasa exited 3 times while starting" in err and "the model is broken" in err
    assert not (tmp_path / "run" / "launcher.json").exists()

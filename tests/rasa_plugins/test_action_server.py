"""The action server as `python -m rasa_plugins.action_server` runs it (a subprocess on a free port): token check,
a real action, error bodies, the default bind address, and queued handoffs delivered in the background.

A subprocess rather than Sanic's test client: sanic-testing isn't installed, rasa-sdk's app name is fixed
("rasa_sdk"), and Sanic's start-up rewrites its request handler once per process (see tests/channels/helpers.py).
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest
import rasa_sdk
import requests
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins import action_server
from tests.appkit import make_app, make_settings
from topup import settings as settings_module
from topup.app import App
from topup.model import Complaint
from topup.services.handoff import HandoffRequest
from topup.settings import read_env_file

ROOT = Path(__file__).resolve().parents[2]
SECRET_MARK = "13812345678-do-not-echo"
pytestmark = pytest.mark.filterwarnings("ignore:Slot auto-fill:UserWarning")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ActionServer:
    url: str
    port: int
    token: str
    log: Path
    app: App  # the same database, outbox folder and settings as the server's, for the test's own checks

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token if token is None else token}"}


def server_environment(**topup: str) -> dict[str, str]:
    """The shell's environment without any setting of the assistant, and `topup` on top: all the server reads."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("TOPUP_", "ENDPOINTS_"))}
    return {**inherited, **topup}


@contextmanager
def running(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """`python -m rasa_plugins.action_server --port N` with exactly `env`; yields its URL and port once healthy."""
    port = free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen([sys.executable, "-m", "rasa_plugins.action_server", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if requests.get(url + "/health", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "the action server did not start within 60 s"
            time.sleep(0.1)
        yield url, port
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    state = tmp_path_factory.mktemp("action_server")
    token = secrets.token_hex(16)
    env = {"TOPUP_STATE_DIR": str(state), "TOPUP_ACTION_TOKEN": token,
           "TOPUP_DATABASE_URL": f"sqlite:///{state}/topup.db", "TOPUP_OUTBOX_RETRY_SECONDS": "0.2",
           "TOPUP_BUSINESS_HOURS": "00:00-23:59"}  # TOPUP_BIND_HOST unset: the default bind address
    app = make_app(state, **env)  # the schema, and the test's view of the server's database and outbox
    assert app.outbox.directory == state / "outbox"
    try:
        with running(server_environment(**env), state / "server.log") as (url, port):
            yield ActionServer(url, port, token, state / "server.log", app)
    finally:
        app.close()


def action_call(action: str = "action_converse", **slots: object) -> dict:
    """What Rasa POSTs to /webhook, as small as rasa-sdk accepts: a complaint without an order number."""
    message = {"intent": {"name": "recharge_stuck"}, "entities": [], "text": "充值一直没到账"}
    tracker = {"sender_id": "conv-as", "slots": slots, "latest_message": message,
               "events": [], "paused": False, "followup_action": None, "active_loop": {},
               "latest_action_name": "action_listen"}
    return {"next_action": action, "sender_id": "conv-as", "tracker": tracker, "domain": {},
            "version": rasa_sdk.__version__}


def test_health_is_open(server: ActionServer) -> None:
    for headers in ({}, server.auth("wrong")):
        answer = requests.get(server.url + "/health", headers=headers, timeout=5)
        assert answer.status_code == 200 and answer.json() == {"status": "ok"}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "{token}", "Bearer {token}x", "bearer {token}", "Bearer "])
def test_webhook_and_actions_refuse_a_missing_or_wrong_token(server: ActionServer, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header.format(token=server.token)}
    webhook = requests.post(server.url + "/webhook", json=action_call(), headers=headers, timeout=5)
    listing = requests.get(server.url + "/actions", headers=headers, timeout=5)
    for answer in (webhook, listing):
        assert answer.status_code == 401
        assert answer.json() == {"error": "unauthorised"}


def test_a_token_in_the_query_string_is_not_enough(server: ActionServer) -> None:
    answer = requests.get(server.url + "/actions", params={"token": server.token}, timeout=5)
    assert answer.status_code == 401


def test_with_the_token_a_real_action_runs(server: ActionServer) -> None:
    answer = requests.post(server.url + "/webhook", json=action_call(), headers=server.auth(),
                           timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [e["name"] for e in body["events"]] == ["case"] and body["events"][0]["value"]["phase"] == "need_order"
    assert [r["response"] for r in body["responses"]] == ["utter_ask_order_id"]
    listing = requests.get(server.url + "/actions", headers=server.auth(), timeout=5).json()
    assert {"action_converse", "action_relay_to_agent", "action_save_rating"} <= {a["name"] for a in listing}


async def test_rasa_calls_it_with_the_header_endpoints_yml_configures(server: ActionServer) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    message = UserUttered("充值一直没到账", intent={"name": "recharge_stuck", "confidence": 0.9})
    tracker = DialogueStateTracker.from_events("conv-rasa", [message], slots=domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    endpoint = EndpointConfig(url=server.url + "/webhook", headers=server.auth())
    events = await RemoteAction("action_converse", endpoint).run(CollectingOutputChannel(), nlg, tracker, domain)
    assert [e.text for e in events if isinstance(e, BotUttered)] == [domain.responses["utter_ask_order_id"][0]["text"]]
    with pytest.raises(RasaException):  # the same call without the header: 401
        await RemoteAction("action_converse", EndpointConfig(url=server.url + "/webhook")).run(
            CollectingOutputChannel(), nlg, tracker, domain)


def test_an_error_does_not_echo_the_request(server: ActionServer) -> None:
    broken = {"next_action": "action_converse", "sender_id": SECRET_MARK, "tracker": f"phone {SECRET_MARK}",
              "domain": {"note": SECRET_MARK}}
    answer = requests.post(server.url + "/webhook", json=broken, headers=server.auth(), timeout=10)
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal error"}
    assert SECRET_MARK not in answer.text
    time.sleep(0.2)
    log = server.log.read_text(encoding="utf-8", errors="replace")
    assert "action server error on /webhook" in log
    assert SECRET_MARK not in log


def _listening(port: int) -> set[str]:
    """Local addresses (hex, as the kernel lists them) listening on `port`, IPv4 and IPv6."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.rsplit(":", 1)
            if int(hex_port, 16) == port and state == "0A":
                found.add(address)
    return found


def test_it_listens_on_localhost_only_by_default(server: ActionServer) -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux's /proc/net/tcp")
    assert _listening(server.port) == {"0100007F"}  # 127.0.0.1, not 0.0.0.0 or ::


@pytest.mark.parametrize(("env", "argv", "host", "port"), [
    ({}, ["--port", "5999"], "127.0.0.1", 5999),
    ({"TOPUP_BIND_HOST": "0.0.0.0"}, ["--port", "5999"], "0.0.0.0", 5999),
    ({"TOPUP_BIND_HOST": "0.0.0.0", "TOPUP_ACTION_PORT": "5998"}, [], "0.0.0.0", 5998),
])
def test_host_and_port_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, env: dict[str, str], argv: list[str], host: str, port: int
) -> None:
    loaded = make_settings(tmp_path, **env)
    monkeypatch.setattr(settings_module, "load", lambda environ=None: loaded)  # what main reads at start
    runs: list[dict] = []
    built: list[App] = []
    fake = SimpleNamespace(run=lambda **kwargs: runs.append(kwargs))
    monkeypatch.setattr(action_server, "build_app", lambda app: built.append(app) or fake)
    action_server.main(argv)
    assert runs == [{"host": host, "port": port, "workers": 1, "access_log": False, "motd": False}]
    assert built[0].settings is loaded and App.current() is built[0]  # the actions use the same object
    assert settings_module.current() is loaded


@pytest.mark.parametrize(("given", "ok"), [("Bearer abc", True), ("Bearer abd", False), ("abc", False), ("", False)])
def test_authorised_compares_the_whole_header(given: str, ok: bool) -> None:
    request = SimpleNamespace(headers={"authorization": given} if given else {})
    assert action_server._authorised(request, "abc") is ok  # type: ignore[arg-type]


def test_handoffs_queued_on_disk_are_delivered_by_the_running_server(server: ActionServer) -> None:
    request = HandoffRequest("conv-queued", "KM20261127004215", False, Complaint.RECHARGE_STUCK,
                             "充了话费没到账", "customer_request")
    server.app.outbox.enqueue(request)
    deadline = time.monotonic() + 15
    while server.app.outbox.pending() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert server.app.outbox.pending() == []
    tickets = [t for t in server.app.handoffs.list_tickets() if t.conversation_id == "conv-queued"]
    assert len(tickets) == 1


def test_without_a_configured_token_the_generated_one_is_required(tmp_path: Path) -> None:
    """The embedded deployment makes the token (into $TOPUP_STATE_DIR/secrets.env) when none is set: the check is
    never off, and Rasa gets the same token from the same file."""
    state = tmp_path / "no-token"
    env = {"TOPUP_STATE_DIR": str(state), "TOPUP_DATABASE_URL": f"sqlite:///{tmp_path}/topup.db"}
    assert not (state / "secrets.env").exists()
    with running(server_environment(**env), tmp_path / "server.log") as (url, _):
        generated = read_env_file(state / "secrets.env")["TOPUP_ACTION_TOKEN"]  # made by the server's start
        for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
            webhook = requests.post(url + "/webhook", json=action_call(), headers=headers,
                                    timeout=5)
            listing = requests.get(url + "/actions", headers=headers, timeout=5)
            assert (webhook.status_code, listing.status_code) == (401, 401), headers
            assert webhook.json() == {"error": "unauthorised"}
        answer = requests.post(url + "/webhook", json=action_call(),
                               headers={"Authorization": f"Bearer {generated}"}, timeout=10)
        assert answer.status_code == 200, answer.text
    assert len(generated) >= 16
    assert read_env_file(state / "secrets.env")["TOPUP_ACTION_TOKEN"] == generated  # made once, then kept

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
from rasa.shared.core.events import BotUttered, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins import action_server
from topup.db.engine import create_schema, get_engine
from topup.model import Complaint
from topup.services import outbox
from topup.services.handoff import HandoffRequest, list_tickets

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
    outbox: Path
    database_url: str

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token if token is None else token}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ActionServer]:
    work = tmp_path_factory.mktemp("action_server")
    database_url = f"sqlite:///{work}/topup.db"
    engine = get_engine(database_url)
    create_schema(engine)
    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if k != "TOPUP_BIND_HOST"}  # the default bind address
    env.update(TOPUP_ACTION_TOKEN=token, TOPUP_DATABASE_URL=database_url, TOPUP_OUTBOX_DIR=str(work / "outbox"),
               TOPUP_OUTBOX_RETRY_SECONDS="0.2", TOPUP_BUSINESS_HOURS="00:00-23:59")
    log = work / "server.log"
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
        yield ActionServer(url, port, token, log, work / "outbox", database_url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        engine.dispose()
        get_engine.cache_clear()


def action_call(action: str = "action_resume", **slots: object) -> dict:
    """What Rasa POSTs to /webhook, as small as rasa-sdk accepts."""
    tracker = {"sender_id": "conv-as", "slots": slots, "latest_message": {"intent": {}, "entities": [], "text": ""},
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
    webhook = requests.post(server.url + "/webhook", json=action_call(awaiting="order_id"), headers=headers, timeout=5)
    listing = requests.get(server.url + "/actions", headers=headers, timeout=5)
    for answer in (webhook, listing):
        assert answer.status_code == 401
        assert answer.json() == {"error": "unauthorised"}


def test_a_token_in_the_query_string_is_not_enough(server: ActionServer) -> None:
    answer = requests.get(server.url + "/actions", params={"token": server.token}, timeout=5)
    assert answer.status_code == 401


def test_with_the_token_a_real_action_runs(server: ActionServer) -> None:
    answer = requests.post(server.url + "/webhook", json=action_call(awaiting="order_id"), headers=server.auth(),
                           timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["events"] == []
    assert [r["response"] for r in body["responses"]] == ["utter_ask_order_id"]
    listing = requests.get(server.url + "/actions", headers=server.auth(), timeout=5).json()
    assert {"action_resume", "action_handoff", "action_verify_order"} <= {a["name"] for a in listing}


async def test_rasa_calls_it_with_the_header_endpoints_yml_configures(server: ActionServer) -> None:
    domain = Domain.load(str(ROOT / "domain.yml"))
    tracker = DialogueStateTracker.from_events("conv-rasa", [SlotSet("awaiting", "order_id")], slots=domain.slots)
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    endpoint = EndpointConfig(url=server.url + "/webhook", headers=server.auth())
    events = await RemoteAction("action_resume", endpoint).run(CollectingOutputChannel(), nlg, tracker, domain)
    assert [e.text for e in events if isinstance(e, BotUttered)] == [domain.responses["utter_ask_order_id"][0]["text"]]
    with pytest.raises(RasaException):  # the same call without the header: 401
        await RemoteAction("action_resume", EndpointConfig(url=server.url + "/webhook")).run(
            CollectingOutputChannel(), nlg, tracker, domain)


def test_an_error_does_not_echo_the_request(server: ActionServer) -> None:
    broken = {"next_action": "action_resume", "sender_id": SECRET_MARK, "tracker": f"phone {SECRET_MARK}",
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


@pytest.mark.parametrize(("env", "argv", "host"), [
    (None, [], "127.0.0.1"),
    ("0.0.0.0", [], "0.0.0.0"),
    ("0.0.0.0", ["--host", "127.0.0.2"], "127.0.0.2"),
])
def test_the_host_default_comes_from_topup_bind_host(
    monkeypatch: pytest.MonkeyPatch, env: str | None, argv: list[str], host: str
) -> None:
    if env is None:
        monkeypatch.delenv("TOPUP_BIND_HOST", raising=False)
    else:
        monkeypatch.setenv("TOPUP_BIND_HOST", env)
    runs: list[dict] = []
    fake = SimpleNamespace(run=lambda **kwargs: runs.append(kwargs))
    monkeypatch.setattr(action_server, "build_app", lambda: fake)
    action_server.main(["--port", "5999", *argv])
    assert runs == [{"host": host, "port": 5999, "workers": 1, "access_log": False, "motd": False}]


@pytest.mark.parametrize(("given", "ok"), [("Bearer abc", True), ("Bearer abd", False), ("abc", False), ("", False)])
def test_authorised_compares_the_whole_header(given: str, ok: bool) -> None:
    request = SimpleNamespace(headers={"authorization": given} if given else {})
    assert action_server._authorised(request, "abc") is ok  # type: ignore[arg-type]


def test_handoffs_queued_on_disk_are_delivered_by_the_running_server(server: ActionServer) -> None:
    request = HandoffRequest("conv-queued", "KM20261127004215", False, Complaint.RECHARGE_STUCK,
                             "充了话费没到账", "customer_request")
    outbox.enqueue(request, directory=server.outbox)
    deadline = time.monotonic() + 15
    while outbox.pending(server.outbox) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert outbox.pending(server.outbox) == []
    tickets = [t for t in list_tickets(engine=get_engine(server.database_url)) if t.conversation_id == "conv-queued"]
    assert len(tickets) == 1

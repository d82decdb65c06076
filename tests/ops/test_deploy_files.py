"""The container topology (ops/deploy/) says what docs/DEPLOYMENT.md and the run command do."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "deploy" / "docker-compose.yml").read_text())
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()


def test_every_process_of_the_scaled_topology_is_a_service() -> None:
    assert {"postgres", "redis", "prepare", "rasa", "actions", "web", "balancer"} <= set(COMPOSE["services"])


def test_every_setting_endpoints_yml_expands_is_given_to_the_servers() -> None:
    wanted = set(re.findall(r"\$\{(\w+)\}", (ROOT / "endpoints.yml").read_text()))
    for service in ("rasa", "actions", "web"):
        given = set(COMPOSE["services"][service]["environment"])
        assert wanted <= given, (service, wanted - given)
    assert COMPOSE["services"]["rasa"]["environment"]["LOCK_STORE_TYPE"] == "rasa_plugins.lock_store.AtomicRedisLockStore"


def test_commands_start_modules_that_exist() -> None:
    for service in ("rasa", "actions", "web", "prepare"):
        command = COMPOSE["services"][service]["command"]
        for module in re.findall(r"python -m ([\w.]+)", command):
            assert importlib.util.find_spec(module) is not None, (service, module)
    assert "--auth-token" in COMPOSE["services"]["rasa"]["command"]


def test_only_the_balancer_publishes_ports_and_the_action_servers_stay_private() -> None:
    published = {name for name, service in COMPOSE["services"].items() if service.get("ports")}
    assert published == {"balancer"}
    assert not any(p.startswith("5055") for p in COMPOSE["services"]["balancer"]["ports"])


def test_nginx_keeps_socketio_sessions_on_one_rasa_server_and_proxies_websockets() -> None:
    rasa_upstream = re.search(r"upstream rasa \{(.*?)\}", NGINX, re.S)
    assert rasa_upstream and "ip_hash" in rasa_upstream.group(1)
    assert "proxy_set_header Upgrade $http_upgrade" in NGINX
    for upstream in re.findall(r"server (\w+):\d+", NGINX):
        assert upstream in COMPOSE["services"], upstream


def test_action_servers_share_the_outbox_volume() -> None:
    actions = COMPOSE["services"]["actions"]
    assert actions["environment"]["TOPUP_OUTBOX_DIR"] == "/outbox"
    assert "outbox:/outbox" in actions["volumes"]

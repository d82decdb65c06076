"""The container topology (ops/deploy/) says what docs/DEPLOYMENT.md and the launcher do, with the same settings."""

from __future__ import annotations

import importlib.util
import re

import yaml

from ops.launcher import nginx
from topup.settings import ROOT, specs

DEPLOY = ROOT / "ops" / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
NGINX = (DEPLOY / "nginx" / "nginx.conf").read_text()
SETTINGS = {spec.env for _, spec in specs()}


def test_every_process_of_the_scaled_topology_is_a_service() -> None:
    assert {"postgres", "redis", "prepare", "rasa", "actions", "web", "balancer"} <= set(COMPOSE["services"])


def test_the_servers_get_only_real_settings_and_every_secret() -> None:
    for service in ("prepare", "rasa", "actions", "web"):
        given = set(COMPOSE["services"][service]["environment"])
        assert given <= SETTINGS, (service, given - SETTINGS)  # no stale or misspelt variable
        assert {"TOPUP_ACTION_TOKEN", "TOPUP_RASA_TOKEN", "TOPUP_CONSOLE_SECRET",
                "TOPUP_CUSTOMER_TOKEN_SECRET"} <= given
        assert COMPOSE["services"][service]["environment"]["TOPUP_DEPLOYMENT"] == "scaled"
    assert "TOPUP_DEPLOYMENT=scaled" in (DEPLOY / "Dockerfile").read_text()


def test_no_secret_value_is_written_in_the_deployment_files() -> None:
    for name, value in COMPOSE["x-app"]["environment"].items():
        if name.endswith(("TOKEN", "SECRET")):
            assert re.fullmatch(r"\$\{\w+:\?[^}]+\}", value), (name, value)  # required from the operator's env file


def test_commands_start_modules_that_exist() -> None:
    for service in ("rasa", "actions", "web", "prepare"):
        command = COMPOSE["services"][service]["command"]
        for module in re.findall(r"python -m ([\w.]+)", command):
            assert importlib.util.find_spec(module) is not None, (service, module)


def test_only_the_balancer_publishes_ports_and_the_action_servers_stay_private() -> None:
    published = {name for name, service in COMPOSE["services"].items() if service.get("ports")}
    assert published == {"balancer"}
    assert not any(p.startswith("5055") for p in COMPOSE["services"]["balancer"]["ports"])


def test_the_containers_nginx_conf_is_the_shared_template_rendered() -> None:
    assert NGINX == nginx.docker_conf(), "stale: python -m ops.launcher nginx-docker > ops/deploy/nginx/nginx.conf"
    assert "./nginx/nginx.conf:/etc/nginx/nginx.conf:ro" in COMPOSE["services"]["balancer"]["volumes"]


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

"""nginx's configuration, from the one template (ops/deploy/nginx/nginx.conf.template) for both places it runs."""

from __future__ import annotations

import re
from pathlib import Path

from ops.launcher.plan import Program
from topup.settings import ROOT, Settings

TEMPLATE = ROOT / "ops" / "deploy" / "nginx" / "nginx.conf.template"
DOCKER_CONF = ROOT / "ops" / "deploy" / "nginx" / "nginx.conf"
SERVER = "    server {address} max_fails=1 fail_timeout=5s;"


def _render(**values: str) -> str:
    """The template with each {{name}} filled in ($names are nginx's own variables and stay)."""
    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    left = re.findall(r"\{\{(\w+)\}\}", text)
    if left:
        raise ValueError(f"the nginx template needs values for {left}")
    return text


def _servers(addresses: list[str]) -> str:
    return "\n".join(SERVER.format(address=a) for a in addresses)


def local_conf(settings: Settings, programs: list[Program]) -> str:
    """For `make run-scaled`: upstreams on 127.0.0.1, listening on the public ports, files in the state folder."""
    state = settings.state_dir

    def ports(prefix: str) -> list[str]:
        return [f"127.0.0.1:{p.port}" for p in programs if p.name == prefix or p.name.startswith(prefix + "-")]

    host = settings.bind_host
    return _render(
        head="# Rendered by the launcher for this machine; edits here are overwritten at the next start.",
        pid=str(state / "run" / "nginx.pid"), error_log=str(state / "log" / "nginx-error.log"),
        resolver="", temp=str(state / "nginx" / "temp"),
        rasa_servers=_servers(ports("rasa")), action_servers=_servers(ports("actions")),
        web_servers=_servers(ports("web")),
        rasa_listen=f"{host}:{settings.rasa_port}", actions_listen=f"127.0.0.1:{settings.action_port}",
        web_listen=f"{host}:{settings.web_port}",
    )


def docker_conf() -> str:
    """For ops/deploy/docker-compose.yml: upstreams by service name (resolved when nginx starts, to every replica
    the service has then)."""
    return _render(
        head="# The containers' copy (ops/deploy/docker-compose.yml mounts it); generated, do not edit.\n"
             "user nginx;",
        pid="/var/run/nginx.pid", error_log="/dev/stderr",
        resolver="# upstream names are resolved when nginx starts (every replica a service has then)",
        temp="/var/cache/nginx",
        rasa_servers=_servers(["rasa:5005"]), action_servers=_servers(["actions:5055"]),
        web_servers=_servers(["web:8080"]),
        rasa_listen="5005", actions_listen="5055", web_listen="8080",
    )


def write_local(settings: Settings, programs: list[Program]) -> Path:
    folder = settings.state_dir / "nginx"
    for sub in ("temp", ):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (settings.state_dir / "log").mkdir(parents=True, exist_ok=True)
    (settings.state_dir / "run").mkdir(parents=True, exist_ok=True)
    path = folder / "nginx.conf"
    path.write_text(local_conf(settings, programs), encoding="utf-8")
    return path

"""Which processes the settings call for, on which ports and addresses, and how to tell each is ready."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field

from topup.settings import Settings, connect_host

PYTHON = sys.executable
# Ports of the servers behind nginx in the scaled deployment: TOPUP_*_PORT + these offsets + the server's number.
RASA_OFFSET, ACTION_OFFSET, WEB_OFFSET = 100, 100, 100
# Servers behind nginx listen here only: nothing reaches them but nginx (no forged X-Forwarded-For, no way
# around the limits nginx's address is counted under).
PRIVATE = "127.0.0.1"
RASA_START_SECONDS = 30  # Rasa loads its model first: dying within this counts as a failed start (backoff)


@dataclass(frozen=True)
class Program:
    name: str
    command: list[str]
    port: int
    health: str  # the path that answers 200 once the process serves (Rasa's only after its model loaded)
    host: str = PRIVATE  # where the launcher reaches it
    environment: dict[str, str] = field(default_factory=dict)  # settings of this process alone
    start_seconds: int = 3  # dying sooner than this after a start counts as a failed start (backoff)

    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def _behind(settings: Settings) -> dict[str, str]:
    """What a server behind nginx is told: listen privately, and trust nginx's X-Forwarded-For (one hop)."""
    return {"TOPUP_BIND_HOST": PRIVATE, "TOPUP_TRUSTED_PROXIES": str(max(1, settings.trusted_proxies))}


def _actions(name: str, port: int, host: str, env: dict[str, str]) -> Program:
    return Program(name, [PYTHON, "-m", "rasa_plugins.action_server", "--port", str(port)], port, "/health", host,
                   env)


def _rasa(name: str, port: int, host: str, env: dict[str, str]) -> Program:
    return Program(name, [PYTHON, "-m", "rasa_plugins.rasa_server", "--port", str(port)], port, "/", host, env,
                   RASA_START_SECONDS)


def _web(name: str, port: int, host: str, env: dict[str, str]) -> Program:
    return Program(name, [PYTHON, "-m", "web", "--port", str(port)], port, "/widget.js", host, env)


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                          if shutil.which(p)), None)


def plan(settings: Settings) -> list[Program]:
    """Embedded: one action server, one Rasa server, the web app, on the public ports of TOPUP_BIND_HOST. Scaled:
    TOPUP_ACTION_SERVERS and TOPUP_RASA_SERVERS of them and the web app on private ports of 127.0.0.1, nginx on
    the public ones."""
    if not settings.scaled:
        host = connect_host(settings.bind_host)
        return [_actions("actions", settings.action_port, host, {}), _rasa("rasa", settings.rasa_port, host, {}),
                _web("web", settings.web_port, host, {})]
    behind = _behind(settings)
    programs = [_actions(f"actions-{i}", settings.action_port + ACTION_OFFSET + i, PRIVATE,
                         {"TOPUP_BIND_HOST": PRIVATE}) for i in range(1, settings.action_servers + 1)]
    programs += [_rasa(f"rasa-{i}", settings.rasa_port + RASA_OFFSET + i, PRIVATE, behind)
                 for i in range(1, settings.rasa_servers + 1)]
    programs.append(_web("web", settings.web_port + WEB_OFFSET, PRIVATE, behind))
    nginx = nginx_binary() or "nginx"
    conf = settings.state_dir / "nginx" / "nginx.conf"
    programs.append(Program("nginx", [nginx, "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
                            settings.web_port, "/widget.js", connect_host(settings.bind_host), start_seconds=1))
    return programs


def public_urls(settings: Settings) -> dict[str, str]:
    """Where people and other processes reach the assistant, whichever deployment (the action server's, or nginx's
    for the action servers, only from this machine when scaled)."""
    host = connect_host(settings.bind_host)
    actions = PRIVATE if settings.scaled else host
    return {"rasa": f"http://{host}:{settings.rasa_port}", "actions": f"http://{actions}:{settings.action_port}",
            "web": f"http://{host}:{settings.web_port}"}


def ports(settings: Settings, programs: list[Program]) -> dict[int, list[str]]:
    """Every port the deployment listens on, and what listens there (two names on one port: a clash)."""
    used: dict[int, list[str]] = {}
    for program in programs:
        if program.name != "nginx":
            used.setdefault(program.port, []).append(program.name)
    if settings.scaled:
        for name, port in (("TOPUP_RASA_PORT", settings.rasa_port), ("TOPUP_ACTION_PORT", settings.action_port),
                           ("TOPUP_WEB_PORT", settings.web_port)):
            used.setdefault(port, []).append(f"nginx ({name})")
    return used

"""Which processes the settings call for, on which ports, and how to tell each is ready."""

from __future__ import annotations

import shutil
import sys
from dataclasses import dataclass, field

from topup.settings import Settings

PYTHON = sys.executable
# Ports of the servers behind nginx in the scaled deployment: TOPUP_*_PORT + these offsets + the server's number.
RASA_OFFSET, ACTION_OFFSET, WEB_OFFSET = 100, 100, 100


@dataclass(frozen=True)
class Program:
    name: str
    command: list[str]
    port: int
    health: str  # the path that answers 200 once the process serves (Rasa's only after its model loaded)
    environment: dict[str, str] = field(default_factory=dict)
    start_seconds: int = 3  # dying sooner than this after a start counts as a failed start (backoff)

    def url(self, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}"


def _actions(name: str, port: int) -> Program:
    return Program(name, [PYTHON, "-m", "rasa_plugins.action_server", "--port", str(port)], port, "/health")


def _rasa(name: str, port: int, behind_proxy: bool) -> Program:
    env = {"SANIC_PROXIES_COUNT": "1"} if behind_proxy else {}
    return Program(name, [PYTHON, "-m", "rasa_plugins.rasa_server", "--port", str(port)], port, "/", env)


def _web(name: str, port: int) -> Program:
    return Program(name, [PYTHON, "-m", "web", "--port", str(port)], port, "/widget.js")


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx")
                                          if shutil.which(p)), None)


def plan(settings: Settings) -> list[Program]:
    """Embedded: one action server, one Rasa server, the web app, on the public ports. Scaled: TOPUP_ACTION_SERVERS
    and TOPUP_RASA_SERVERS of them and the web app on private ports, nginx on the public ones."""
    if not settings.scaled:
        return [_actions("actions", settings.action_port), _rasa("rasa", settings.rasa_port, False),
                _web("web", settings.web_port)]
    programs = [_actions(f"actions-{i}", settings.action_port + ACTION_OFFSET + i)
                for i in range(1, settings.action_servers + 1)]
    programs += [_rasa(f"rasa-{i}", settings.rasa_port + RASA_OFFSET + i, True)
                 for i in range(1, settings.rasa_servers + 1)]
    programs.append(_web("web", settings.web_port + WEB_OFFSET))
    nginx = nginx_binary() or "nginx"
    conf = settings.state_dir / "nginx" / "nginx.conf"
    programs.append(Program("nginx", [nginx, "-p", str(conf.parent), "-c", str(conf), "-g", "daemon off;"],
                            settings.web_port, "/widget.js", start_seconds=1))
    return programs


def public_urls(settings: Settings) -> dict[str, str]:
    """Where people and other processes reach the assistant, whichever deployment."""
    return {"rasa": f"http://127.0.0.1:{settings.rasa_port}", "actions": f"http://127.0.0.1:{settings.action_port}",
            "web": f"http://127.0.0.1:{settings.web_port}"}

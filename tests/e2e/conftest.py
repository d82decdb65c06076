"""The real action server and Rasa server on the trained model, on free ports, with their own databases.

The stack is started by the same code the benchmark uses (bench/servers.py), so both exercise the embedded
default exactly as `make run` starts it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

from ops.bench.servers import ours


@dataclass
class Servers:
    rasa_url: str
    action_url: str
    database_url: str
    env: dict

    def say(self, sender: str, text: str) -> list[dict]:
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=30
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    with ours(tmp_path_factory.mktemp("e2e")) as stack:
        assert stack.actions is not None
        yield Servers(stack.rasa_url, stack.actions.url, stack.env["TOPUP_DATABASE_URL"], stack.env)

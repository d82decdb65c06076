"""No string in the repository signs a customer token the assistant accepts: there is no built-in shop secret.

A shop's token names a customer; with a valid one the assistant reads that customer's latest order with no phone
tail. If any value in the repository (a former default, a demo password, a fixture) could sign one, anybody could
read anyone's order knowing only their mobile number. Every string in the repository signs a token for the demo
customer, checked by the verifier built from the running stack's own settings (the same code and secret as its
action server: hundreds of thousands of candidates, in seconds); a sample of them, and the usual guesses, go to the
running assistant (started as `make run` starts it) over the public REST channel. Every one must be refused, while
the token its own generated secret signs is honoured, so the test can fail.
"""

from __future__ import annotations

import random
import re
import subprocess

import pytest

from ops.launcher.stack import Stack
from topup.customer_token import CustomerTokens
from topup.settings import ROOT

DEMO_CUSTOMER = ("demo-customer-1", "13800003821")  # owns KM20261127004215
_QUOTED = re.compile(r"""["'`]([^"'`\n]{1,200})["'`]""")
_WORD = re.compile(r"[^\s\"'`=:,;()\[\]{}<>]{1,200}")


def repository_strings() -> set[str]:
    """Every quoted string, every word and every whole line of every file the repository tracks."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    found: set[str] = set()
    for name in filter(None, files):
        try:
            text = (ROOT / name.decode()).read_text(encoding="utf-8")
        except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
            continue  # images, the model
        for line in text.splitlines():
            line = line.strip()
            if line:
                found.add(line[:2000])
            found.update(_QUOTED.findall(line))
            found.update(_WORD.findall(line))
            if "=" in line:  # KEY=value files (.env examples)
                found.add(line.split("=", 1)[1].strip().strip("'\""))
    found.discard("")
    return found


@pytest.fixture(scope="module")
def candidates() -> list[str]:
    strings = sorted(repository_strings())
    assert len(strings) > 10_000  # the scan really read the repository
    # The former built-in default (gone from the code, perhaps still in history) and the usual guesses too.
    return strings + ["demo-shop-secret-change-me", "changeme", "secret"]


def test_no_repository_string_signs_a_token_the_assistant_accepts(servers: Stack, candidates: list[str]) -> None:
    accepting = servers.app.customers
    forged = [c for c in candidates if c and accepting.verify(CustomerTokens(c).sign(*DEMO_CUSTOMER)) is not None]
    assert forged == []
    # The test can fail: the assistant's own secret does sign a token it accepts.
    own = CustomerTokens(servers.settings.customer_token_secret).sign(*DEMO_CUSTOMER)
    assert accepting.verify(own) is not None


def test_the_generated_secret_is_not_in_the_repository(servers: Stack, candidates: list[str]) -> None:
    secret = servers.settings.customer_token_secret
    assert len(secret) >= 32 and not any(secret in c for c in candidates)
    assert str(servers.settings.secrets_path).startswith(str(servers.state_dir))


def _reply(servers: Stack, sender: str, token: str) -> str:
    answers = servers.say(sender, "我的话费一直显示正在充值", metadata={"customer_token": token})
    return "\n".join(a.get("text") or "" for a in answers)


def test_forged_tokens_over_the_public_channel_reveal_nothing(servers: Stack, candidates: list[str]) -> None:
    sample = random.Random(7).sample([c for c in candidates if c.strip()], 40)
    sample += ["demo-shop-secret-change-me", "demo-agent-pass", "TOPUP_CUSTOMER_TOKEN_SECRET"]
    for n, secret in enumerate(sample):
        reply = _reply(servers, f"forged-{n}", CustomerTokens(secret).sign(*DEMO_CUSTOMER))
        assert "订单号" in reply and "中国移动话费" not in reply and "查到了" not in reply, (secret, reply)


def test_the_shops_real_token_is_honoured(servers: Stack) -> None:
    token = CustomerTokens(servers.settings.customer_token_secret).sign(*DEMO_CUSTOMER)
    reply = _reply(servers, "signed-customer", token)
    assert "查到了" in reply and "中国移动话费" in reply, reply

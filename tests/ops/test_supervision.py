"""The run command's launcher under fire: a hung or killed action server, a killed Rasa server, Ctrl-C.

One stack for the module, started exactly as `make run` starts it (python -m ops.launcher run, supervisord).
The figures are printed (pytest -s) and asserted against the targets of the foundation issue.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from ops.launcher.stack import Stack

ORDER, TAIL = "KM20261127004215", "3821"
SETTINGS = {"TOPUP_CHAT_RATE": "off", "TOPUP_CHAT_IP_RATE": "off", "TOPUP_BUSINESS_HOURS": "00:00-23:59"}
APOLOGY = "查不了"  # utter_lookup_error: "抱歉，订单系统这会儿查不了，不是您的问题。"
OFFER = "转人工"  # utter_offer_human


def text(replies: list[dict]) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def diagnosed(reply: str) -> bool:
    return "查到了" in reply and "中国移动话费" in reply


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with Stack.running(tmp_path_factory.mktemp("supervised"), SETTINGS) as running:
        yield running


def case(stack: Stack, sender: str) -> dict:
    """The conversation's state as the Rasa server keeps it (slot `case`)."""
    return stack.tracker(sender)["slots"]["case"] or {}


def test_a_hung_action_server_gets_the_apology_within_3s_and_the_order_is_kept(stack: Stack) -> None:
    sender = "hung-actions"
    assert "订单号" in text(stack.say(sender, "话费一直显示正在充值，钱扣了"))
    stack.kill("actions", signal.SIGSTOP)  # alive but answering nothing: the worst kind of down
    try:
        started = time.monotonic()
        reply = text(stack.say(sender, f"订单号 {ORDER}"))
        seconds = time.monotonic() - started
    finally:
        stack.kill("actions", signal.SIGCONT)
    print(f"hung action server: apology after {seconds:.2f}s")
    assert seconds < 3.0, seconds
    assert APOLOGY in reply and OFFER in reply, reply
    kept = case(stack, sender)
    assert kept["order_no"] == ORDER and kept["verified"] is False and kept["phase"] == "offered", kept
    # The next message carries on from the order given during the outage: no asking for it again.
    after = text(stack.say(sender, TAIL))
    assert diagnosed(after), after


def test_a_tail_given_while_the_action_server_hangs_is_kept_too(stack: Stack) -> None:
    sender = "hung-actions-tail"
    assert "后 4 位" in text(stack.say(sender, f"充值一直没到账 {ORDER}"))
    stack.kill("actions", signal.SIGSTOP)
    try:
        reply = text(stack.say(sender, f"尾号{TAIL}"))
    finally:
        stack.kill("actions", signal.SIGCONT)
    assert APOLOGY in reply, reply
    kept = case(stack, sender)
    assert (kept["order_no"], kept["tail"]) == (ORDER, TAIL), kept
    again = text(stack.say(sender, "现在能查了吗"))  # nothing repeated: the order and tail from before carry on
    assert diagnosed(again), again


def test_a_killed_action_server_is_restarted_and_lookups_work_again_within_15s(stack: Stack) -> None:
    old = stack.kill("actions")  # SIGKILL
    killed = time.monotonic()
    # While it is down the other processes keep serving: the chat answers (politely) and the web app serves.
    started = time.monotonic()
    reply = text(stack.say("dead-actions", f"充值一直没到账 {ORDER} 尾号{TAIL}"))
    apology_s = time.monotonic() - started
    assert APOLOGY in reply and apology_s < 3.0, (apology_s, reply)
    assert requests.get(f"{stack.web_url}/widget.js", timeout=5).status_code == 200
    attempt, recovered = 0, None
    while time.monotonic() - killed < 30:
        attempt += 1
        if diagnosed(text(stack.say(f"after-kill-{attempt}", f"充值一直没到账 {ORDER} 尾号{TAIL}"))):
            recovered = time.monotonic() - killed
            break
        time.sleep(0.5)
    print(f"action server killed: apology after {apology_s:.2f}s, lookups work again after {recovered or 0:.2f}s")
    assert recovered is not None and recovered < 15, recovered
    assert stack.pid("actions") != old
    assert re.search(r"exited: actions \(terminated by SIGKILL; not expected\)", stack.log("supervisord"))


def test_a_killed_rasa_server_comes_back_and_the_conversation_resumes(stack: Stack) -> None:
    sender = "rasa-killed"
    assert "后 4 位" in text(stack.say(sender, f"话费一直显示正在充值 {ORDER}"))
    old = stack.kill("rasa")
    assert requests.get(f"{stack.web_url}/console", timeout=5).status_code == 200  # the web app keeps serving
    seconds = stack.wait_restarted("rasa", old, timeout_s=180)
    print(f"rasa server killed: back (model loaded) after {seconds:.1f}s")
    after = text(stack.say(sender, TAIL))  # the order given before the kill is still the conversation's
    assert diagnosed(after), after
    assert re.search(r"exited: rasa \(terminated by SIGKILL; not expected\)", stack.log("supervisord"))


def test_a_killed_web_app_is_restarted_and_the_console_serves_again(stack: Stack) -> None:
    old = stack.kill("web")
    seconds = stack.wait_restarted("web", old, timeout_s=60)
    print(f"web app killed: serving again after {seconds:.1f}s")
    assert requests.get(f"{stack.web_url}/console", timeout=5).status_code == 200
    assert "小卡" in text(stack.say("after-web-kill", "你好"))  # the chat never depended on it


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_ctrl_c_stops_every_process(stack: Stack) -> None:
    pids = stack.all_pids()
    assert len(pids) == 4  # supervisord, the action server, Rasa, the web app
    started = time.monotonic()
    assert stack.stop(signal.SIGINT) == 0
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    print(f"Ctrl-C: everything stopped after {time.monotonic() - started:.1f}s")
    assert not [pid for pid in pids if _alive(pid)]
    assert not (stack.state_dir / "run" / "launcher.json").exists()
    assert "Stopped." in stack.output()

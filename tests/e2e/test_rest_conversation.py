"""A whole conversation over the REST channel against the real servers, then the ticket in the database."""

from __future__ import annotations

import re

from sqlalchemy import select

from ops.launcher.stack import Stack
from topup.db.engine import unit_of_work
from topup.db.schema import TicketRow

SENDER = "e2e-processing-45"


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def test_processing_45_minutes_two_failed_steps_then_handoff(servers: Stack) -> None:
    greeting = servers.say(SENDER, "你好")
    assert "小卡" in texts(greeting)

    ask_order = servers.say(SENDER, "话费付了钱一直显示正在充值，怎么回事")
    assert "订单号" in texts(ask_order)

    ask_tail = servers.say(SENDER, "km 2026 1127 004215")
    assert "后 4 位" in texts(ask_tail)

    diagnosis = texts(servers.say(SENDER, "尾号3821"))
    assert "中国移动话费" in diagnosis and "100元" in diagnosis
    assert re.search(r"已经 4[5-9] 分钟还在充值中", diagnosis), diagnosis
    assert "不要再付" in diagnosis
    assert "刷新" in diagnosis  # first step offered right after the explanation

    second = servers.say(SENDER, "刷新了还是不行")
    assert "充值的账户里看看" in texts(second)
    assert [b["title"] for b in second[-1].get("buttons", [])] == ["到了", "还是没有"]

    servers.app.console.touch_presence("xiaowang")  # an agent has the console open
    handoff = texts(servers.say(SENDER, "没用"))
    match = re.search(r"工单号 (TK\d{14})", handoff)
    assert match, handoff
    assert "分钟内" in handoff

    # Asking again does not create a second ticket.
    again = texts(servers.say(SENDER, "转人工"))
    assert match.group(1) in again

    engine = servers.app.engine
    with unit_of_work(engine) as session:
        rows = session.execute(select(TicketRow).where(TicketRow.conversation_id == SENDER)).scalars().all()
    assert len(rows) == 1
    ticket = rows[0]
    assert ticket.ticket_no == match.group(1)
    assert ticket.order_no == "KM20261127004215" and ticket.verified
    assert ticket.priority == "high" and "debited_processing_30min" in ticket.priority_reasons
    assert ticket.complaint == "recharge_stuck"
    assert ticket.status == "open"
    assert "一直显示正在充值" in ticket.customer_description
    assert ticket.steps == [
        {"step": "refresh_relogin", "outcome": "not_helped"},
        {"step": "check_account", "outcome": "not_helped"},
    ]
    snapshot = ticket.order_snapshot
    assert snapshot["phone_masked"].endswith("3821") and "138" not in snapshot["phone_masked"]
    assert snapshot["product_name"] == "中国移动话费"
    assert snapshot["amount_cents"] == 10000
    assert snapshot["payment_method"] == "alipay"
    assert snapshot["status"] == "processing" and snapshot["debit_status"] == "debited"
    assert snapshot["paid_at"] and snapshot["created_at"] and snapshot["status_changed_at"]
    customer_lines = [t["text"] for t in ticket.transcript if t["role"] == "customer"]
    assert customer_lines[:6] == ["你好", "话费付了钱一直显示正在充值，怎么回事", "km 2026 1127 004215", "尾号3821",
                                  "刷新了还是不行", "没用"]
    assert any(t["role"] == "assistant" and "充值的账户里看看" in t["text"] for t in ticket.transcript)
    later = [m.text for m in servers.app.console.detail(ticket.ticket_no)["messages"] if m.role == "customer"]
    assert later == ["转人工"]  # after the handoff, what the customer writes goes onto the ticket live


def test_tracker_holds_every_turn_in_order(servers: Stack) -> None:
    import requests

    sender = "e2e-tracker"
    for text in ["你好", "帮我查下订单 KM20261127003390", "7788"]:
        servers.say(sender, text)
    url = f"{servers.rasa_url}/conversations/{sender}/tracker"
    tracker = requests.get(url, params={"token": servers.rasa_token}, timeout=10).json()
    users = [e["text"] for e in tracker["events"] if e["event"] == "user"]
    assert users == ["你好", "帮我查下订单 KM20261127003390", "7788"]
    case = tracker["slots"]["case"]
    assert (case["order_no"], case["verified"], case["diagnosis"]) == ("KM20261127003390", True, "delivered")
    utters = [e["metadata"].get("utter_action") for e in tracker["events"] if e["event"] == "bot"]
    assert utters == ["utter_greet", "utter_ask_phone_last4", "utter_diagnosis_delivered", "utter_step_refresh_relogin"]

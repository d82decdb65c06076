"""The whole conversation over REST, for each platform, against its database on the real MariaDB: the assistant as
`make run` starts it (the launcher), reading a dujiaoka or acg-faka database. Complaint, the platform's order
number typed sloppily, the platform's proof, the diagnosis, self-help, the handoff with a complete ticket; the
platform's order changing while the customer waits; the source down; another platform's order number."""

from __future__ import annotations

import re

import requests
from sqlalchemy import select

from ops.launcher.stack import Stack
from tests.platforms.test_platform_demo import _connect
from topup.db.engine import unit_of_work
from topup.db.schema import TicketMessageRow, TicketRow
from topup.services.watch import Change


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def _ticket(stack: Stack, sender: str) -> TicketRow:
    with unit_of_work(stack.app.engine) as session:
        rows = session.execute(select(TicketRow).where(TicketRow.conversation_id == sender)).scalars().all()
    assert len(rows) == 1, rows
    return rows[0]


def test_dujiaoka_processing_past_its_time_to_a_complete_ticket(dujiaoka_stack) -> None:  # noqa: ANN001
    stack, numbers = dujiaoka_stack
    sender = "dj-overdue"
    number = numbers["processing_overdue"]
    ask = texts(stack.say(sender, "充值一直显示处理中。。急"))
    assert "16 位字母和数字" in ask and "KM" not in ask
    spaced = " ".join(number[i:i + 4] for i in range(0, 16, 4)).lower()  # "3efr 4edt 2syw b3wk"
    ask_proof = texts(stack.say(sender, f"单号 {spaced}"))
    assert "邮箱" in ask_proof and "后 4 位" not in ask_proof
    wrong = texts(stack.say(sender, "nobody@qq.com"))
    assert "没能对上" in wrong and "邮箱" in wrong  # the order number is kept, the email asked again
    diagnosis = texts(stack.say(sender, "哦 是这个 Buyer05@qq.com"))
    assert "还在充值中" in diagnosis and "不要再付" in diagnosis, diagnosis
    assert "buyer05@qq.com" not in diagnosis.lower()  # the proof is never echoed
    stack.app.console.touch_presence("xiaowang")
    stack.say(sender, "刷新了还是不行")
    handoff = texts(stack.say(sender, "还是没有"))
    match = re.search(r"工单号 (TK\d{14})", handoff)
    assert match, handoff
    ticket = _ticket(stack, sender)
    assert ticket.order_no == number and ticket.verified and ticket.priority == "high"
    assert ticket.order_snapshot["platform"]["status"] == "3 处理中"
    assert ticket.order_snapshot["status"] == "processing"
    assert [s["outcome"] for s in ticket.steps] == ["not_helped", "not_helped"]


def test_dujiaoka_says_paid_but_no_payment_on_record(dujiaoka_stack) -> None:  # noqa: ANN001
    stack, numbers = dujiaoka_stack
    sender = "dj-lost-callback"
    stack.say(sender, f"我付了钱但是订单显示过期了 {numbers['expired']}")
    reply = texts(stack.say(sender, "buyer02@qq.com"))
    assert "交易单号" in reply and "不要再付" in reply, reply
    ticket = _ticket(stack, sender)
    assert ticket.priority == "high" and "claim_record_mismatch" in ticket.priority_reasons


def test_another_platforms_number_gets_this_platforms_format(dujiaoka_stack, acgfaka_stack) -> None:  # noqa: ANN001
    dj, _ = dujiaoka_stack
    reply = texts(dj.say("dj-wrong-format", "订单号 512261207234600734 没到账"))
    assert "16 位字母和数字" in reply, reply
    acg, _ = acgfaka_stack
    reply = texts(acg.say("acg-wrong-format", "订单 8EQ6ZL2OFA3TRD4 没到账"))
    assert "18 位数字" in reply, reply


def test_acg_faka_paid_not_delivered_to_a_ticket_with_the_phone_tail(acgfaka_stack) -> None:  # noqa: ANN001
    stack, numbers = acgfaka_stack
    sender = "acg-overdue"
    number = numbers["overdue"]
    grouped = f"{number[:6]} {number[6:12]} {number[12:]}"
    ask = texts(stack.say(sender, f"付款了一直没发货 订单{grouped}"))
    assert "联系方式" in ask, ask
    diagnosis = texts(stack.say(sender, "QQ 12345678"))
    assert "还在充值中" in diagnosis, diagnosis
    stack.app.console.touch_presence("xiaowang")
    stack.say(sender, "还是不行")
    handoff = texts(stack.say(sender, "没用"))
    assert re.search(r"工单号 (TK\d{14})", handoff), handoff
    ticket = _ticket(stack, sender)
    assert ticket.order_no == number and ticket.verified  # 18 digits, not masked as a card
    assert grouped in " ".join(line["text"] for line in ticket.transcript)  # as typed, not masked as a card
    assert ticket.order_snapshot["platform"]["status"] == "1/0 已支付，未发货"


def test_acg_faka_a_phone_contact_typed_in_full(acgfaka_stack) -> None:  # noqa: ANN001
    stack, numbers = acgfaka_stack
    sender = "acg-phone"
    stack.say(sender, f"{numbers['paid_recent']} 没到")
    reply = texts(stack.say(sender, "13900001111"))  # masked on the way in: its last 4 digits prove it
    assert "正在充值中" in reply or "充值中" in reply, reply


def test_the_order_arrives_while_the_customer_waits(acgfaka_stack, acgfaka_db) -> None:  # noqa: ANN001
    stack, numbers = acgfaka_stack
    sender = "acg-arrives"
    stack.say(sender, f"订单 {numbers['paid_recent']} 一直没到")
    stack.say(sender, "尾号1111")
    change = Change(sender, numbers["paid_recent"], "processing", "delivered")
    response = requests.post(f"{stack.rasa_url}/conversations/{sender}/trigger_intent",
                             params={"token": stack.rasa_token, "output_channel": "collector"},
                             json={"name": "check_order_status",
                                   "entities": {"order_id": change.order_no, "order_event": "delivered"}}, timeout=30)
    assert response.status_code == 200, response.text
    told = texts(response.json().get("messages", []))
    assert "充值成功" in told and numbers["paid_recent"] in told
    again = requests.post(f"{stack.rasa_url}/conversations/{sender}/trigger_intent",
                          params={"token": stack.rasa_token, "output_channel": "collector"},
                          json={"name": "check_order_status",
                                "entities": {"order_id": change.order_no, "order_event": "delivered"}}, timeout=30)
    assert again.json().get("messages", []) == []  # a duplicate says nothing


def test_the_webhook_needs_its_token_and_an_order_number(acgfaka_stack) -> None:  # noqa: ANN001
    stack, numbers = acgfaka_stack
    url = f"{stack.web_url}/hooks/order"
    assert requests.post(url, json={"trade_no": numbers["overdue"]}, timeout=10).status_code == 401
    assert requests.post(url, params={"token": "x" * 24}, json={"trade_no": numbers["overdue"]},
                         timeout=10).status_code == 401
    assert requests.post(url, params={"token": "w" * 24}, json={"trade_no": "123"}, timeout=10).status_code == 400
    ok = requests.post(url, params={"token": "w" * 24}, json={"trade_no": numbers["overdue"]}, timeout=10)
    assert ok.status_code == 200 and ok.json()["ok"]


def test_the_webhook_tells_the_customer_once_and_the_ticket_gets_a_line(dujiaoka_stack, dujiaoka_db) -> None:  # noqa: ANN001
    """After the handoff, dujiaoka completes the order (status 4) and its goods hook calls the webhook: the
    customer is told (in the tracker), the agent's ticket gets a line with the offer to close; a second call
    (the hook retries) tells nothing."""
    stack, numbers = dujiaoka_stack
    url, _ = dujiaoka_db
    number = numbers["processing_overdue"]
    ticket = _ticket(stack, "dj-overdue")  # handed off by the first test of this module
    conn = _connect(url.rsplit("/", 1)[1])
    try:
        with conn.cursor() as cursor:
            cursor.execute("UPDATE orders SET status = 4 WHERE order_sn = %s", (number,))
    finally:
        conn.close()
    hook = f"{stack.web_url}/hooks/order"
    first = requests.post(hook, params={"token": "w" * 24}, json={"order_sn": number.lower()}, timeout=20)
    assert first.status_code == 200 and first.json()["told"] == 1, first.text
    again = requests.post(hook, params={"token": "w" * 24}, data={"order_sn": number}, timeout=20)
    assert again.status_code == 200 and again.json()["told"] == 0
    events = stack.tracker("dj-overdue")["events"]
    told = [e["text"] for e in events if e.get("event") == "bot" and "充值成功" in (e.get("text") or "")]
    assert len(told) == 1 and number in told[0]
    with unit_of_work(stack.app.engine) as session:
        lines = session.execute(select(TicketMessageRow.text).where(
            TicketMessageRow.ticket_no == ticket.ticket_no, TicketMessageRow.role == "system")).scalars().all()
    assert any("已到账" in line and "解决" in line for line in lines), lines

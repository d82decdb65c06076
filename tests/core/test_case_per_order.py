"""One open case per order: a customer who comes back in a new chat about the same order joins the case they had,
and the agent sees both conversations; the customer's words, never a button's payload, everywhere."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from topup.app import App
from topup.conversation import shown_text, transcript
from topup.model import Complaint, Priority, StepRecord
from topup.services.handoff import HandoffRequest

ORDER = "KM20261127004215"


def ask(conversation_id: str, verified: bool = True, said: str = "钱扣了，话费一直没到账", frustration: int = 0,
        order_no: str | None = ORDER, lines: list[dict] | None = None) -> HandoffRequest:
    return HandoffRequest(
        conversation_id=conversation_id, order_no=order_no, verified=verified, complaint=Complaint.RECHARGE_STUCK,
        customer_description=said, reason="selfhelp_failed", steps=[StepRecord("refresh_relogin", "not_helped")],
        transcript=lines or [{"role": "customer", "text": said, "at": "2026-11-28T07:58:00Z"}],
        frustration=frustration)


def test_a_second_chat_about_the_same_order_joins_the_open_case(
        app: App, add_order: Callable[..., str], now: datetime) -> None:
    add_order(paid_minutes_ago=40)
    first = app.handoffs.hand_off(ask("phone-chat"), now=now - timedelta(minutes=30))
    app.console.claim(first.ticket_no, "xiaowang")
    # An hour later, from the computer: impatient, angrier, the same order.
    again = app.handoffs.hand_off(ask("desk-chat", said="都一个小时了还没到！！", frustration=2), now=now)

    assert again.ticket_no == first.ticket_no and not again.created
    assert again.priority is Priority.HIGH  # the angrier second conversation raises the case
    assert len(app.handoffs.list_tickets(["open", "in_progress"])) == 1
    detail = app.console.detail(first.ticket_no)
    chats = [c["conversation_id"] for c in detail["conversations"]]
    assert chats == ["phone-chat", "desk-chat"]
    assert detail["conversations"][1]["transcript"][0]["text"] == "都一个小时了还没到！！"
    ticket = detail["ticket"]
    assert "钱扣了" in ticket.details["customer_description"] and "一个小时" in ticket.details["customer_description"]
    assert ticket.details["assigned_agent"] == "xiaowang"  # still the same agent's case
    assert any(m.role == "system" and "换了一个对话窗口" in m.text for m in detail["messages"])
    # The agent's replies now reach the chat the customer is in; both chats find the case.
    assert ticket.conversation_id == "desk-chat"
    assert app.console.open_for_conversation("phone-chat").ticket_no == first.ticket_no
    assert app.console.active_takeover("phone-chat").ticket_no == first.ticket_no
    assert app.console.relay_customer_message("desk-chat", "在吗") is not None


def test_the_same_chat_handing_off_again_does_not_add_itself_twice(
        app: App, add_order: Callable[..., str], now: datetime) -> None:
    add_order(paid_minutes_ago=40)
    first = app.handoffs.hand_off(ask("a"), now=now - timedelta(minutes=5))
    app.handoffs.hand_off(ask("b"), now=now - timedelta(minutes=3))
    app.handoffs.hand_off(ask("b", said="还是没到"), now=now)
    detail = app.console.detail(first.ticket_no)
    assert [c["conversation_id"] for c in detail["conversations"]] == ["a", "b"]
    assert sum("换了一个对话窗口" in m.text for m in detail["messages"]) == 1


def test_an_unverified_chat_naming_someone_elses_order_never_joins_their_case(
        app: App, add_order: Callable[..., str], now: datetime) -> None:
    add_order(paid_minutes_ago=40)
    owner = app.handoffs.hand_off(ask("owner"), now=now - timedelta(minutes=5))
    stranger = app.handoffs.hand_off(ask("stranger", verified=False, said="这个订单是我的"), now=now)
    assert stranger.ticket_no != owner.ticket_no and stranger.created
    assert app.console.open_for_conversation("stranger").ticket_no == stranger.ticket_no
    assert [c["conversation_id"] for c in app.console.detail(owner.ticket_no)["conversations"]] == ["owner"]


def test_a_resolved_case_is_not_joined_a_new_one_opens(
        app: App, add_order: Callable[..., str], now: datetime) -> None:
    add_order(paid_minutes_ago=40)
    first = app.handoffs.hand_off(ask("a"), now=now - timedelta(hours=2))
    app.console.resolve(first.ticket_no, "xiaowang", "已补充值")
    later = app.handoffs.hand_off(ask("b"), now=now)
    assert later.created and later.ticket_no != first.ticket_no


BUTTONS = [{"title": "还是不行", "payload": "/deny"}, {"title": "到了", "payload": "/solved"}]


def test_a_tapped_button_is_its_title_in_the_transcript_and_on_the_ticket(
        app: App, add_order: Callable[..., str], now: datetime) -> None:
    events = [
        {"event": "user", "text": "话费没到", "timestamp": 1.0, "parse_data": {"intent": {"name": "recharge_stuck"}}},
        {"event": "bot", "text": "先刷新一下试试", "timestamp": 2.0, "data": {"buttons": BUTTONS}},
        {"event": "user", "text": "/deny", "timestamp": 3.0, "parse_data": {"intent": {"name": "deny"}}},
        {"event": "bot", "text": "换个方法", "timestamp": 4.0, "data": {"buttons": [
            {"title": "先不用", "payload": "/deny"}]}},
        {"event": "user", "text": "/deny", "timestamp": 5.0, "parse_data": {"intent": {"name": "deny"}}},
    ]
    lines = transcript(events)
    assert [line["text"] for line in lines if line["role"] == "customer"] == ["话费没到", "还是不行", "先不用"]
    assert lines[2]["payload"] == "/deny"
    assert shown_text("/solved", events[:2]) == "到了"
    assert shown_text("我自己打的 /deny", events) == "我自己打的 /deny"
    add_order(paid_minutes_ago=40)
    made = app.handoffs.hand_off(ask("a", lines=lines), now=now)
    shown = [line["text"] for line in app.console.detail(made.ticket_no)["ticket"].details["transcript"]]
    assert "/deny" not in shown and "还是不行" in shown


def test_an_old_tickets_payload_reads_as_a_title(app: App, add_order: Callable[..., str], now: datetime) -> None:
    add_order(paid_minutes_ago=40)
    made = app.handoffs.hand_off(ask("a", lines=[{"role": "customer", "text": "/solved", "at": None},
                                                 {"role": "customer", "text": '/rate{"rating": 4}', "at": None}]),
                                 now=now)
    shown = [line["text"] for line in app.console.detail(made.ticket_no)["ticket"].details["transcript"]]
    assert shown == ["好了", "4"]

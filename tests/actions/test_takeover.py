"""Takeover by a person, ratings, out-of-hours handoffs and signed customer tokens."""

from __future__ import annotations

import pytest
from helpers import Conversation, final_slots, make_tracker, run_action
from sqlalchemy import delete

from actions.takeover import (
    ActionAgentJoined,
    ActionAgentLeft,
    ActionDeliverAgentMessages,
    ActionRelayToAgent,
    ActionSaveRating,
    parse_rating,
)
from tests.appkit import installed, rebuilt
from topup.app import App
from topup.db.engine import unit_of_work
from topup.db.schema import AgentPresenceRow
from topup.model import Complaint
from topup.services.handoff import HandoffRequest

CID = "takeover-conversation"


def _ticket(app: App) -> str:
    request = HandoffRequest(CID, "KM20261127004215", True, Complaint.RECHARGE_STUCK, "一直在充值", "customer_request")
    return app.handoffs.hand_off(request).ticket_no


async def test_agent_joins_then_messages_flow_both_ways(db: App) -> None:
    ticket_no = _ticket(db)
    db.console.claim(ticket_no, "xiaowang")

    events, _ = await run_action(ActionAgentJoined(), make_tracker("", None, sender_id=CID))
    assert final_slots(events) == {"agent_active": True, "agent_name": "小王", "awaiting": None}

    events, _ = await run_action(
        ActionRelayToAgent(), make_tracker("好的 谢谢<b>", "thank", sender_id=CID, slots={"agent_active": True})
    )
    assert events == []
    live = db.console.detail(ticket_no)["messages"]
    assert [(m.role, m.text) for m in live] == [("customer", "好的 谢谢<b>")]

    db.console.post_agent_message(ticket_no, "xiaowang", "您好，正在为您核实")
    _, dispatcher = await run_action(ActionDeliverAgentMessages(), make_tracker("", None, sender_id=CID))
    assert [m["text"] for m in dispatcher.messages] == ["【客服小王】您好，正在为您核实"]
    _, again = await run_action(ActionDeliverAgentMessages(), make_tracker("", None, sender_id=CID))
    assert again.messages == []  # each reply is shown once


async def test_relay_without_an_agent_hands_the_conversation_back(db: App) -> None:
    events, _ = await run_action(
        ActionRelayToAgent(), make_tracker("还在吗", "greet", sender_id=CID, slots={"agent_active": True})
    )
    assert final_slots(events) == {"agent_active": False}
    assert {"event": "followup", "timestamp": None, "name": "action_converse"} in events  # the message is answered


async def test_resolve_then_rating_is_stored(db: App) -> None:
    ticket_no = _ticket(db)
    db.console.claim(ticket_no, "xiaowang")
    db.console.resolve(ticket_no, "xiaowang", "已补充值到账")
    events, _ = await run_action(ActionAgentLeft(), make_tracker("", None, sender_id=CID))
    assert final_slots(events)["awaiting"] == "rating" and final_slots(events)["agent_active"] is False

    button = {"entity": "rating", "value": 5, "start": 0, "end": 0}
    tracker = make_tracker('/rate{"rating": 5}', "rate", entities=[button], sender_id=CID, slots={"awaiting": "rating"})
    events, _ = await run_action(ActionSaveRating(), tracker)
    assert final_slots(events)["next_move"] == "rated"
    assert db.handoffs.get_ticket(ticket_no).details["rating"] == 5


async def test_a_reply_that_is_not_a_rating_drops_the_question(db: App) -> None:
    events, _ = await run_action(ActionSaveRating(), make_tracker("还有个问题", "inform", slots={"awaiting": "rating"}))
    assert final_slots(events) == {"awaiting": None, "next_move": "rating_invalid"}


@pytest.mark.parametrize(
    ("entity_value", "text", "rating"),
    [(5, "", 5), (None, "给你们打4分", 4), (None, "五星好评", 5), (None, "满分", 5), (None, "1分 太差", 1),
     (None, "10分", None), (None, "不知道", None), ("7", "", None)],
)
def test_parse_rating(entity_value: object, text: str, rating: int | None) -> None:
    assert parse_rating(entity_value, text) == rating


async def test_handoff_out_of_hours_says_when(db: App) -> None:
    chat = Conversation(CID)
    with installed(rebuilt(db, TOPUP_BUSINESS_HOURS="00:00-00:01")):
        await chat.say("转人工", "request_human")
        assert await chat.say("没有", "deny") == ["utter_handoff_offhours"]
    assert chat.case["ticket_no"].startswith("TK") and "00:00" in chat.texts[-1]


async def test_handoff_with_no_agent_online(db: App) -> None:
    with unit_of_work(db.engine) as session:
        session.execute(delete(AgentPresenceRow))
    chat = Conversation(CID)
    await chat.say("KM20261127004215 3821")
    assert await chat.say("转人工", "request_human") == ["utter_handoff_no_agent"]


async def test_signed_in_customer_is_verified_without_the_tail(db: App) -> None:
    token = db.customers.sign("demo-customer-1", "13800003821")
    chat = Conversation(metadata={"customer_token": token})
    assert (await chat.say("话费一直在充值", "recharge_stuck"))[0] == "utter_diagnosis_processing_overdue"
    assert chat.case["order_no"] == "KM20261127004215"


async def test_signed_in_customer_proves_an_older_order_with_the_same_phone(db: App) -> None:
    token = db.customers.sign("demo-customer-1", "13800003821")
    chat = Conversation(metadata={"customer_token": token})
    await chat.say("KM20261127004215 这个单", "check_order_status")
    assert chat.case["verified"]


@pytest.mark.parametrize(
    "token",
    ["forged.signature", "expired", "", "a" * 5000],
    ids=["forged", "expired", "empty", "huge"],
)
async def test_an_invalid_token_is_ignored(db: App, token: str) -> None:
    if token == "expired":
        token = db.customers.sign("x", "13800003821", ttl_s=-5)
    chat = Conversation(metadata={"customer_token": token})
    assert await chat.say("一直在充值", "recharge_stuck") == ["utter_ask_order_id"]


async def test_a_token_does_not_open_someone_elses_order(db: App) -> None:
    token = db.customers.sign("someone", "13999990000")
    chat = Conversation(metadata={"customer_token": token})
    assert await chat.say("查一下 KM20261127004215", "check_order_status") == ["utter_ask_phone_last4"]
    assert not chat.case["verified"] and not chat.case["facts"]
    assert await chat.say("还是查一下", "check_order_status") == ["utter_ask_phone_last4_again"]  # phone tried once

"""action_converse on the real services (demo orders on SQLite): the translator between Rasa and the engine, and the
engine's ports on a database that answers, is down, or hangs."""

from __future__ import annotations

import threading
import time

import pytest
from helpers import Conversation, entity, make_tracker, run_action

from actions.converse import ActionConverse
from tests.appkit import installed, rebuilt
from topup.app import App

ORDER, TAIL = "KM20261127004215", "3821"  # processing for 45 minutes: overdue, two steps, then a person
RECENT, RECENT_TAIL = "KM20261128000107", "2233"  # paid 8 minutes ago: processing, within the normal time
UNPAID, UNPAID_TAIL = "KM20261128000415", "1234"


async def test_a_complaint_with_order_and_tail_is_explained_with_the_records_facts(db: App) -> None:
    chat = Conversation()
    assert await chat.say("充值一直没到账", "recharge_stuck") == ["utter_ask_order_id"]
    assert await chat.say(f"{ORDER} 尾号{TAIL}") == ["utter_diagnosis_processing_overdue", "utter_step_refresh_relogin"]
    assert "中国移动话费" in chat.texts[-2] and "100" in chat.texts[-2]
    assert chat.case["verified"] and chat.case["phase"] == "step" and chat.case["complaint"] == "recharge_stuck"


async def test_the_whole_walk_ends_in_a_filled_in_ticket(db: App) -> None:
    chat = Conversation(metadata={"client_ip": "198.51.100.4"})
    await chat.say(f"{ORDER} 一直在充值 钱都扣了", "charged_not_received")
    await chat.say(TAIL)
    await chat.say("好的我试试", "affirm")
    await chat.say("不行", "deny")
    assert await chat.say("还是没有", "deny") == ["utter_handoff_created"]
    ticket = db.handoffs.list_tickets()[0]
    details = ticket.details
    assert (ticket.order_no, details["verified"], details["complaint"]) == (ORDER, True, "charged_not_received")
    assert [s["outcome"] for s in details["steps"]] == ["not_helped", "not_helped"]
    assert ticket.priority.value == "high" and ticket.ticket_no in chat.texts[-1]
    assert any(line["text"] == "好的我试试" for line in details["transcript"])


async def test_after_the_handoff_messages_go_onto_the_ticket_and_the_status_is_told(db: App) -> None:
    chat = Conversation()
    await chat.say(f"{ORDER} {TAIL}")
    await chat.say("转人工", "request_human")
    ticket_no = chat.case["ticket_no"]
    replies = await chat.say("我的工单处理到哪了", "ask_ticket_status")
    # a moment after the handoff: that it is in the queue, not "已经等了 0 分钟"
    assert replies[0] == "utter_ticket_status_waiting_again" and ticket_no in chat.texts[-2]
    assert "0 分钟" not in chat.texts[-2]
    await chat.say("支付宝账单显示已扣款 100 元", "inform")
    notes = [m.text for m in db.console.detail(ticket_no)["messages"] if m.role == "customer"]
    assert notes == ["我的工单处理到哪了", "支付宝账单显示已扣款 100 元"]
    db.console.claim(ticket_no, "xiaowang")
    await chat.say("还有人吗", "greet")
    assert "小王" in " ".join(chat.texts[-2:])


async def test_a_returning_customer_finds_the_ticket_after_the_session_expired(db: App) -> None:
    first = Conversation(sender="returning")
    await first.say(f"{ORDER} {TAIL}")
    await first.say("人工", "request_human")
    later = Conversation(sender="returning")  # a new session: no slots, the same conversation id
    assert (await later.say("你好", "greet"))[0] == "utter_ticket_welcome_back"
    assert later.case["ticket_no"] == first.case["ticket_no"]


async def test_the_customer_closes_the_ticket_when_it_arrived(db: App) -> None:
    chat = Conversation()
    await chat.say(f"{ORDER} {TAIL}")
    await chat.say("人工", "request_human")
    ticket_no = chat.case["ticket_no"]
    await chat.say("到账了", "solved")
    assert await chat.say("好的", "affirm") == ["utter_ticket_closed"]
    assert db.handoffs.get_ticket(ticket_no).status.value == "resolved"


async def test_an_order_switch_after_the_handoff_moves_the_ticket(db: App) -> None:
    chat = Conversation()
    await chat.say(f"{ORDER} {TAIL}")
    await chat.say("人工", "request_human")
    await chat.say(f"搞错了 是这个 {RECENT}")
    await chat.say(RECENT_TAIL)
    ticket = db.handoffs.get_ticket(chat.case["ticket_no"])
    assert (ticket.order_no, ticket.details["verified"]) == (RECENT, True)
    assert len(db.handoffs.list_tickets()) == 1


async def test_a_complaint_is_flagged_and_high_priority_when_money_was_taken(db: App) -> None:
    chat = Conversation()
    await chat.say(f"{RECENT} {RECENT_TAIL}")
    await chat.say("我要投诉", "complain")
    ticket = db.handoffs.list_tickets()[0]
    assert ticket.details["handoff_reason"] == "complaint"
    assert "complaint_money_taken" in ticket.details["priority_reasons"]
    assert ticket.priority.value == "high"


async def test_a_complaint_without_money_taken_is_flagged_but_not_high(db: App) -> None:
    chat = Conversation()
    await chat.say(f"{UNPAID} {UNPAID_TAIL}")
    await chat.say("我要投诉", "complain")
    ticket = db.handoffs.list_tickets()[0]
    assert ticket.details["handoff_reason"] == "complaint" and ticket.priority.value == "normal"


async def test_entities_are_read_as_well_as_the_words(db: App) -> None:
    chat = Conversation()
    text = "订单号见上面"
    await chat.say(text, "inform", [entity("order_id", ORDER), entity("phone_last4", TAIL)])
    assert chat.case["verified"] and chat.case["order_no"] == ORDER


@pytest.mark.parametrize("value", [[1], {"x": 1}, 12, None, "KM1"])
async def test_entity_values_that_are_not_order_numbers_are_ignored(db: App, value: object) -> None:
    chat = Conversation()
    await chat.say("订单", "inform", [{"entity": "order_id", "value": value}])
    assert chat.case["order_no"] is None


async def test_the_rating_question_is_dropped_once_the_conversation_moves_on(db: App) -> None:
    tracker = make_tracker("充值没到账", "recharge_stuck", slots={"awaiting": "rating"})
    events, _ = await run_action(ActionConverse(), tracker)
    assert {"event": "slot", "timestamp": None, "name": "awaiting", "value": None} in events


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "充值" * 5000, "\x00\u202e", "", "🙂" * 300])
async def test_hostile_or_huge_messages_get_an_answer(db: App, text: str) -> None:
    chat = Conversation()
    replies = await chat.say(text, None)
    assert replies and all(r.startswith("utter_") for r in replies)


# --- the database down, or hung -------------------------------------------------------------------------------


async def test_database_down_says_so_and_keeps_what_the_customer_gave(db_down: App) -> None:
    chat = Conversation()
    assert await chat.say(f"{ORDER} {TAIL}") == ["utter_lookup_error", "utter_offer_human"]
    assert (chat.case["order_no"], chat.case["tail"]) == (ORDER, TAIL)
    assert await chat.say("好", "affirm") == ["utter_handoff_queued"]  # kept on disk for when it is back
    assert list(db_down.settings.outbox_dir.glob("handoff-*.json"))


async def test_database_and_disk_both_down_says_the_ticket_failed(db_down: App,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(db_down.outbox, "enqueue", refuse)
    chat = Conversation()
    await chat.say(f"{ORDER} {TAIL}")
    assert await chat.say("转人工", "request_human") == ["utter_handoff_failed"]
    assert chat.case["phase"] == "offered"


async def test_a_hung_database_costs_the_turn_at_most_the_deadline(db: App, monkeypatch: pytest.MonkeyPatch) -> None:
    with installed(rebuilt(db, TOPUP_ACTION_DB_SECONDS="0.4")) as app:
        release = threading.Event()
        calls: list[str] = []

        def hang(*args: object, **kwargs: object) -> None:
            calls.append("hang")
            release.wait(10)

        monkeypatch.setattr(app.lookups, "look_up", hang)
        monkeypatch.setattr(app.handoffs, "hand_off", hang)
        monkeypatch.setattr(app.console, "open_for_conversation", hang)
        chat = Conversation()
        started = time.monotonic()
        replies = await chat.say(f"{ORDER} {TAIL}")
        took = time.monotonic() - started
        release.set()
        assert replies == ["utter_lookup_error", "utter_offer_human"]
        assert took < 1.0, took  # one deadline for every call of the turn, not one each
        assert chat.case["order_no"] == ORDER

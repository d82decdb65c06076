"""The conversations' record: what each was about and how it ended (the reports), and the customer's presence."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import text

from actions.converse import outcome
from topup.app import App
from topup.dialogue.model import Case, Kind, Phase
from topup.services.conversations import DROPPED, HANDED_OFF, OPEN, SOLVED


def test_outcome_of_a_turn() -> None:
    assert outcome(Kind.SOLVED, Case(phase=Phase.DONE)) == SOLVED
    assert outcome(Kind.CANCEL, Case(phase=Phase.DONE)) == DROPPED
    assert outcome(Kind.STILL, Case(phase=Phase.STEP)) == OPEN
    assert outcome(Kind.SOLVED, Case(phase=Phase.DONE, ticket_no="TK1")) == HANDED_OFF
    assert outcome(Kind.GREET, Case(phase=Phase.TICKET, ticket_no="TK1")) == HANDED_OFF


def _row(app: App, conversation_id: str) -> dict:
    with app.engine.connect() as connection:
        return dict(connection.execute(text("SELECT * FROM conversations WHERE conversation_id = :c"),
                                       {"c": conversation_id}).mappings().one())


def test_a_conversation_is_recorded_from_its_first_message_and_its_outcome_only_moves_forward(
        app: App, now: datetime) -> None:
    service = app.conversations
    service.record("c1", None, OPEN, now=now)  # "在吗"
    service.record("c1", "check_order_status", OPEN, now=now + timedelta(minutes=1))  # an order number alone
    service.record("c1", "recharge_stuck", OPEN, now=now + timedelta(minutes=1))  # the record says: stuck
    service.record("c1", "payment_failed", OPEN, now=now + timedelta(minutes=2))  # the first complaint stays
    service.record("c1", "recharge_stuck", HANDED_OFF, now=now + timedelta(minutes=3))
    service.record("c1", "recharge_stuck", SOLVED, now=now + timedelta(minutes=9))  # "到了" after the handoff
    row = _row(app, "c1")
    assert row["complaint"] == "recharge_stuck" and row["outcome"] == HANDED_OFF
    assert row["closed_at"] is not None and row["started_at"] is not None
    service.record("c2", "charged_not_received", SOLVED, customer_sub="shop-42", now=now)
    assert _row(app, "c2")["outcome"] == SOLVED
    assert service.latest_for_customer("shop-42") == "c2"
    assert service.latest_for_customer("nobody") is None


def test_presence_online_read_and_typing(app: App) -> None:
    service = app.conversations
    assert service.seen("never-spoke", 10.0, False) is None  # no row is made for a page that never spoke
    service.record("c1", None, OPEN)
    assert service.presence("c1").online is False
    assert service.seen("c1", 100.0, True) is False  # seen; the agent is not typing
    state = service.presence("c1")
    assert state.online and state.typing and state.read_ts == 100.0
    service.seen("c1", 50.0, False)  # an older tab reporting late never moves "read" back
    assert service.presence("c1").read_ts == 100.0 and not service.presence("c1").typing
    service.agent_typing("c1", True)
    assert service.presence("c1").agent_typing
    assert service.seen("c1", None, False) is True  # the page's heartbeat answers that the agent is typing
    service.agent_typing("c1", False)
    assert not service.presence("c1").agent_typing

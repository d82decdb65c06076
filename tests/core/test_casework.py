"""Notes never reach the customer; only the holder transfers or releases, and of two at once exactly one wins."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from topup.app import App
from topup.db.schema import TicketConversationRow, TicketMessageRow
from topup.model import Complaint, StepRecord, TicketStatus
from topup.services.casework import CHANGED, NOT_CLAIMED, TO_SELF, UnknownAgent
from topup.services.console import TicketConflict, TicketNotFound
from topup.services.handoff import HandoffRequest

ORDER = "KM20261127004215"
CONVERSATION = "conv-tools"


def open_ticket(app: App, conversation_id: str = CONVERSATION) -> str:
    return app.handoffs.hand_off(HandoffRequest(
        conversation_id=conversation_id, order_no=ORDER, verified=True, complaint=Complaint.RECHARGE_STUCK,
        customer_description="话费一直没到账", reason="selfhelp_exhausted",
        steps=[StepRecord("refresh_relogin", "not_helped")],
        transcript=[{"role": "customer", "text": "话费一直没到账", "at": "2026-11-28T07:58:00Z"}], claims_debit=True,
    ), now=app.clock.now()).ticket_no


def held_ticket(app: App, agent: str = "xiaowang") -> str:
    ticket_no = open_ticket(app)
    app.console.claim(ticket_no, agent)
    return ticket_no


def lines(app: App, ticket_no: str) -> list[tuple[str, str, str]]:
    with Session(app.engine, future=True) as s:
        rows = s.execute(select(TicketMessageRow).where(TicketMessageRow.ticket_no == ticket_no)
                         .order_by(TicketMessageRow.id)).scalars()
        return [(r.role, r.author, r.text) for r in rows]


# --- notes ----------------------------------------------------------------------------------------------------

def test_a_note_is_never_delivered_to_the_customer(app: App) -> None:
    ticket_no = held_ticket(app)
    app.casework.add_note(ticket_no, "xiaowang", "客户说是给女朋友充的，号码可能填错了")
    assert app.console.take_undelivered(CONVERSATION) == []
    app.console.post_agent_message(ticket_no, "xiaowang", "您好，我是小王，正在为您核实")
    app.casework.add_note(ticket_no, "xiaoli", "供应商那边今天有延迟")
    delivered = app.console.take_undelivered(CONVERSATION)
    assert [(m.role, m.text) for m in delivered] == [("agent", "您好，我是小王，正在为您核实")]
    assert app.console.take_undelivered(CONVERSATION) == []
    # colleagues see both notes, in the case and in the live feed
    roles = [(m.role, m.author) for m in app.console.detail(ticket_no)["messages"]]
    assert roles == [("note", "xiaowang"), ("agent", "xiaowang"), ("note", "xiaoli")]
    assert [m.role for m in app.console.messages_since(0)].count("note") == 2


def test_any_agent_may_note_any_ticket_and_nothing_else_changes(app: App) -> None:
    ticket_no = open_ticket(app)
    before = app.handoffs.get_ticket(ticket_no)
    app.clock.at += timedelta(minutes=3)  # type: ignore[attr-defined]
    note = app.casework.add_note(ticket_no, "xiaoli", "  先别退款，等供应商回复  ")
    assert (note.role, note.author, note.text, note.created_at) == ("note", "xiaoli", "先别退款，等供应商回复",
                                                                    app.clock.now())
    after = app.handoffs.get_ticket(ticket_no)
    assert after.status is TicketStatus.OPEN and after.details["assigned_agent"] is None
    assert after.details["updated_at"] == before.details["updated_at"]  # no re-read in every console
    assert after.details["first_reply_at"] is None  # a note is no reply to the customer
    app.console.resolve(ticket_no, "xiaoli", "已补充值")
    app.casework.add_note(ticket_no, "xiaowang", "复盘：供应商通道当天故障")
    assert lines(app, ticket_no)[-1] == ("note", "xiaowang", "复盘：供应商通道当天故障")


def test_a_card_number_in_a_note_is_masked(app: App) -> None:
    ticket_no = open_ticket(app)
    app.casework.add_note(ticket_no, "xiaowang", "客户发来卡号 6222021234567890123")
    assert "6222021234567890123" not in lines(app, ticket_no)[-1][2]


def test_notes_refused(app: App) -> None:
    with pytest.raises(TicketNotFound):
        app.casework.add_note("TK-nope", "xiaowang", "备注")
    ticket_no = open_ticket(app)
    with pytest.raises(ValueError):
        app.casework.add_note(ticket_no, "xiaowang", "   ")
    assert lines(app, ticket_no) == []


# --- transfer -------------------------------------------------------------------------------------------------

def test_transfer_hands_the_case_to_the_colleague(app: App) -> None:
    ticket_no = held_ticket(app)
    claimed_at = app.handoffs.get_ticket(ticket_no).details["claimed_at"]
    ticket = app.casework.transfer(ticket_no, "xiaowang", "xiaoli")
    assert ticket.status is TicketStatus.IN_PROGRESS and ticket.details["assigned_agent"] == "xiaoli"
    assert ticket.details["claimed_at"] == claimed_at  # the case was first taken then; reports keep that
    assert lines(app, ticket_no)[-1] == ("system", "xiaowang", "小王把工单转给了小李")
    # action_agent_joined reads the holder from here: the customer hears 小李's name
    assert app.console.active_takeover(CONVERSATION).details["assigned_agent"] == "xiaoli"
    with pytest.raises(TicketConflict):
        app.console.post_agent_message(ticket_no, "xiaowang", "我还想回复")
    assert app.console.post_agent_message(ticket_no, "xiaoli", "您好，我是小李").author == "xiaoli"
    # and 小李 may pass it back
    assert app.casework.transfer(ticket_no, "xiaoli", "xiaowang").details["assigned_agent"] == "xiaowang"


@pytest.mark.parametrize(("setup", "agent", "to", "reason"), [
    ("held", "xiaoli", "xiaoli", "claimed by xiaowang"),  # taking it for oneself is no transfer
    ("held", "xiaoli", "xiaowang", "claimed by xiaowang"),  # not the holder
    ("open", "xiaowang", "xiaoli", NOT_CLAIMED),
    ("resolved", "xiaowang", "xiaoli", "already resolved"),
    ("held", "xiaowang", "xiaowang", TO_SELF),
])
def test_transfer_refused_changes_nothing(app: App, setup: str, agent: str, to: str, reason: str) -> None:
    ticket_no = open_ticket(app) if setup == "open" else held_ticket(app)
    if setup == "resolved":
        app.console.resolve(ticket_no, "xiaowang", "已补充值")
    before, said = app.handoffs.get_ticket(ticket_no), lines(app, ticket_no)
    with pytest.raises(TicketConflict) as refused:
        app.casework.transfer(ticket_no, agent, to)
    assert str(refused.value) == reason
    assert app.handoffs.get_ticket(ticket_no) == before and lines(app, ticket_no) == said


def test_transfer_to_an_unknown_account_is_refused(app: App) -> None:
    ticket_no = held_ticket(app)
    for target in ("xiaozhang", "", "XIAOLI"):
        with pytest.raises(UnknownAgent):
            app.casework.transfer(ticket_no, "xiaowang", target)
    assert app.handoffs.get_ticket(ticket_no).details["assigned_agent"] == "xiaowang"
    with pytest.raises(TicketNotFound):
        app.casework.transfer("TK-nope", "xiaowang", "xiaoli")


# --- release --------------------------------------------------------------------------------------------------

def test_release_puts_the_case_back_in_the_queue(app: App) -> None:
    ticket_no = held_ticket(app)
    ticket = app.casework.release(ticket_no, "xiaowang")
    assert ticket.status is TicketStatus.OPEN and ticket.details["assigned_agent"] is None
    assert lines(app, ticket_no)[-1] == ("system", "xiaowang", "小王把工单放回了队列")
    waiting = app.handoffs.list_tickets(["open", "in_progress"])
    assert [t.ticket_no for t in waiting if t.status is TicketStatus.OPEN] == [ticket_no]
    # nobody holds the conversation: the customer's next message is no longer relayed as a takeover
    assert app.console.active_takeover(CONVERSATION) is None
    assert app.console.open_for_conversation(CONVERSATION).ticket_no == ticket_no  # the case is still open
    with pytest.raises(TicketConflict):
        app.console.post_agent_message(ticket_no, "xiaowang", "还在吗")
    with pytest.raises(TicketConflict) as again:
        app.casework.release(ticket_no, "xiaowang")
    assert str(again.value) == NOT_CLAIMED
    # the next agent claims it as any open ticket
    assert app.console.claim(ticket_no, "xiaoli").details["assigned_agent"] == "xiaoli"


def test_only_the_holder_releases(app: App) -> None:
    ticket_no = held_ticket(app)
    with pytest.raises(TicketConflict) as refused:
        app.casework.release(ticket_no, "xiaoli")
    assert str(refused.value) == "claimed by xiaowang"
    assert app.handoffs.get_ticket(ticket_no).details["assigned_agent"] == "xiaowang"


def test_transfer_and_release_at_once_exactly_one_wins(app: App) -> None:
    ticket_no = held_ticket(app)
    barrier = threading.Barrier(8)
    won: list[str] = []
    lost: list[str] = []

    def act(n: int) -> None:
        barrier.wait()
        try:
            if n % 2:
                app.casework.transfer(ticket_no, "xiaowang", "xiaoli")
                won.append("transfer")
            else:
                app.casework.release(ticket_no, "xiaowang")
                won.append("release")
        except TicketConflict as exc:
            lost.append(str(exc))

    threads = [threading.Thread(target=act, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and len(lost) == 7
    assert set(lost) <= {CHANGED, NOT_CLAIMED, "claimed by xiaoli"}
    ticket = app.handoffs.get_ticket(ticket_no)
    expected = ("xiaoli", TicketStatus.IN_PROGRESS) if won == ["transfer"] else (None, TicketStatus.OPEN)
    assert (ticket.details["assigned_agent"], ticket.status) == expected
    assert [line for line in lines(app, ticket_no) if line[0] == "system"] == [
        ("system", "xiaowang", "小王把工单转给了小李" if won == ["transfer"] else "小王把工单放回了队列")]


# --- colleagues and conversations ------------------------------------------------------------------------------

def test_agent_list_says_who_is_online(app: App) -> None:
    app.console.touch_presence("xiaoli")
    listed = app.casework.agent_list()
    assert [(a.username, a.display_name, a.online) for a in listed] == [("xiaoli", "小李", True),
                                                                        ("xiaowang", "小王", False)]
    assert not any(a.online for a in app.casework.agent_list(now=app.clock.now() + timedelta(minutes=2)))


def test_conversations_of_a_case_own_first(app: App) -> None:
    ticket_no = open_ticket(app)
    with Session(app.engine, future=True) as s:
        s.add(TicketConversationRow(ticket_no=ticket_no, conversation_id="conv-phone", joined_at=app.clock.now(),
                                    transcript=[]))
        s.commit()
    assert app.casework.conversations(ticket_no)[0] == CONVERSATION
    assert "conv-phone" in app.casework.conversations(ticket_no)
    with pytest.raises(TicketNotFound):
        app.casework.conversations("TK-nope")

"""TOPUP_PLATFORM_TICKETS_URL: a handoff of a member's acg-faka order also opens a ticket in acg-faka's own table;
a guest order stays in the console only; the platform's table down loses nothing of ours."""

from __future__ import annotations

from pathlib import Path

from tests.appkit import make_app
from tests.platforms.test_platform_demo import _connect
from topup.model import Complaint
from topup.services.handoff import HandoffRequest


def _request(sender: str, order_no: str) -> HandoffRequest:
    return HandoffRequest(conversation_id=sender, order_no=order_no, verified=True, complaint=Complaint.RECHARGE_STUCK,
                          customer_description="卡密一直没收到", reason="selfhelp_exhausted")


def _platform_tickets(database: str, order_no: str) -> list[tuple]:
    conn = _connect(database)
    try:
        with conn.cursor() as cursor:
            cursor.execute("SELECT t.ticket_no, t.user_id, t.status, t.title, m.sender_type, m.content "
                           "FROM acg_ticket t JOIN acg_ticket_message m ON m.ticket_id = t.id "
                           "WHERE t.order_trade_no = %s AND m.sender_type = 2", (order_no,))
            return list(cursor.fetchall())
    finally:
        conn.close()


def test_a_members_order_opens_a_platform_ticket_a_guests_does_not(tmp_path: Path, acgfaka_db) -> None:  # noqa: ANN001
    url, numbers = acgfaka_db
    database = url.rsplit("/", 1)[1]
    app = make_app(tmp_path, TOPUP_ORDER_SOURCE="acgfaka", TOPUP_ORDER_SOURCE_URL=url, TOPUP_PLATFORM_TICKETS_URL=url)
    try:
        ours = app.handoffs.hand_off(_request("acg-member", numbers["member"]))
        rows = _platform_tickets(database, numbers["member"])
        assert len(rows) == 1
        ticket_no, user_id, status, title, sender_type, content = rows[0]
        assert user_id == 1000 and status == 0 and sender_type == 2 and numbers["member"] in title
        assert ticket_no.startswith("TK") and len(ticket_no) == 22
        assert ours.ticket_no in content and "卡密一直没收到" in content
        view = app.console.detail(ours.ticket_no)
        assert ticket_no in str(view)  # the agent sees the platform's ticket number
        app.handoffs.hand_off(_request("acg-member", numbers["member"]))  # the same case again: no second one
        assert len(_platform_tickets(database, numbers["member"])) == 1

        app.handoffs.hand_off(_request("acg-guest", numbers["overdue"]))
        assert _platform_tickets(database, numbers["overdue"]) == []  # a guest order: ours only
    finally:
        app.close()


def test_the_platforms_ticket_table_down_keeps_our_ticket(tmp_path: Path, acgfaka_db) -> None:  # noqa: ANN001
    url, numbers = acgfaka_db
    app = make_app(tmp_path, TOPUP_ORDER_SOURCE="acgfaka", TOPUP_ORDER_SOURCE_URL=url,
                   TOPUP_PLATFORM_TICKETS_URL="mysql+pymysql://root@127.0.0.1:1/acg")
    try:
        ours = app.handoffs.hand_off(_request("acg-member-down", numbers["member"]))
        assert ours.created and ours.ticket_no.startswith("TK")
    finally:
        app.close()

"""The queue on a busy day (topup/services/queue.py): tabs, search by each key, filters, sort, pages, counts, and
the live feed's pulse, on the application's SQLite database at a fixed clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from core_factories import NOW
from sqlalchemy import update
from sqlalchemy.engine import Engine

from ops.bench.queue import PRODUCTS, add_tickets, ticket_row
from topup.app import App
from topup.db.engine import unit_of_work
from topup.db.schema import TicketMessageRow, TicketRow
from topup.services.queue import BadQuery, QueueQuery, QueueService

Add = Callable[..., str]


@pytest.fixture
def queue(app: App) -> QueueService:
    return QueueService(app.engine, app.clock, page_size=5)


@pytest.fixture
def add(engine: Engine) -> Add:
    """add(order_no, minutes_ago, **fields) -> the new ticket's number (numbered as HandoffService numbers)."""

    def _add(order_no: str | None = "KM20261128000001", minutes_ago: float = 5, **fields: object) -> str:
        resolved = fields.pop("resolved_minutes_ago", None)
        if resolved is not None:
            fields.setdefault("status", "resolved")
            fields["resolved_at"] = NOW - timedelta(minutes=resolved)
        return add_tickets(engine, [ticket_row(order_no, NOW - timedelta(minutes=minutes_ago), **fields)])[0]

    return _add


def numbers(queue: QueueService, agent: str = "xiaowang", **query: object) -> list[str]:
    return [i.ticket_no for i in queue.page(QueueQuery(**query), agent).items]


def test_each_tab_lists_its_tickets_with_counts(queue: QueueService, add: Add) -> None:
    waiting = add("KM20261128000001", 12)
    mine = add("KM20261128000002", 30, status="in_progress", agent="xiaowang")
    theirs = add("KM20261128000003", 40, status="in_progress", agent="xiaoli")
    done = add("KM20261128000004", 90, resolved_minutes_ago=10, agent="xiaoli")

    assert numbers(queue) == [waiting]
    assert numbers(queue, tab="mine") == [mine]
    assert numbers(queue, tab="mine", agent="xiaoli") == [theirs]
    assert numbers(queue, tab="in_progress") == [theirs, mine]  # the longest waiting first
    assert numbers(queue, tab="resolved") == [done]  # resolved tickets no longer vanish
    page = queue.page(QueueQuery(), "xiaowang")
    assert page.counts == {"open": 1, "mine": 1, "in_progress": 2, "resolved": 1}
    assert queue.page(QueueQuery(), "xiaoli").counts["mine"] == 1
    assert queue.page(QueueQuery(), "nobody").counts["mine"] == 0


def test_high_priority_first_then_the_longest_waiting(queue: QueueService, add: Add) -> None:
    new_normal = add("KM20261128000011", 2)
    old_normal = add("KM20261128000012", 50)
    new_high = add("KM20261128000013", 1, priority="high")
    old_high = add("KM20261128000014", 20, priority="high")
    assert numbers(queue) == [old_high, new_high, old_normal, new_normal]


def test_resolved_newest_resolution_first(queue: QueueService, add: Add) -> None:
    early = add("KM20261128000021", 300, resolved_minutes_ago=200)
    late = add("KM20261128000022", 400, resolved_minutes_ago=5)  # created earlier, resolved later
    middle = add("KM20261128000023", 100, resolved_minutes_ago=60, priority="high")  # priority does not matter here
    assert numbers(queue, tab="resolved") == [late, middle, early]


def test_search_by_ticket_number_whole_or_part_in_any_case(queue: QueueService, add: Add) -> None:
    target = add("KM20261128000031")
    add("KM20261128000032")
    assert numbers(queue, q=target) == [target]
    assert numbers(queue, q=target.lower()) == [target]
    assert numbers(queue, q=f"  {target[-6:]} ") == [target]  # the tail of the number, with stray spaces


def test_search_by_order_number_of_any_platform(queue: QueueService, add: Add) -> None:
    km = add("KM20261127004215")
    dujiaoka = add("P2J4K8ZQ1M3X5C7V")  # another platform's number: letters and digits
    add("KM20261128009999")
    assert numbers(queue, q="KM20261127004215") == [km]
    assert numbers(queue, q="km2026-1127-004215") == [km]  # lower case, grouped with dashes
    assert numbers(queue, q="ＫＭ２０２６１１２７００４２１５") == [km]  # full width, as a Chinese keyboard types it
    assert numbers(queue, q="20261127004215") == [km]  # the digits alone
    assert numbers(queue, q="p2j4k8") == [dujiaoka]
    assert numbers(queue, q="%") == [] and numbers(queue, q="_") == []  # LIKE's wildcards are only characters


def test_search_by_phone_tail(queue: QueueService, add: Add) -> None:
    owner = add("KM20261128000041", tail="3821")
    other = add("KM20261128000042", tail="5566")
    ends_in_it = add("KM20261128003821", tail="0000")  # the order number contains the digits: also found
    add("KM20261128000043", tail=None)  # not verified: no snapshot, so no tail to find it by
    assert set(numbers(queue, q="3821")) == {owner, ends_in_it}
    assert numbers(queue, q="5566") == [other]
    assert numbers(queue, q="7777") == []


def test_search_spans_tabs_through_the_counts(queue: QueueService, add: Add) -> None:
    """An agent searching in 待接手 for a ticket that was resolved sees where it is."""
    add("KM20261128000051", 60, resolved_minutes_ago=30)
    page = queue.page(QueueQuery(q="KM20261128000051"), "xiaowang")
    assert page.items == [] and page.total == 0
    assert page.counts == {"open": 0, "mine": 0, "in_progress": 0, "resolved": 1}


def test_filters_priority_complaint_and_waiting_time(queue: QueueService, add: Add) -> None:
    high_stuck_old = add("KM20261128000061", 45, priority="high")
    high_refund = add("KM20261128000062", 45, priority="high", complaint="refund_request")
    normal_stuck_new = add("KM20261128000063", 5)
    normal_stuck_3h = add("KM20261128000064", 180)
    assert numbers(queue, priority="high") == [high_stuck_old, high_refund]
    assert numbers(queue, complaint="refund_request") == [high_refund]
    assert numbers(queue, priority="normal", complaint="recharge_stuck") == [normal_stuck_3h, normal_stuck_new]
    assert numbers(queue, age="10m") == [high_stuck_old, high_refund, normal_stuck_3h]
    assert numbers(queue, age="30m", complaint="recharge_stuck") == [high_stuck_old, normal_stuck_3h]
    assert numbers(queue, age="2h") == [normal_stuck_3h]
    assert queue.page(QueueQuery(priority="high"), "xiaowang").counts["open"] == 2


def test_resolved_today_and_last_seven_days(queue: QueueService, add: Add) -> None:
    # NOW is 08:00 UTC = 16:00 in Shanghai: the platform's "today" began 16 hours ago (16:00 UTC the day before).
    today = add("KM20261128000071", 600, resolved_minutes_ago=7 * 60)
    early_today = add("KM20261128000074", 1000, resolved_minutes_ago=15 * 60)  # 01:00 in Shanghai, yesterday in UTC
    yesterday = add("KM20261128000072", 1200, resolved_minutes_ago=17 * 60)
    last_month = add("KM20261128000073", 60 * 24 * 30, resolved_minutes_ago=60 * 24 * 20)
    assert numbers(queue, tab="resolved", age="today") == [today, early_today]
    assert numbers(queue, tab="resolved", age="7d") == [today, early_today, yesterday]
    assert numbers(queue, tab="resolved") == [today, early_today, yesterday, last_month]
    counts = queue.page(QueueQuery(tab="resolved", age="today"), "xiaowang").counts
    assert counts["resolved"] == 2


def test_pages_of_a_long_queue(queue: QueueService, add: Add) -> None:
    made = [add(f"KM20261128{i:06d}", 100 - i) for i in range(12)]  # oldest first
    first, second, third = (queue.page(QueueQuery(page=p), "xiaowang") for p in (1, 2, 3))
    assert [i.ticket_no for i in first.items + second.items + third.items] == made
    assert (first.first, first.last, first.total, first.pages) == (1, 5, 12, 3)
    assert (third.first, third.last, len(third.items)) == (11, 12, 2)
    beyond = queue.page(QueueQuery(page=9), "xiaowang")  # the queue shrank under the agent: the last page
    assert beyond.page == 3 and [i.ticket_no for i in beyond.items] == made[10:]
    empty = queue.page(QueueQuery(tab="resolved"), "xiaowang")
    assert (empty.page, empty.pages, empty.first, empty.last, empty.items) == (1, 1, 0, 0, [])


def test_a_busy_day_of_fifty_tickets_rows_tell_apart(app: App, add: Add) -> None:
    """Fifty stuck phone top-ups look alike; two of them differ on the row in number, order, tail, amount, wait."""
    queue = QueueService(app.engine, app.clock)
    for i in range(48):
        add(f"KM20261128{i:06d}", 5 + i, tail=f"{1000 + i}")
    a = add("KM20261128100001", 70, tail="3821", product=PRODUCTS[0])
    b = add("KM20261128100002", 8, tail="5566", product=PRODUCTS[3], priority="high")
    page = queue.page(QueueQuery(), "xiaowang")
    assert page.total == 50 and len(page.items) == 50
    rows = {i.ticket_no: i for i in page.items}
    first, second = rows[a], rows[b]
    assert page.items[0].ticket_no == b  # high first
    assert (first.order_no, first.phone_tail, first.amount_cents) == ("KM20261128100001", "3821", 10000)
    assert (second.order_no, second.phone_tail, second.amount_cents) == ("KM20261128100002", "5566", 3000)
    assert first.summary != second.summary and "网易一卡通" in second.summary
    keys = {(i.ticket_no, i.order_no, i.phone_tail, i.created_at) for i in page.items}
    assert len(keys) == 50  # no two rows the same


def test_rows_never_carry_the_transcript_and_say_who_waits_for_a_reply(queue: QueueService, add: Add,
                                                                        engine: Engine) -> None:
    asked = add("KM20261128000081", 30, status="in_progress", agent="xiaowang")
    answered = add("KM20261128000082", 30, status="in_progress", agent="xiaowang")
    with unit_of_work(engine) as session:
        for no, roles in ((asked, ("agent", "customer", "system")), (answered, ("customer", "agent"))):
            for i, role in enumerate(roles):
                session.add(TicketMessageRow(ticket_no=no, conversation_id="c", role=role, author="", text="…",
                                             delivered=True, created_at=NOW + timedelta(seconds=i)))
    rows = {i.ticket_no: i for i in queue.page(QueueQuery(tab="mine"), "xiaowang").items}
    assert rows[asked].awaiting_reply and not rows[answered].awaiting_reply
    assert not hasattr(rows[asked], "transcript")
    assert rows[asked].customer_words == "话费一直显示正在充值，钱都扣了"


def test_the_current_ticket_mark_comes_with_any_page(queue: QueueService, add: Add, engine: Engine) -> None:
    current = add("KM20261128000091", 30, status="in_progress", agent="xiaowang")
    mark = queue.page(QueueQuery(tab="resolved"), "xiaowang", current=current).current
    assert mark is not None and (mark.status, mark.assigned_agent) == ("in_progress", "xiaowang")
    later = NOW + timedelta(minutes=1)
    with unit_of_work(engine) as session:
        session.execute(update(TicketRow).where(TicketRow.ticket_no == current).values(updated_at=later))
    assert queue.page(QueueQuery(), "xiaowang", current=current).current.updated_at == later
    assert queue.page(QueueQuery(), "xiaowang", current="TK00000000000000").current is None


@pytest.mark.parametrize("query, field", [
    (QueueQuery(tab="all"), "tab"), (QueueQuery(q="K" * 65), "q"), (QueueQuery(priority="urgent"), "priority"),
    (QueueQuery(complaint="angry"), "complaint"), (QueueQuery(age="today"), "age"),
    (QueueQuery(tab="resolved", age="30m"), "age"), (QueueQuery(page=0), "page"),
])
def test_a_wrong_query_names_what_is_wrong(queue: QueueService, query: QueueQuery, field: str) -> None:
    with pytest.raises(BadQuery) as raised:
        queue.page(query, "xiaowang")
    assert raised.value.field == field


def test_the_pulse_changes_with_the_queue_and_only_then(app: App, add: Add, engine: Engine) -> None:
    queue = QueueService(app.engine, app.clock)
    empty = queue.pulse()
    assert (empty.open_count, empty.newest_open) == (0, None)
    first = add("KM20261128000101", 20)
    one = queue.pulse(empty)
    assert one.version != empty.version and one.open_count == 1 and one.newest_open.ticket_no == first
    assert queue.pulse(one) is one  # nothing changed: the same pulse, the resolved count not read again

    newest = add("KM20261128000102", 1, priority="high")
    two = queue.pulse(one)
    assert (two.open_count, two.newest_open.ticket_no, two.newest_open.priority) == (2, newest, "high")

    def change(**values: object) -> None:
        with unit_of_work(engine) as session:
            session.execute(update(TicketRow).where(TicketRow.ticket_no == first).values(**values))

    change(status="in_progress", assigned_agent="xiaoli", updated_at=NOW)  # claimed
    claimed = queue.pulse(two)
    assert claimed.version != two.version
    assert claimed.counts_for("xiaoli") == {"open": 1, "mine": 1, "in_progress": 1, "resolved": 0}
    assert claimed.counts_for("xiaowang")["mine"] == 0
    change(updated_at=NOW + timedelta(seconds=5))  # a customer's note on the held ticket
    noted = queue.pulse(claimed)
    assert noted.version != claimed.version
    change(status="resolved", resolved_at=NOW + timedelta(minutes=2), updated_at=NOW + timedelta(minutes=2))
    done = queue.pulse(noted)
    assert (done.in_progress, done.resolved, done.version != noted.version) == (0, 1, True)


def test_a_ticket_without_snapshot_or_with_an_odd_one_still_lists(queue: QueueService, add: Add,
                                                                  engine: Engine) -> None:
    bare = add(None, 10, tail=None)
    odd = add("KM20261128000111", 5)
    with unit_of_work(engine) as session:
        session.execute(update(TicketRow).where(TicketRow.ticket_no == odd).values(order_snapshot={"x": 1}))
    rows = {i.ticket_no: i for i in queue.page(QueueQuery(), "xiaowang").items}
    assert rows[bare].order_no is None and rows[bare].amount_cents is None and "未提供订单号" in rows[bare].summary
    assert rows[odd].summary == "" and rows[odd].phone_tail is None

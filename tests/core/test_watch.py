"""Watching orders for the customer: each change told once (two watchers polling at once included), nothing asked
of the platform when nothing is watched, a change that could not be told is told on the next poll."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from tests.appkit import make_app
from topup.clock import FixedClock
from topup.model import OrderStatus
from topup.services.watch import WatchService


class Source:
    def __init__(self) -> None:
        self.now: dict[str, OrderStatus] = {}
        self.asked = 0

    def statuses(self, order_nos):  # noqa: ANN001, ANN201
        self.asked += 1
        return {n: self.now[n] for n in order_nos if n in self.now}


def _setup(tmp_path: Path) -> tuple[WatchService, WatchService, Source, FixedClock]:
    clock = FixedClock(datetime(2026, 12, 7, 8, 0))
    app = make_app(tmp_path, clock=clock)
    source = Source()
    return WatchService(app.engine, clock, source, 24), WatchService(app.engine, clock, source, 24), source, clock


def test_a_change_is_told_once_even_with_two_watchers(tmp_path: Path) -> None:
    one, two, source, _ = _setup(tmp_path)
    assert one.changes() == [] and source.asked == 0  # nothing watched: the platform is not asked
    one.watch("c1", "A1", "processing")
    one.watch("c2", "A1", "processing")  # the same order in two conversations: both are told
    source.now["A1"] = OrderStatus.PROCESSING
    assert one.changes() == []
    source.now["A1"] = OrderStatus.DELIVERED
    told = one.changes() + two.changes()
    assert sorted(c.conversation_id for c in told) == ["c1", "c2"] and {c.now for c in told} == {"delivered"}
    assert one.changes() == [] and two.changes() == []  # late polls: nothing again


def test_a_status_the_customer_need_not_hear_is_followed_silently(tmp_path: Path) -> None:
    one, _, source, _ = _setup(tmp_path)
    one.watch("c1", "A1", "unpaid")
    source.now["A1"] = OrderStatus.PROCESSING  # paid: the customer knows, nothing to tell
    assert one.changes() == []
    source.now["A1"] = OrderStatus.DELIVERED
    assert [c.before for c in one.changes()] == ["processing"]


def test_a_change_not_told_is_told_next_time(tmp_path: Path) -> None:
    one, _, source, _ = _setup(tmp_path)
    one.watch("c1", "A1", "processing")
    source.now["A1"] = OrderStatus.DELIVERED
    (change,) = one.changes()
    one.release(change)  # Rasa was down
    assert [c.now for c in one.changes()] == ["delivered"]


def test_the_watch_ends_and_old_rows_go(tmp_path: Path) -> None:
    one, _, source, clock = _setup(tmp_path)
    one.watch("c1", "A1", "processing")
    clock.at += timedelta(hours=25)
    source.now["A1"] = OrderStatus.DELIVERED
    assert one.changes() == [] and source.asked == 0
    assert one.forget_expired() == 0  # kept a day past its watch
    clock.at += timedelta(days=1)
    assert one.forget_expired() == 1

"""The handoff outbox (topup.services.outbox): files on disk while the database is down, one ticket each once back.

Also the action's side: ActionHandoff queues the handoff when the database is unreachable.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from unittest.mock import Mock

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from tests.actions.helpers import user_event
from tests.appkit import rebuilt
from topup.app import App
from topup.db.engine import unit_of_work
from topup.db.schema import TicketRow
from topup.dialogue.model import Case
from topup.dialogue.ports import Handoff
from topup.dialogue.service_ports import ServicePorts
from topup.model import Complaint, StepRecord
from topup.services import outbox
from topup.services.handoff import HandoffRequest, HandoffService
from topup.services.outbox import Outbox

BASE = HandoffRequest("conv-1", "KM20261127004215", True, Complaint.CHARGED_NOT_RECEIVED, "充了100元话费没到账",
                      "customer_request", [StepRecord("restart_phone", "not_helped")],
                      [{"sender": "user", "text": "还没到账"}], claims_debit=True, frustration=1)


def request(**changes: object) -> HandoffRequest:
    return replace(BASE, **changes)


@pytest.fixture
def box(app: App) -> Outbox:
    """The application's outbox: its folder (TOPUP_OUTBOX_DIR) under tmp_path, delivering to the app's database."""
    return app.outbox


@pytest.fixture
def spool(box: Outbox, tmp_path: Path) -> Path:
    assert box.directory == tmp_path / "outbox"  # not made until something is queued
    return box.directory


def ticket_count(engine: Engine) -> int:
    with unit_of_work(engine) as session:
        return session.execute(select(func.count()).select_from(TicketRow)).scalar_one()


# --- enqueue ---------------------------------------------------------------------------------------------------


def test_one_file_per_conversation_and_order_holding_the_latest_request(
    box: Outbox, spool: Path, now: datetime
) -> None:
    first = box.enqueue(request(), now=now)
    again = box.enqueue(request(customer_description="又说了一遍"), now=now + timedelta(minutes=1))
    assert first == again and box.pending() == [first]
    decoded, requested_at = outbox._decode(json.loads(again.read_text(encoding="utf-8")))
    assert (decoded, requested_at) == (request(customer_description="又说了一遍"), now + timedelta(minutes=1))
    box.enqueue(request(order_no="KM20261127009999"), now=now)
    box.enqueue(request(conversation_id="conv-2"), now=now)
    box.enqueue(request(order_no=None), now=now)
    assert len(box.pending()) == 4
    assert sorted(p.name for p in spool.iterdir()) == sorted(p.name for p in box.pending())  # no leftovers


def test_a_write_in_progress_is_never_listed(box: Outbox, now: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    seen_mid_write: list[list[Path]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:  # the temporary file is complete on disk here, not yet renamed
        seen_mid_write.append(box.pending())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    box.enqueue(request(), now=now)
    assert seen_mid_write == [[]]


def test_a_failed_write_leaves_the_previous_file_intact_and_no_debris(
    box: Outbox, spool: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = box.enqueue(request(), now=now)
    before = path.read_bytes()

    monkeypatch.setattr(os, "fsync", Mock(side_effect=OSError(28, "No space left on device")))
    with pytest.raises(OSError):
        box.enqueue(request(customer_description="新的描述"), now=now)
    assert path.read_bytes() == before
    assert list(spool.iterdir()) == [path]


def test_readers_only_ever_see_whole_files(box: Outbox, spool: Path, now: datetime) -> None:
    big = [{"sender": "user", "text": "很长的一句话" * 50}] * 200  # ~100 KB a file: many writes per file
    stop, problems, reads = threading.Event(), [], [0]

    def reader() -> None:
        while not stop.is_set():
            for path in box.pending() if spool.exists() else []:
                try:
                    outbox._decode(json.loads(path.read_text(encoding="utf-8")))
                    reads[0] += 1
                except FileNotFoundError:
                    pass
                except Exception as error:  # noqa: BLE001 - a partial file shows up here
                    problems.append(repr(error))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for i in range(40):
            box.enqueue(request(transcript=big, frustration=i), now=now)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert problems == []
    assert reads[0] > 0


# --- flush -----------------------------------------------------------------------------------------------------


@pytest.fixture(params=["postgres_closed_port", "sqlite_under_a_file"])
def down(request: pytest.FixtureRequest, tmp_path: Path) -> Engine:
    """An engine for a database that cannot be reached (OperationalError on connect)."""
    if request.param == "postgres_closed_port":
        engine = create_engine("postgresql+psycopg2://nobody@127.0.0.1:1/nodb?connect_timeout=2", future=True)
    else:
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("x")
        engine = create_engine(f"sqlite:///{blocker}/x.db", future=True)
    with pytest.raises(OperationalError):
        engine.connect().close()
    return engine


def test_flush_with_the_database_down_keeps_every_file(
    app: App, spool: Path, now: datetime, down: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    handoffs = HandoffService(down, app.clock)
    box = Outbox(spool, handoffs)
    paths = [box.enqueue(request(conversation_id=f"conv-{i}", verified=False), now=now) for i in range(3)]
    contents = [p.read_bytes() for p in paths]
    calls: list[str] = []
    real = handoffs.hand_off
    monkeypatch.setattr(handoffs, "hand_off", lambda r, **kw: calls.append(r.conversation_id) or real(r, **kw))

    result = box.flush()

    assert result == outbox.FlushResult(delivered=[], pending=3)
    assert len(calls) == 1  # stops at the first sign the database is still down
    assert [p.read_bytes() for p in paths] == contents


def test_flush_when_back_makes_one_ticket_per_file(
    app: App, box: Outbox, spool: Path, engine: Engine, now: datetime
) -> None:
    asked = {f"conv-{i}": now - timedelta(minutes=10 - i) for i in range(3)}
    for conversation, at in asked.items():  # unverified: three cases (a verified one would join the first)
        box.enqueue(request(conversation_id=conversation, verified=False), now=at)

    result = box.flush()

    assert len(result.delivered) == 3 and result.pending == 0
    assert box.pending() == [] and list(spool.iterdir()) == []
    tickets = {t.conversation_id: t for t in app.handoffs.list_tickets()}
    assert sorted(tickets) == sorted(asked)
    for conversation, ticket in tickets.items():
        assert ticket.created_at == asked[conversation]  # when the customer asked, not when it was delivered
        assert ticket.ticket_no in result.delivered
        assert ticket.ticket_no.startswith(f"TK{asked[conversation]:%Y%m%d}")
        assert ticket.order_no == "KM20261127004215"
    assert box.flush() == outbox.FlushResult([], 0)
    assert ticket_count(engine) == 3


def test_a_file_for_a_ticket_that_already_exists_makes_no_second_one(
    app: App, box: Outbox, engine: Engine, now: datetime
) -> None:
    existing = app.handoffs.hand_off(request(), now=now)
    box.enqueue(request(), now=now + timedelta(minutes=1))
    assert box.flush().delivered == [existing.ticket_no]
    assert ticket_count(engine) == 1


def _flush_together(app: App, flushers: int) -> tuple[list[str], list[str]]:
    """`flushers` action servers of one machine: each its own outbox on the same folder and database."""
    start, errors, delivered = threading.Barrier(flushers), [], []

    def flusher() -> None:
        start.wait()
        try:
            server = Outbox(app.outbox.directory, HandoffService(app.engine, app.clock))
            delivered.extend(server.flush().delivered)
        except Exception as error:  # noqa: BLE001 - reported by the caller
            errors.append(repr(error))

    threads = [threading.Thread(target=flusher) for _ in range(flushers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return delivered, errors


def test_flushers_racing_still_make_one_ticket_each(app: App, box: Outbox, engine: Engine, now: datetime) -> None:
    for round_ in range(4):
        for i in range(16):
            box.enqueue(request(conversation_id=f"conv-{round_}-{i}", verified=False), now=now)
        delivered, errors = _flush_together(app, flushers=4)
        assert errors == []
        assert box.pending() == []
        assert ticket_count(engine) == 16 * (round_ + 1)
        assert len(set(delivered)) == 16  # a file delivered twice names the same ticket


def test_a_file_another_flusher_takes_while_listing_is_skipped(
    box: Outbox, spool: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [box.enqueue(request(conversation_id=f"conv-{i}", verified=False), now=now) for i in range(3)]
    real_glob = type(spool).glob

    def glob(self: Path, pattern: str) -> Iterator[Path]:  # listed, then delivered by someone else before stat()
        found = list(real_glob(self, pattern))
        paths[1].unlink(missing_ok=True)
        return iter(found)

    monkeypatch.setattr(type(spool), "glob", glob)
    assert box.pending() == [paths[0], paths[2]]


def test_a_corrupt_file_another_flusher_put_aside_first_is_skipped(
    box: Outbox, spool: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool.mkdir()
    garbage = spool / "handoff-0000garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    real_read = type(spool).read_text

    def read_text(self: Path, *args: object, **kwargs: object) -> str:
        text = real_read(self, *args, **kwargs)
        if self == garbage and garbage.exists():
            garbage.rename(garbage.with_suffix(".bad"))  # the other flusher read it too, and was quicker
        return text

    monkeypatch.setattr(type(spool), "read_text", read_text)
    assert box.flush() == outbox.FlushResult([], 0)
    assert [p.name for p in spool.iterdir()] == ["handoff-0000garbage.bad"]


def test_a_corrupt_file_is_put_aside_and_does_not_block_the_others(
    box: Outbox, spool: Path, engine: Engine, now: datetime
) -> None:
    good = [box.enqueue(request(conversation_id=f"conv-{i}", verified=False), now=now) for i in range(2)]
    garbage = spool / "handoff-0000garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    incomplete = spool / "handoff-0000incomplete.json"
    incomplete.write_text(json.dumps({"requested_at": now.isoformat()}), encoding="utf-8")
    os.utime(garbage, (0, 0))  # oldest: read first
    os.utime(incomplete, (1, 1))

    result = box.flush()

    assert len(result.delivered) == 2 and result.pending == 0
    assert ticket_count(engine) == 2
    assert not any(p.exists() for p in good)
    assert sorted(p.name for p in spool.iterdir()) == ["handoff-0000garbage.bad", "handoff-0000incomplete.bad"]
    assert (spool / "handoff-0000garbage.bad").read_text(encoding="utf-8") == "{not json"


# --- the conversation's handoff with the database down ------------------------------------------------------------


def _handoff(app: App) -> Handoff:
    """The conversation engine's handoff (its port on the services), for a verified order."""
    case = Case(order_no="KM20261127004215", verified=True, complaint="recharge_stuck")
    events = [user_event("充了话费没到账", intent="recharge_stuck"), user_event("转人工", intent="request_human")]
    return ServicePorts(app, "conv-db-down", {}, events).hand_off(case, "customer_request")


def _database_down(*_args: object, **_kwargs: object) -> None:
    raise OperationalError("SELECT 1", {}, ConnectionRefusedError())


def test_handoff_with_the_database_down_is_queued(app: App, box: Outbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.handoffs, "hand_off", _database_down)
    assert _handoff(app).status == "queued"
    [path] = box.pending()
    queued, _ = outbox._decode(json.loads(path.read_text(encoding="utf-8")))
    assert (queued.conversation_id, queued.order_no, queued.verified) == ("conv-db-down", "KM20261127004215", True)
    assert queued.complaint is Complaint.RECHARGE_STUCK
    assert [line["text"] for line in queued.transcript] == ["充了话费没到账", "转人工"]


def test_handoff_that_cannot_be_queued_either_says_it_failed(
    app: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    blocked = rebuilt(app, TOPUP_OUTBOX_DIR=str(blocker / "outbox"))  # mkdir fails: OSError
    monkeypatch.setattr(blocked.handoffs, "hand_off", _database_down)
    assert _handoff(blocked).status == "failed"


def test_an_old_queued_file_without_the_newer_fields_is_still_delivered(app: App, box: Outbox) -> None:
    request = HandoffRequest("conv-old", None, False, Complaint.RECHARGE_STUCK, "没到账", "customer_request")
    path = box.enqueue(request)
    body = json.loads(path.read_text(encoding="utf-8"))
    for newer in ("complained", "angry"):
        del body["request"][newer]
    path.write_text(json.dumps(body), encoding="utf-8")
    assert len(box.flush().delivered) == 1

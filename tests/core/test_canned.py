"""Canned replies: what agents may save, shortcuts unique (also when two agents save at once), seeding only a
fresh list."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from topup.app import App
from topup.clock import FixedClock
from topup.db.schema import CannedReplyRow
from topup.demo import load_demo
from topup.services.canned import CannedInvalid, CannedNotFound, CannedService, clean


def test_create_list_update_delete(app: App) -> None:
    wait = app.canned.create("稍等核实", "您好，正在为您核实订单 {订单号}，请稍等。", "wait", "xiaowang")
    app.canned.create("结束语", "还有其他需要帮忙的吗？", "", "xiaoli")
    app.canned.create("别重复付款", "请先不要重复付款。", "nopay", "xiaoli")
    listed = app.canned.list()
    # the typed ones first, by shortcut; then the rest
    assert [(r.title, r.shortcut) for r in listed] == [("别重复付款", "nopay"), ("稍等核实", "wait"), ("结束语", "")]
    assert listed[1].updated_by == "xiaowang" and listed[1].text.endswith("请稍等。")

    app.clock.at += timedelta(minutes=5)  # type: ignore[attr-defined]
    changed = app.canned.update(wait.id, "稍等", "马上为您查", "/Wait1", "xiaoli")
    assert (changed.title, changed.text, changed.shortcut) == ("稍等", "马上为您查", "wait1")
    assert changed.updated_by == "xiaoli"
    assert changed.updated_at == wait.updated_at + timedelta(minutes=5)
    assert app.canned.get(wait.id) == changed

    app.canned.delete(wait.id)
    assert [r.shortcut for r in app.canned.list()] == ["nopay", ""]
    with pytest.raises(CannedNotFound):
        app.canned.delete(wait.id)
    with pytest.raises(CannedNotFound):
        app.canned.update(wait.id, "稍等", "马上为您查", "", "xiaoli")


@pytest.mark.parametrize(("title", "text", "shortcut", "code"), [
    ("", "内容", "", "title_empty"),
    ("   ", "内容", "", "title_empty"),
    (None, "内容", "", "title_empty"),
    ("标" * 65, "内容", "", "title_too_long"),
    ("标题", "", "", "text_empty"),
    ("标题", " \n ", "", "text_empty"),
    ("标题", "字" * 2001, "", "text_too_long"),
    ("标题", "内容", "等一下", "shortcut_invalid"),
    ("标题", "内容", "wait now", "shortcut_invalid"),
    ("标题", "内容", "wait-1", "shortcut_invalid"),
    ("标题", "内容", "a" * 33, "shortcut_too_long"),
    ("标题", "内容", 12, "shortcut_invalid"),
])
def test_refused_replies_are_not_saved(app: App, title: object, text: object, shortcut: object, code: str) -> None:
    with pytest.raises(CannedInvalid) as refused:
        app.canned.create(title, text, shortcut, "xiaowang")
    assert refused.value.code == code
    assert app.canned.list() == []


def test_the_limits_themselves_are_accepted() -> None:
    assert clean("标" * 64, "字" * 2000, "a" * 32) == ("标" * 64, "字" * 2000, "a" * 32)
    assert clean(" 标题 ", " 内容 ", " /TK ") == ("标题", "内容", "tk")
    assert clean("标题", "内容", None)[2] is None
    assert clean("标题", "内容", "  ")[2] is None


def test_a_duplicate_shortcut_is_refused_and_nothing_changes(app: App) -> None:
    first = app.canned.create("稍等核实", "正在核实", "wait", "xiaowang")
    other = app.canned.create("退款说明", "原路退回", "refund", "xiaowang")
    with pytest.raises(CannedInvalid) as refused:
        app.canned.create("另一个稍等", "马上", "WAIT", "xiaoli")
    assert refused.value.code == "shortcut_taken" and refused.value.field == "shortcut"
    with pytest.raises(CannedInvalid):
        app.canned.update(other.id, "退款说明", "原路退回", "wait", "xiaoli")
    assert app.canned.get(other.id).shortcut == "refund"
    # keeping its own shortcut is not a duplicate; many replies may have none
    assert app.canned.update(first.id, "稍等核实", "正在核实，请稍等", "wait", "xiaoli").shortcut == "wait"
    app.canned.create("一", "甲", "", "xiaoli")
    app.canned.create("二", "乙", None, "xiaoli")
    assert len(app.canned.list()) == 4


def test_two_agents_saving_the_same_shortcut_at_once_one_wins(app: App) -> None:
    barrier = threading.Barrier(6)
    won: list[int] = []
    refused: list[str] = []

    def save(n: int) -> None:
        barrier.wait()
        try:
            won.append(app.canned.create(f"回复{n}", "内容", "same", f"agent{n}").id)
        except CannedInvalid as exc:
            refused.append(exc.code)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(won) == 1 and refused == ["shortcut_taken"] * 5
    with Session(app.engine, future=True) as s:
        assert s.execute(select(func.count(CannedReplyRow.id))).scalar_one() == 1


def test_seed_fills_only_an_empty_list(app: App) -> None:
    defaults = [{"title": "稍等核实", "text": "正在核实", "shortcut": "wait"}, {"title": "结束语", "text": "再见"}]
    assert app.canned.seed(defaults) == 2
    assert app.canned.seed(defaults) == 0  # a restart does not add them twice
    app.canned.delete(app.canned.list()[0].id)
    assert app.canned.seed(defaults) == 0  # nor bring back what agents deleted
    assert [r.title for r in app.canned.list()] == ["结束语"]


def test_seed_refuses_bad_defaults_before_writing(app: App) -> None:
    with pytest.raises(CannedInvalid):
        CannedService(app.engine, FixedClock(app.clock.now())).seed([{"title": "好", "text": "好"},
                                                                     {"title": "", "text": "坏"}])
    assert app.canned.list() == []


def test_the_demo_data_brings_starting_replies_once(app: App) -> None:
    load_demo(app.settings.demo_data, app.engine, app.clock.now())
    shortcuts = [r.shortcut for r in app.canned.list()]
    assert "wait" in shortcuts and len(shortcuts) >= 5
    assert any("{订单号}" in r.text for r in app.canned.list())
    load_demo(app.settings.demo_data, app.engine, app.clock.now())
    assert [r.shortcut for r in app.canned.list()] == shortcuts

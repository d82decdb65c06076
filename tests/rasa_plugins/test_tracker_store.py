"""rasa_plugins.tracker_store.CachedSQLTrackerStore: the same conversations as Rasa's SQL store, read less often."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins.tracker_store import CachedSQLTrackerStore
from tests.appkit import make_settings
from topup import settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "tracker.db")


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time a conversation is read back from the database the slow way (Rasa's own retrieve)."""
    seen: list[str] = []
    original = SQLTrackerStore.retrieve

    async def counting(self: SQLTrackerStore, sender_id: str):  # noqa: ANN202
        seen.append(sender_id)
        return await original(self, sender_id)

    monkeypatch.setattr(SQLTrackerStore, "retrieve", counting)
    return seen


def store(domain: Domain, db: str) -> CachedSQLTrackerStore:
    return CachedSQLTrackerStore(domain=domain, dialect="sqlite", db=db)


def rows(db: str, sender: str) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as connection:
        found = connection.execute(sa.text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"),
                                   {"s": sender}).scalars().all()
    engine.dispose()
    return list(found)


def turn(tracker, text: str) -> None:  # noqa: ANN001
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered("你好"))
    tracker.update(ActionExecuted("action_listen"))


async def test_a_conversation_comes_back_from_memory_and_is_stored_once(domain: Domain, db: str,
                                                                       reads: list[str]) -> None:
    cached = store(domain, db)
    tracker = await cached.get_or_create_tracker("c1")
    turn(tracker, "第一句")
    await cached.save(tracker)
    for text in ("第二句", "第三句"):
        again = await cached.get_or_create_tracker("c1")
        assert again is tracker
        turn(again, text)
        await cached.save(again)
    assert reads == []  # never read back the slow way
    stored = rows(db, "c1")
    assert len(stored) == len(tracker.events)  # every event once: nothing lost, nothing written twice
    fresh = await SQLTrackerStore(domain=domain, dialect="sqlite", db=db).retrieve("c1")
    assert [e.text for e in fresh.events if isinstance(e, UserUttered)] == ["第一句", "第二句", "第三句"]


async def test_another_server_writing_the_conversation_makes_it_read_again(domain: Domain, db: str,
                                                                          reads: list[str]) -> None:
    mine, theirs = store(domain, db), store(domain, db)
    tracker = await mine.get_or_create_tracker("c2")
    turn(tracker, "在我这")
    await mine.save(tracker)

    elsewhere = await theirs.get_or_create_tracker("c2")
    turn(elsewhere, "在别的服务器")
    await theirs.save(elsewhere)

    back = await mine.get_or_create_tracker("c2")
    assert back is not tracker and reads.count("c2") >= 2
    assert [e.text for e in back.events if isinstance(e, UserUttered)] == ["在我这", "在别的服务器"]
    turn(back, "又回来了")
    await mine.save(back)
    assert rows(db, "c2").count("user") == 3


async def test_a_turn_that_never_saved_is_not_served_from_memory(domain: Domain, db: str, reads: list[str]) -> None:
    cached = store(domain, db)
    tracker = await cached.get_or_create_tracker("c3")
    turn(tracker, "保存了")
    await cached.save(tracker)

    failed = await cached.get_or_create_tracker("c3")
    turn(failed, "这轮出错了，没保存")  # the processor died before save()

    again = await cached.get_or_create_tracker("c3")
    assert again is not failed
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["保存了"]


async def test_a_new_session_in_the_same_tracker_is_left_to_the_database(domain: Domain, db: str) -> None:
    cached = store(domain, db)
    tracker = await cached.get_or_create_tracker("c4")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    turn(tracker, "第一次")
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(SlotSet("awaiting", None))
    turn(tracker, "第二次会话")
    await cached.save(tracker)
    assert "c4" not in cached._cache


async def test_the_cache_is_bounded(domain: Domain, db: str, tmp_path: Path) -> None:
    settings.install(make_settings(tmp_path, TOPUP_TRACKER_CACHE_SIZE="3"))
    cached = store(domain, db)
    for number in range(6):
        tracker = await cached.get_or_create_tracker(f"bounded-{number}")
        turn(tracker, "你好")
        await cached.save(tracker)
    assert list(cached._cache) == ["bounded-3", "bounded-4", "bounded-5"]


def test_sqlite_connections_are_pooled_with_wal_and_normal_sync(domain: Domain, db: str) -> None:
    cached = store(domain, db)
    assert isinstance(cached.engine.pool, sa.pool.QueuePool)
    with cached.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_rasa_builds_it_from_endpoints_yml(domain: Domain, db: str) -> None:
    config = EndpointConfig(type="rasa_plugins.tracker_store.CachedSQLTrackerStore", dialect="sqlite", url="", db=db)
    built = TrackerStore.create(config, domain)
    inner = getattr(built, "_tracker_store", built)
    assert isinstance(inner, CachedSQLTrackerStore)


def test_action_answers_are_checked_for_shape_and_in_full_on_request(tmp_path: Path) -> None:
    """Rasa's jsonschema.validate per action call cost 48 ms; the shape check and the compiled schema don't."""
    import jsonschema

    from rasa_plugins.resilient_action import ResilientRemoteAction

    action = ResilientRemoteAction("action_converse", None)
    good = {"events": [{"event": "slot", "name": "awaiting", "value": None}], "responses": []}
    assert action._validate_action_result(good)
    for bad in ({"events": "x"}, {"events": [{"name": "awaiting"}]}, {"events": [], "responses": ["text"]}):
        with pytest.raises(jsonschema.ValidationError):
            action._validate_action_result(bad)
    odd_slot = {"events": [{"event": "slot", "value": 1, "timestamp": "yesterday"}]}
    assert action._validate_action_result(odd_slot)  # the shape is right; Rasa's own reading decides the rest
    settings.install(make_settings(tmp_path, TOPUP_STRICT_ACTION_RESPONSES="1"))
    assert action._validate_action_result(good)
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result(odd_slot)

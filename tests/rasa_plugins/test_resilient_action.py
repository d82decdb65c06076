"""ResilientRemoteAction against a tiny local aiohttp action server, with the real domain, NLG and tracker.

Every failure of the action server (refused, too slow, 500, a body that isn't an action result) becomes the
domain's apology plus the offer of a person, quickly; a form's rejection and a good answer pass through.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import rasa.core.actions.action as rasa_actions
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction, action_for_name_or_text
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, FollowupAction, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from rasa_plugins import resilient_action
from rasa_plugins.resilient_action import LAST_RESORT, ResilientRemoteAction
from tests.appkit import make_settings
from topup import settings

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.filterwarnings("ignore:Slot auto-fill:UserWarning")
GOOD = {
    "events": [{"event": "slot", "name": "next_move", "value": "rated"}],
    "responses": [{"response": "utter_lookup_error"}, {"text": "一句普通的话"}],
}


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def text_of(domain: Domain, response: str) -> str:
    return domain.responses[response][0]["text"]


@pytest.fixture(autouse=True)
def _timeout(tmp_path: Path) -> None:
    # The database wait must stay below the action timeout (a start refuses it otherwise), so it comes down too.
    settings.install(make_settings(tmp_path, TOPUP_ACTION_TIMEOUT_SECONDS="0.5", TOPUP_ACTION_DB_SECONDS="0.3"))


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """An action server with one route per behaviour; yields its base URL."""

    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response(GOOD)

    async def broken(_: web.Request) -> web.Response:
        return web.json_response({"error": "boom"}, status=500)

    async def rejects(request: web.Request) -> web.Response:
        action = (await request.json())["next_action"]
        return web.json_response({"error": "not me", "action_name": action}, status=400)

    async def nonsense(_: web.Request) -> web.Response:
        return web.json_response({"events": "not a list"})

    async def good(_: web.Request) -> web.Response:
        return web.json_response(GOOD)

    app = web.Application()
    for path, handler in {"/slow": slow, "/500": broken, "/400": rejects, "/nonsense": nonsense, "/ok": good}.items():
        app.router.add_post(path, handler)
    test_server = TestServer(app, host="127.0.0.1")
    await test_server.start_server()
    yield f"http://127.0.0.1:{test_server.port}"
    await test_server.close()


@pytest.fixture
def refused_url() -> str:
    """A port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhook"


def tracker(domain: Domain) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        "conv-resilient", [ActionExecuted("action_listen"), UserUttered("我的订单呢")], slots=domain.slots
    )


async def run(
    domain: Domain, url: str, name: str = "action_converse",
    cls: type[RemoteAction] = ResilientRemoteAction, responses: dict | None = None,
) -> tuple[list[Event], float]:
    action = cls(name, EndpointConfig(url=url))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses if responses is None else responses)
    started = time.monotonic()
    events = await action.run(CollectingOutputChannel(), nlg, tracker(domain), domain)
    return events, time.monotonic() - started


def assert_apology(domain: Domain, events: list[Event]) -> None:
    texts = [e.text for e in events if isinstance(e, BotUttered)]
    assert texts == [text_of(domain, "utter_lookup_error"), text_of(domain, "utter_offer_human")]
    offer = [e for e in events if isinstance(e, BotUttered)][1]
    assert offer.data.get("buttons"), "the offer keeps its 转人工 / 先不用 buttons"
    rest = [e for e in events if not isinstance(e, BotUttered)]
    assert [type(e) for e in rest] == [SlotSet, FollowupAction] and rest[1] == FollowupAction("action_listen")
    case = rest[0].value
    assert rest[0].key == "case" and case["phase"] == "offered"  # a "yes" next takes the offer of a person


async def test_connection_refused_gets_the_apology_quickly(domain: Domain, refused_url: str) -> None:
    events, elapsed = await run(domain, refused_url)
    assert_apology(domain, events)
    assert elapsed < 3


async def test_too_slow_a_server_gets_the_apology_after_the_timeout(domain: Domain, server: str) -> None:
    events, elapsed = await run(domain, server + "/slow")
    assert_apology(domain, events)
    assert 0.4 < elapsed < 3  # TOPUP_ACTION_TIMEOUT_SECONDS=0.5; the server would take 5 s (Rasa: 5 minutes)


@pytest.mark.parametrize("path", ["/500", "/nonsense"])
async def test_a_server_error_or_a_bad_body_gets_the_apology(domain: Domain, server: str, path: str) -> None:
    events, _ = await run(domain, server + path)
    assert_apology(domain, events)


async def test_with_a_ticket_open_the_apology_keeps_the_conversation_with_it(domain: Domain,
                                                                            refused_url: str) -> None:
    action = ResilientRemoteAction("action_converse", EndpointConfig(url=refused_url))
    before = [ActionExecuted("action_listen"), SlotSet("case", {"phase": "ticket", "ticket_no": "TK1"}),
              UserUttered("还有人吗")]
    events = await action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
                              DialogueStateTracker.from_events("conv-t", before, slots=domain.slots), domain)
    case = next(e.value for e in events if isinstance(e, SlotSet))
    assert (case["phase"], case["ticket_no"]) == ("ticket", "TK1")


async def test_the_apology_keeps_the_no_three_times_rule(domain: Domain, refused_url: str) -> None:
    action = ResilientRemoteAction("action_converse", EndpointConfig(url=refused_url))
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    history: list[Event] = [ActionExecuted("action_listen"), UserUttered("在吗")]
    said = []
    for _ in range(3):
        events = await action.run(CollectingOutputChannel(), nlg,
                                  DialogueStateTracker.from_events("conv-3", history, slots=domain.slots), domain)
        history += [e for e in events if not isinstance(e, FollowupAction)] + [UserUttered("在吗")]
        said += [e.text for e in events if isinstance(e, BotUttered)]
    assert max(said.count(text) for text in said) <= 2, said


async def test_without_those_responses_the_last_resort_is_said(domain: Domain, refused_url: str) -> None:
    events, _ = await run(domain, refused_url, responses={})
    assert [e.text for e in events if isinstance(e, BotUttered)] == [LAST_RESORT]


async def test_a_rejection_is_raised_for_rasa_to_handle(domain: Domain, server: str) -> None:
    with pytest.raises(ActionExecutionRejection) as raised:
        await run(domain, server + "/400")
    assert raised.value.action_name == "action_converse"


async def test_a_good_answer_passes_through_unchanged(domain: Domain, server: str) -> None:
    ours, _ = await run(domain, server + "/ok")
    stock, _ = await run(domain, server + "/ok", cls=RemoteAction)
    assert ours == stock
    said = [e.text for e in ours if isinstance(e, BotUttered)]
    assert said == [text_of(domain, "utter_lookup_error"), "一句普通的话"]
    assert ours[-1] == SlotSet("next_move", "rated")


async def test_what_the_message_gave_is_kept_for_the_next_one(domain: Domain, refused_url: str) -> None:
    """The action that would have read the order number and tail never answered: the apology keeps them."""
    said = UserUttered("订单ＫＭ２０２６１１２７００４２１５ 尾号3821 一直没到账",
                       {"name": "recharge_stuck", "confidence": 0.9})
    events = await ResilientRemoteAction("action_converse", EndpointConfig(url=refused_url)).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(domain.responses),
        DialogueStateTracker.from_events("conv-kept", [ActionExecuted("action_listen"), said], slots=domain.slots),
        domain)
    case = next(e.value for e in events if isinstance(e, SlotSet) and e.key == "case")
    assert (case["order_no"], case["tail"], case["verified"], case["complaint"]) == (
        "KM20261127004215", "3821", False, "recharge_stuck")


@pytest.fixture
def restore_remote_action(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(rasa_actions, "RemoteAction", rasa_actions.RemoteAction)  # put back afterwards
    yield


def test_install_makes_rasa_build_resilient_custom_actions(domain: Domain, restore_remote_action: None) -> None:
    endpoint = EndpointConfig(url="http://127.0.0.1:1/webhook")
    before = action_for_name_or_text("action_converse", domain, endpoint)
    assert type(before) is RemoteAction

    resilient_action.install()

    for name in ("action_converse", "action_save_rating"):
        action = action_for_name_or_text(name, domain, endpoint)
        assert isinstance(action, ResilientRemoteAction) and action.name() == name
        assert action.action_endpoint is endpoint
    assert not isinstance(action_for_name_or_text("action_listen", domain, endpoint), RemoteAction)
    assert not isinstance(action_for_name_or_text("utter_lookup_error", domain, endpoint), RemoteAction)


def test_the_original_is_back_after_the_install_test() -> None:
    assert rasa_actions.RemoteAction is RemoteAction

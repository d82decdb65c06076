"""The platform's database down: the customer gets a clear apology and a person, and nothing they gave is lost; when
it is back, the next message looks the order up without asking again."""

from __future__ import annotations

from pathlib import Path

from tests.appkit import make_app
from topup.dialogue.engine import respond
from topup.dialogue.model import Case
from topup.dialogue.service_ports import ServicePorts
from topup.dialogue.understand import read_message

SN = "8EQ6ZL2OFA3TRD4K"


def turn(app, case: Case, text: str, intent: str = "inform"):  # noqa: ANN001, ANN201
    source = app.source
    message = read_message(text, intent, order_format=source.order_format, proof=source.proof,
                           awaiting_proof=case.phase.value == "need_proof")
    return respond(case, message, ServicePorts(app, "down-1", {}, []))


def test_a_platform_that_is_down_gets_an_apology_and_a_person_and_keeps_everything(tmp_path: Path) -> None:
    app = make_app(tmp_path, TOPUP_ORDER_SOURCE="dujiaoka",
                   TOPUP_ORDER_SOURCE_URL="mysql+pymysql://root@127.0.0.1:1/dujiaoka")
    try:
        first = turn(app, Case(), f"订单 {SN} 一直处理中", "recharge_stuck")
        assert "utter_ask_phone_last4__email" in first.responses
        down = turn(app, first.case, "buyer05@qq.com")
        assert "utter_lookup_error" in down.responses, down.responses
        assert any(r.startswith("utter_offer_human") or r.startswith("utter_handoff") for r in down.responses)
        assert down.case.order_no == SN and down.case.tail == "buyer05@qq.com"  # nothing lost
        assert not down.case.verified
    finally:
        app.close()


def test_a_shops_signed_phone_proves_nothing_on_dujiaoka(tmp_path: Path) -> None:
    """dujiaoka proves an order by its email: a signed-in shop customer's phone is no proof there, so they are asked
    like anyone (and no failed check is counted against the order for a phone tail tried as an email)."""
    app = make_app(tmp_path, TOPUP_ORDER_SOURCE="dujiaoka",
                   TOPUP_ORDER_SOURCE_URL="mysql+pymysql://root@127.0.0.1:1/dujiaoka")
    try:
        token = app.customers.sign("c-1", "13800001111")
        ports = ServicePorts(app, "signed-1", {"customer_token": token}, [])
        assert not ports.signed_in and ports.customer is None
        asked = respond(Case(), read_message(f"订单 {SN}", "inform", order_format=app.source.order_format,
                                             proof=app.source.proof), ports)
        assert "utter_ask_phone_last4__email" in asked.responses
    finally:
        app.close()

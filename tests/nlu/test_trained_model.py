"""The trained model on messages that mix everything customers do at once."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "topup.tar.gz"
COMPLAINTS = {"recharge_stuck", "charged_not_received", "payment_failed", "duplicate_charge", "refund_request",
              "check_order_status"}


@pytest.fixture(scope="module")
def parse():  # noqa: ANN201
    from rasa.core.agent import Agent

    if not MODEL.exists():
        pytest.fail("no trained model: run `make train` (the test command does it)")
    agent = Agent.load(str(MODEL))
    # A worker thread with its own loop: other suites (Playwright's sync API) may hold this thread's loop.
    with ThreadPoolExecutor(max_workers=1) as worker:
        yield lambda text: worker.submit(asyncio.run, agent.parse_message(text)).result()


def entities(parsed: dict) -> dict[str, object]:
    return {e["entity"]: e["value"] for e in parsed["entities"]}


def test_the_message_that_mixes_everything(parse) -> None:  # noqa: ANN001
    parsed = parse("亲 我的ＫＭ２０２６１１２７００４２１５ 冲值了一个小时还在处理中 钱都扣了!!")
    assert parsed["intent"]["name"] in COMPLAINTS
    assert entities(parsed)["order_id"] == "KM20261127004215"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("一百块的Q币 用zfb付的", {"amount": 100, "product": "Q币", "payment_method": "alipay"}),
        ("吃鸡点券50块钱 vx付款", {"amount": 50, "product": "点券", "payment_method": "wechat"}),
        ("订单km 2026 1127 004215 尾号３８２１", {"order_id": "KM20261127004215", "phone_last4": "3821"}),
        ("20261127004215", {"order_id": "KM20261127004215"}),
    ],
)
def test_entities_come_out_normalised(parse, text: str, expected: dict) -> None:  # noqa: ANN001
    found = entities(parse(text))
    for name, value in expected.items():
        assert found.get(name) == value, (name, found)


@pytest.mark.parametrize(
    "text", ["訂單一直處理中 錢扣了", "Q币 recharge 一直pending😡", "扣了两次钱！！！退给我", "冲值失败了怎么办"]
)
def test_noisy_complaints_are_complaints(parse, text: str) -> None:  # noqa: ANN001
    assert parse(text)["intent"]["name"] in COMPLAINTS


@pytest.mark.parametrize("text", ["卡号 622202*********0123 扣了两次", "622202*********0123",
                                  "用的卡622202*********0123"])
def test_a_masked_card_number_gives_no_phone_tail(parse, text: str) -> None:  # noqa: ANN001
    """The channel guard masks cards as first 6 + last 4: those last 4 digits are not the customer's tail."""
    assert "phone_last4" not in entities(parse(text))


def test_a_masked_mobile_still_gives_its_tail(parse) -> None:  # noqa: ANN001
    assert entities(parse("手机号 *******5678"))["phone_last4"] == "5678"

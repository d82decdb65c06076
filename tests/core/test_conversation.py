"""Reading Rasa-shaped event logs for the handoff."""

from __future__ import annotations

from datetime import datetime, timezone

from topup.conversation import MAX_TEXT, customer_description, frustration, transcript

T0 = datetime(2026, 11, 28, 8, 0, 0, tzinfo=timezone.utc).timestamp()


def user(text: str, intent: str | None = None, at: float = T0) -> dict:
    event: dict = {"event": "user", "text": text, "timestamp": at}
    if intent is not None:
        event["parse_data"] = {"intent": {"name": intent, "confidence": 0.9}, "entities": []}
    return event


def bot(text: str, at: float = T0) -> dict:
    return {"event": "bot", "text": text, "timestamp": at}


NOISE = [
    {"event": "action", "name": "action_listen", "timestamp": T0},
    {"event": "slot", "name": "order_id", "value": "KM20261127004215", "timestamp": T0},
    {"event": "user_featurization", "timestamp": T0},
    {"event": "session_started", "timestamp": T0},
]

CONVERSATION = [
    NOISE[3],
    user("你好", "greet", T0),
    bot("您好，请问有什么可以帮您？", T0 + 1),
    NOISE[0],
    user("话费一直在充值，钱扣了没到账", "charged_not_received", T0 + 10),
    NOISE[1],
    bot("请提供订单号", T0 + 11),
    user("/affirm", "affirm", T0 + 20),
    user("KM20261127004215 尾号3821", "inform", T0 + 30),
    user("怎么这么慢，太气人了", "express_frustration", T0 + 40),
    NOISE[2],
    user("都快一个小时了还没好", "express_frustration", T0 + 50),
]


# --- transcript -------------------------------------------------------------------------------


def test_transcript_keeps_messages_in_order_with_roles_and_times() -> None:
    lines = transcript(CONVERSATION)
    assert [line["role"] for line in lines] == [
        "customer", "assistant", "customer", "assistant", "customer", "customer", "customer", "customer",
    ]
    assert lines[0] == {"role": "customer", "text": "你好", "at": "2026-11-28T08:00:00Z", "intent": "greet"}
    assert lines[1] == {"role": "assistant", "text": "您好，请问有什么可以帮您？", "at": "2026-11-28T08:00:01Z"}
    assert lines[2]["text"] == "话费一直在充值，钱扣了没到账"
    assert lines[2]["intent"] == "charged_not_received"
    assert lines[-1]["at"] == "2026-11-28T08:00:50Z"


def test_transcript_ignores_other_events_and_empty_messages() -> None:
    events = [*NOISE, bot(""), {"event": "bot", "text": None, "timestamp": T0}, user("   "), user(" 在吗 ")]
    lines = transcript(events)
    assert lines == [{"role": "customer", "text": "在吗", "at": "2026-11-28T08:00:00Z", "intent": None}]


def test_transcript_without_timestamp_and_long_text() -> None:
    event = {"event": "user", "text": "很" * (MAX_TEXT + 500)}
    (line,) = transcript([event])
    assert line["at"] is None
    assert len(line["text"]) == MAX_TEXT


# --- customer_description ---------------------------------------------------------------------


def test_description_picks_complaint_and_frustration_messages() -> None:
    assert customer_description(CONVERSATION) == " / ".join(
        ["话费一直在充值，钱扣了没到账", "怎么这么慢，太气人了", "都快一个小时了还没好"]
    )


def test_description_skips_button_payloads() -> None:
    events = [user("/recharge_stuck", "recharge_stuck"), user("充值一直没到", "recharge_stuck")]
    assert customer_description(events) == "充值一直没到"


def test_description_falls_back_to_first_messages() -> None:
    events = [user("/greet", "greet"), user("你好", "greet"), user("在吗", None), user("喂", "greet"), user("人呢")]
    assert customer_description(events) == "你好 / 在吗 / 喂"


def test_description_of_nothing_is_empty() -> None:
    assert customer_description([]) == ""
    assert customer_description(NOISE) == ""


# --- frustration ----------------------------------------------------------------------------------


def test_frustration_counts_frustrated_messages() -> None:
    assert frustration(CONVERSATION) == 2
    assert frustration([]) == 0
    assert frustration([bot("express_frustration"), user("好的", "affirm")]) == 0

"""Properties of the order-number parser, the phone-tail reader and the conversation helpers, on any input."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from tests.fuzz.strategies import ATTACKS, fuzz_settings, hostile_texts
from topup import conversation
from topup.dialogue.understand import read_facts
from topup.order_number import MalformedOrderNumber, extract_phone_tail, find_order_number_text, normalise_order_number
from topup.pii import mask_phone
from topup.text import fold_width

SEPARATORS = re.compile(r"[\s\-_—–·.、,，:：#＃/]+")
SQL_OR_MARKUP = set("'\";=()*<>%{}$\\`|&!?")
texts = hostile_texts()
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))
sequences = st.integers(0, 999_999).map(lambda n: f"{n:06d}")


def _outcome(raw: object) -> str | None:
    """The canonical number, or None when the input is malformed: the only two outcomes allowed."""
    try:
        return normalise_order_number(raw).value  # type: ignore[arg-type]
    except MalformedOrderNumber:
        return None


@fuzz_settings(max_examples=300)
@given(raw=texts | st.none() | st.integers() | st.binary(max_size=40))
@example(raw="KM2026' OR 1=1 --")
@example(raw="KM20261127004215' OR '1'='1")
def test_normalise_raises_nothing_but_malformed(raw: object) -> None:
    value = _outcome(raw)
    if value is not None:
        assert re.fullmatch(r"KM\d{8}\d{6}", value, re.ASCII)
        date(int(value[2:6]), int(value[6:8]), int(value[8:10]))  # a real day
        assert _outcome(value) == value  # idempotent


@fuzz_settings(max_examples=200)
@given(raw=texts)
def test_only_an_order_number_and_separators_are_accepted(raw: str) -> None:
    value = _outcome(raw)
    if value is not None:
        folded = SEPARATORS.sub("", unicodedata.normalize("NFKC", raw).upper())
        assert folded in (value, value[2:]), (raw, folded)


@fuzz_settings(max_examples=200)
@given(
    prefix=st.sampled_from(["KM2026", "KM20261127004215", "20261127004215", "km 2026 1127 004215", ""]),
    attack=st.sampled_from(ATTACKS) | st.text(st.sampled_from(sorted(SQL_OR_MARKUP)), min_size=1, max_size=8),
    suffix=st.sampled_from(["", " --", " OR 1=1", ";"]),
)
@example(prefix="KM2026", attack="' OR 1=1 --", suffix="")
def test_sql_or_markup_around_an_order_number_is_malformed(prefix: str, attack: str, suffix: str) -> None:
    raw = prefix + attack + suffix
    assume(set(unicodedata.normalize("NFKC", raw)) & SQL_OR_MARKUP)
    with pytest.raises(MalformedOrderNumber):
        normalise_order_number(raw)


@fuzz_settings(max_examples=200)
@given(
    day=days,
    seq=sequences,
    style=st.sampled_from(["plain", "lower", "spaces", "dashes", "fullwidth", "digits", "padded"]),
    noise=st.sampled_from(["", "我的订单号是", "订单：", "亲 "]),
)
def test_every_way_customers_type_a_real_number_is_read_back(day: date, seq: str, style: str, noise: str) -> None:
    canonical = f"KM{day:%Y%m%d}{seq}"
    typed = {
        "plain": canonical, "lower": canonical.lower(), "spaces": f"KM {day:%Y %m%d} {seq}",
        "dashes": f"KM-{day:%Y%m%d}-{seq}", "digits": canonical[2:], "padded": f"  {canonical}\n",
        "fullwidth": "".join(chr(ord(c) + 0xFEE0) for c in canonical),
    }[style]  # fmt: skip
    assert normalise_order_number(typed).value == canonical
    found = find_order_number_text(noise + typed + " 尾号3821")
    assert found is not None and normalise_order_number(found).value == canonical


@fuzz_settings(max_examples=300)
@given(text=texts)
def test_finding_and_reading_never_raise(text: str) -> None:
    found = find_order_number_text(text)
    assert found is None or found in fold_width(text)
    tail = extract_phone_tail(text)
    # Any Unicode decimal digits count (\d without re.ASCII); such a tail simply never matches an order's phone.
    assert tail is None or (len(tail) == 4 and tail.isdecimal())
    masked, digits = mask_phone(text), re.sub(r"\D", "", text)
    # Always seven stars and four more characters: the last four digits, or stars when there are fewer.
    assert len(masked) == 11 and masked.startswith("*******")
    assert masked.endswith(digits[-4:] if len(digits) >= 4 else "****")


no_digits = st.text(st.characters(codec="utf-8", exclude_categories=("Nd", "Nl", "No")), max_size=60)


@fuzz_settings(max_examples=100)
@given(tail=st.integers(0, 9999).map(lambda n: f"{n:04d}"), before=no_digits, after=no_digits)
def test_a_lone_tail_is_found_among_words(tail: str, before: str, after: str) -> None:
    assume(not re.search(r"\d", unicodedata.normalize("NFKC", before + after)))
    assert extract_phone_tail(f"{before} {tail} {after}") == tail


stamps = st.floats(0, 4_102_444_800)  # 1970-2100, what time.time() gives
intents = st.sampled_from(["recharge_stuck", "express_frustration", "inform", "nlu_fallback", "greet"]) | st.none()


def _user(text: str | None, intent: str | None, stamp: float) -> dict:
    return {"event": "user", "text": text, "timestamp": stamp, "parse_data": {"intent": {"name": intent}}}


events = st.lists(
    st.one_of(
        st.builds(_user, texts | st.none(), intents, stamps),
        st.builds(lambda t, s: {"event": "bot", "text": t, "timestamp": s}, texts | st.none(), stamps),
        st.builds(lambda n: {"event": "slot", "name": n, "value": None}, st.text(max_size=10)),
        st.just({"event": "action", "name": "action_listen"}),
    ),
    max_size=12,
)


@fuzz_settings(max_examples=150)
@given(log=events)
def test_conversation_helpers_on_any_event_log(log: list[dict]) -> None:
    users = [e for e in log if e["event"] == "user"]
    lines = conversation.transcript(log)
    assert len(lines) <= len([e for e in log if e["event"] in ("user", "bot")])
    assert all(0 < len(line["text"]) <= conversation.MAX_TEXT for line in lines)
    assert all(line["role"] in ("customer", "assistant") and line["at"].endswith("Z") for line in lines)
    description = conversation.customer_description(log)
    assert isinstance(description, str)
    assert conversation.frustration(log) == sum(1 for e in users if e["parse_data"]["intent"]["name"] ==
                                                "express_frustration")  # fmt: skip


@fuzz_settings(max_examples=100)
@given(before=texts, after=texts)
def test_a_denied_debit_is_not_a_claimed_debit(before: str, after: str) -> None:
    assume(not read_facts(before + after).claims_debit and not read_facts(before).claims_debit)
    assert not read_facts(f"{before}没扣款{after}").claims_debit
    assert read_facts(f"{before}钱已经扣了").claims_debit

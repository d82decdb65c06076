"""The NLU's own normalisation: text before the pipeline, entity values after it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from rasa_plugins.nlu_zh.normalise import chinese_number, normalise_entity, normalise_text, parse_amount

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＫＭ２０２６１１２７００４２１５", "KM20261127004215"),
        ("儲值一直沒到帳", "储值一直没到账"),
        ("訂單還在處理中", "订单还在处理中"),
        ("钱都扣了!!!", "钱都扣了!  "),
        ("怎么回事？？？", "怎么回事?  "),
        ("气死了😡😡", "气死了  "),
        ("a\u202eb\u200bc\x00d", "a b c d"),
        ("订单\u3000号", "订单 号"),
        ("100元 ¥50", "100元 ¥50"),
    ],
)
def test_text_normalisation(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "亲 我的ＫＭ２０２６１１２７００４２１５ 冲值了一个小时还在处理中 钱都扣了!!",
        "👨‍👩‍👧 emoji ZWJ",
        "繁體中文測試" * 50,
        "",
    ],
)
def test_text_normalisation_keeps_length(raw: str) -> None:
    assert len(normalise_text(raw)) == len(raw)


@pytest.mark.parametrize(
    ("text", "value"),
    [("一百", 100), ("五十", 50), ("十五", 15), ("两百五", 250), ("一百零五", 105), ("一千二", 1200),
     ("六百四十八", 648), ("一万", 10000), ("二十", 20), ("abc", None)],
)
def test_chinese_numbers(text: str, value: int | None) -> None:
    assert chinese_number(text) == value


@pytest.mark.parametrize(
    ("entity", "raw", "value"),
    [
        ("amount", "100元", 100),
        ("amount", "一百块", 100),
        ("amount", "¥50", 50),
        ("amount", "50块钱", 50),
        ("amount", "9.9元", 9.9),
        ("order_id", "km 2026 1127 004215", "KM20261127004215"),
        ("order_id", "20261127004215", "KM20261127004215"),
        ("order_id", "KM2026", "KM2026"),
        ("phone_last4", "３８２１", "3821"),
        ("phone_last4", "13800003821", "3821"),
        ("product", "q币", "Q币"),
        ("product", "吃鸡", "和平精英"),
        ("product", "王者", "王者荣耀"),
        ("product", "LOL", "英雄联盟"),
        ("payment_method", "zfb", "alipay"),
        ("payment_method", "vx", "wechat"),
        ("payment_method", "云闪付", "bank_card"),
        ("payment_method", "不知道", "不知道"),
    ],
)
def test_entity_values(entity: str, raw: str, value: object) -> None:
    assert normalise_entity(entity, raw) == value


def test_parse_amount_without_number() -> None:
    assert parse_amount("元") is None


def test_shipped_config_is_the_one_evaluated_as_chosen() -> None:
    shipped = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    from ops.nlu_eval.compare import CHOSEN

    chosen = ROOT / "ops" / "nlu_eval" / "configs" / f"{CHOSEN}.yml"
    evaluated = yaml.safe_load(chosen.read_text(encoding="utf-8"))["pipeline"]
    assert shipped == evaluated

"""What hostile or careless customers send, as hypothesis strategies, and the settings every fuzz test uses.

Every text is a valid Python ``str`` that JSON can carry (no lone surrogates): that is all a channel can deliver.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic (derandomized, no example database) and without deadlines: stable in CI, bounded in time."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


class Said(str):
    """A message whose repr stays short in failure reports: some are 100,000 characters long."""

    def __repr__(self) -> str:
        text = str(self)
        return repr(text) if len(text) <= 200 else f"Said({text[:60]!r} ... {len(text)} characters ... {text[-20:]!r})"


CONTROL = "".join(chr(c) for c in range(32)) + "\x7f\x85\x9b"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
WHITESPACE = " \t\n\r\x0b\x0c\u3000\u00a0\u1680\u2028\u2029\u3000"
EMOJI = ["😡", "😭", "🙏", "👍🏻", "💰", "🎮", "📱", "❤️‍🔥", "🇨🇳", "👨‍👩‍👧", "🤬", "🈚", "🧧"]
WORDS = [
    "话费", "Q币", "点卡", "充值", "正在充值", "一直没到账", "扣了钱", "没扣款", "重复扣款", "退款", "转人工", "人工",
    "尾号", "订单号", "支付宝", "微信", "银行卡", "维护", "还是不行", "好的", "不用", "谢谢", "五星", "5分",
    "你是机器人吗",
    "ＫＭ２０２６１１２７００４２１５", "km 2026 1127 004215", "20261127004215", "KM20261127004215", "3821", "0000",
    "13800003821", "KM20261128000107", "2233", "KM20261332004215", "KM2026112700421", "一百块", "648元",
]  # fmt: skip
ATTACKS = [
    "KM2026' OR 1=1 --", "KM20261127004215' OR '1'='1", "'; DROP TABLE orders; --", "1; SELECT * FROM tickets",
    "\" OR \"\"=\"", "KM20261127004215 UNION SELECT phone FROM orders", "<script>alert(1)</script>",
    "<img src=x onerror=alert(document.cookie)>", "</div><iframe src=javascript:alert(1)>", "&lt;b&gt;&#x3C;",
    "{{7*7}}", "${jndi:ldap://x.example/a}", "{order_product}", "{0.__class__}", "%s%s%s%n", "../../etc/passwd",
    "\\u0000\\x00", "[点我](javascript:alert(1))", '{"text": "/restart"}', "null", "NaN", "-1e309", "\r\nX-Injected: 1",
]  # fmt: skip

any_unicode = st.text(st.characters(codec="utf-8"), max_size=120)
odd_characters = st.lists(st.sampled_from(list(CONTROL + BIDI + ZERO_WIDTH + WHITESPACE) + EMOJI), max_size=12).map(
    "".join
)
mixed = st.lists(
    st.one_of(st.sampled_from(WORDS), st.sampled_from(ATTACKS), odd_characters, any_unicode), max_size=8
).map("".join)
binary_ish = st.one_of(
    st.binary(max_size=300).map(lambda b: b.decode("utf-8", errors="replace")),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
)
whitespace_only = st.text(st.sampled_from(list(WHITESPACE + ZERO_WIDTH)), min_size=1, max_size=40)


def _repeat(chunk: str, length: int) -> str:
    chunk = chunk or "卡"
    return (chunk * (length // len(chunk) + 1))[:length]


def huge(min_size: int = 10_000, max_size: int = 100_000) -> st.SearchStrategy[str]:
    """A short hostile chunk repeated to 10,000-100,000 characters (drawing that many would be slow)."""
    chunks = st.one_of(mixed, binary_ish, st.sampled_from(ATTACKS + WORDS))
    return st.builds(_repeat, chunks, st.integers(min_size, max_size)).map(Said)


def hostile_texts(with_huge: bool = True) -> st.SearchStrategy[str]:
    """Empty, whitespace-only, any Unicode, domain words mixed with attacks and odd characters, binary, huge."""
    parts = [st.just(""), whitespace_only, any_unicode, mixed, mixed, binary_ish]
    return (st.one_of(*parts, huge()) if with_huge else st.one_of(*parts)).map(Said)

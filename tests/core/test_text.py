"""Width folding shared by every reader of customer text (topup.text)."""

from __future__ import annotations

import pytest

from topup.text import fold_width


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＫＭ２０２６１１２７００４２１５", "KM20261127004215"),
        ("尾号\u3000３８２１", "尾号 3821"),  # the ideographic space too
        ("订单KM20261127004215", "订单KM20261127004215"),
        ("5㎏ ﬁ", "5㎏ ﬁ"),  # folds to more than one character: left as typed
        ("", ""),
        (None, ""),
    ],
)
def test_fold_width_folds_one_character_for_one(text: str | None, folded: str) -> None:
    assert fold_width(text) == folded
    assert len(fold_width(text)) == len(text or "")  # positions in the folded text are positions in the text

"""The corpus's main paths on each platform (tests/platforms/corpus/*.yml), run by the corpus's own runner
(tests/e2e/test_corpus.py: every turn checked, the rules every conversation keeps, the tickets in the database),
against the assistant reading the platform's database on the real MariaDB."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_corpus import check_conversation, load_file

CORPUS = Path(__file__).resolve().parent / "corpus"
DUJIAOKA = load_file(CORPUS / "dujiaoka.yml")
ACGFAKA = load_file(CORPUS / "acgfaka.yml")


def _values(numbers: dict[str, str]) -> dict[str, str]:
    """The demo numbers by key, and each typed sloppily: grouped and (for letters) lowercase."""
    values = dict(numbers)
    for key, number in numbers.items():
        values[f"{key}_spaced"] = " ".join(number[i:i + 6] for i in range(0, len(number), 6)).lower()
    return values


def _products(stack, numbers: dict[str, str]) -> dict[str, str]:  # noqa: ANN001
    found = {number: stack.app.source.get(number) for number in numbers.values()}
    return {number: order.product_name for number, order in found.items() if order is not None}


def test_the_platform_corpora_are_not_thin() -> None:
    assert len(DUJIAOKA) >= 8 and len(ACGFAKA) >= 6


@pytest.mark.parametrize("conversation", DUJIAOKA, ids=[c.id for c in DUJIAOKA])
def test_dujiaoka_conversation(dujiaoka_stack, conversation) -> None:  # noqa: ANN001
    stack, numbers = dujiaoka_stack
    numbers = {k: v.upper() for k, v in numbers.items()}
    check_conversation(stack, conversation, _products(stack, numbers), _values(numbers))


@pytest.mark.parametrize("conversation", ACGFAKA, ids=[c.id for c in ACGFAKA])
def test_acgfaka_conversation(acgfaka_stack, conversation) -> None:  # noqa: ANN001
    stack, numbers = acgfaka_stack
    check_conversation(stack, conversation, _products(stack, numbers), _values(numbers))

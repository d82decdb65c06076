"""Every entity annotated in the training data starts and ends on a token boundary of the real pipeline."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest
import spacy
from rasa.shared.nlu.training_data.loading import load_data

from rasa_plugins.nlu_zh.normalise import normalise_text

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = ROOT / "build" / "spacy_zh"
SOURCES = sorted((ROOT / "data" / "nlu").glob("*.yml")) + [ROOT / "tests" / "nlu" / "heldout.yml"]


@lru_cache(maxsize=1)
def nlp() -> spacy.language.Language:
    if not PIPELINE.exists():
        pytest.fail("build/spacy_zh is missing: run `make setup`")
    return spacy.load(PIPELINE)


def misaligned(path: Path) -> list[str]:
    problems = []
    for message in load_data(str(path)).training_examples:
        text = normalise_text(message.get("text"))
        doc = nlp()(text)
        starts = {t.idx for t in doc}
        ends = {t.idx + len(t.text) for t in doc}
        for entity in message.get("entities") or []:
            if entity["start"] not in starts or entity["end"] not in ends:
                tokens = " | ".join(t.text for t in doc)
                problems.append(f"{entity['entity']} {text[entity['start']:entity['end']]!r} in {tokens}")
    return problems


@pytest.mark.parametrize("path", [p for p in SOURCES if p.exists()], ids=lambda p: p.name)
def test_entity_annotations_fall_on_token_boundaries(path: Path) -> None:
    problems = misaligned(path)
    assert not problems, f"{len(problems)} misaligned in {path.name}:\n" + "\n".join(problems[:40])


def test_training_and_heldout_share_no_message() -> None:
    heldout = ROOT / "tests" / "nlu" / "heldout.yml"
    if not heldout.exists():
        pytest.skip("no held-out set yet")
    seen = {normalise_text(m.get("text")).replace(" ", "").lower() for p in SOURCES[:-1]
            for m in load_data(str(p)).training_examples}
    overlap = [m.get("text") for m in load_data(str(heldout)).training_examples
               if normalise_text(m.get("text")).replace(" ", "").lower() in seen]
    assert not overlap, overlap

"""A jieba tokenizer that carries the domain word list inside the saved spaCy pipeline.

spaCy's own ChineseTokenizer uses jieba's global dictionary and saves nothing of it, so a
pipeline built with extra words would lose them when Rasa loads it. This subclass writes the
words next to the tokenizer and adds them to jieba again on load. spaCy finds the factory
through the ``spacy_tokenizers`` entry point in pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import jieba
from spacy.lang.zh import ChineseTokenizer, Segmenter
from spacy.language import Language
from spacy.util import registry
from spacy.vocab import Vocab

WORDS_FILE = "domain_words.txt"
# High enough that a domain word beats a common word overlapping it (话费|用, not 话|费用).
DOMAIN_WORD_FREQ = 20000
jieba.setLogLevel(60)


class DomainChineseTokenizer(ChineseTokenizer):
    def __init__(self, vocab: Vocab, words: Iterable[str] = ()) -> None:
        super().__init__(vocab, segmenter=Segmenter.jieba)
        self.words: list[str] = []
        self.add_words(words)

    def add_words(self, words: Iterable[str]) -> None:
        for word in words:
            word = word.strip()
            if not word or word in self.words:
                continue
            if " " in word:  # "微信 支付": keep these pieces apart, so each can be an entity of its own
                jieba.suggest_freq(tuple(word.split()), True)
            else:
                jieba.add_word(word, freq=DOMAIN_WORD_FREQ)
            self.words.append(word)

    def to_disk(self, path: str | Path, **kwargs: object) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        (path / WORDS_FILE).write_text("\n".join(self.words) + "\n", encoding="utf-8")

    def from_disk(self, path: str | Path, **kwargs: object) -> DomainChineseTokenizer:
        words_file = Path(path) / WORDS_FILE
        if words_file.exists():
            self.add_words(words_file.read_text(encoding="utf-8").splitlines())
        return self


def create_tokenizer() -> Callable[[Language], DomainChineseTokenizer]:
    def make(nlp: Language) -> DomainChineseTokenizer:
        return DomainChineseTokenizer(nlp.vocab)

    return make


registry.tokenizers.register("topup.DomainChineseTokenizer.v1", func=create_tokenizer)

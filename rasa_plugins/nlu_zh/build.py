"""Build the local spaCy pipeline (jieba + domain words + entity ruler) from the files in resources/.

Run ``python -m rasa_plugins.nlu_zh.build [OUTPUT_DIR]``; config.yml points SpacyNLP at the output
(build/spacy_zh by default). Nothing is downloaded: spaCy's blank Chinese language is enough.
"""

from __future__ import annotations

import sys
from pathlib import Path

import spacy
import yaml
from spacy.language import Language

from rasa_plugins.nlu_zh.tokenizer import DomainChineseTokenizer

RESOURCES = Path(__file__).resolve().parent / "resources"
DEFAULT_OUTPUT = Path(__file__).resolve().parents[2] / "build" / "spacy_zh"

_SEP = {"TEXT": {"REGEX": r"^[\-—_.·]+$"}, "OP": "?"}


def _num(count: str) -> dict:
    return {"TEXT": {"REGEX": rf"^\d{{{count}}}$"}}


def _km(digits: str = "0") -> dict:
    return {"LOWER": {"REGEX": rf"^km\d{{{digits}}}$"}}


def order_id_patterns() -> list[dict]:
    """KM + 14 digits whole or split 8+6 / 4+4+6 (by spaces or dashes), or the 14 digits alone.

    Exact shapes, so a phone tail typed after the number ("KM… 3821") is not swallowed. KM with
    the wrong number of digits is labelled too, so the assistant can say what is wrong with it.
    """
    bodies = [[_num("14")], [_num("8"), _SEP, _num("6")], [_num("4"), _SEP, _num("4"), _SEP, _num("6")]]
    shapes = [[{"LOWER": {"REGEX": r"^(km)?\d{14}$"}}], [_km("1,20")]]
    shapes += [[_km(), _SEP, *body] for body in bodies] + [[_num("8"), _SEP, _num("6")]]
    shapes += [[_km("8"), _SEP, _num("6")], [_km("4"), _SEP, _num("4"), _SEP, _num("6")]]
    shapes += [[_num("4"), _SEP, _num("4"), _SEP, _num("6")]]
    return [{"label": "order_id", "pattern": shape} for shape in shapes]


_CN_NUMBER = "[零〇一二两三四五六七八九十百千万]+"
_MONEY_UNITS = ["元", "块", "块钱", "圆", "rmb", "RMB", "人民币"]


def number_patterns() -> list[dict]:
    """Phone tails (4 digits, or a whole mobile number) and amounts in digits or Chinese numerals."""
    money = {"TEXT": {"REGEX": rf"^(\d+(\.\d{{1,2}})?|{_CN_NUMBER})$"}}
    unit = {"TEXT": {"IN": _MONEY_UNITS}}
    glued = {"TEXT": {"REGEX": rf"^(\d+(\.\d{{1,2}})?|{_CN_NUMBER})(元|块钱|块|圆)$"}}
    return [
        {"label": "phone_last4", "pattern": [_num("4")]},
        {"label": "phone_last4", "pattern": [{"TEXT": {"REGEX": r"^1\d{10}$"}}]},
        {"label": "amount", "pattern": [money, unit]},
        {"label": "amount", "pattern": [glued]},
        {"label": "amount", "pattern": [glued, {"TEXT": "钱"}]},
        {"label": "amount", "pattern": [{"TEXT": {"IN": ["¥", "￥", "$"]}}, money]},
        {"label": "amount", "pattern": [{"TEXT": {"REGEX": r"^[¥￥]\d+(\.\d{1,2})?$"}}]},
    ]


def phrase_patterns(path: Path = RESOURCES / "entities.yml") -> list[dict]:
    table = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        {"label": label, "pattern": variant, "id": canonical}
        for label, values in table.items()
        for canonical, variants in values.items()
        for variant in variants
    ]


def domain_words(path: Path = RESOURCES / "domain_words.txt") -> list[str]:
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            words.append(line)
    for pattern in phrase_patterns():
        words.append(pattern["pattern"])
    return words


def build() -> Language:
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"@tokenizers": "topup.DomainChineseTokenizer.v1"}}})
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, DomainChineseTokenizer)
    tokenizer.add_words(domain_words())
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"})
    ruler.add_patterns(order_id_patterns() + number_patterns() + phrase_patterns())
    nlp.meta["name"] = "topup_zh"
    nlp.meta["description"] = "jieba + domain words + entity ruler for the top-up support assistant"
    return nlp


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    build().to_disk(output)
    print(f"spaCy pipeline written to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))

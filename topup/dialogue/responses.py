"""The assistant's sentences, read from the domain's responses (domain.yml), rendered as Rasa renders them.

The engine needs the text itself for one rule: never the same sentence three times in one conversation. A
response whose values differ (another ticket, another waiting time) is another sentence; the same response with
the same values is the same sentence. The text stays in domain.yml, where Rasa reads it too.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
_PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")


class MissingValue(KeyError):
    """A response was asked for without a value its text needs."""


def template_values(values: Mapping[str, Any]) -> dict[str, str]:
    """The values a template reads, as text: a missing one shows as empty, never as "None"."""
    return {k: ("" if v is None else v if isinstance(v, str) else str(v)) for k, v in values.items()
            if isinstance(k, str) and k.isidentifier()}


@lru_cache(maxsize=4)
def catalogue(path: Path = DOMAIN) -> dict[str, str]:
    """Each response's text (the first variation: every response of this domain has one)."""
    domain = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {name: variations[0].get("text", "") for name, variations in (domain.get("responses") or {}).items()}


def variables(response: str) -> frozenset[str]:
    return frozenset(_PLACEHOLDER.findall(catalogue().get(response, "")))


def render(response: str, values: Mapping[str, Any], strict: bool = False) -> str:
    """The text of `response` with its values filled in. A value it needs and does not get: MissingValue when
    `strict`, else the text as written (what Rasa shows then)."""
    text = catalogue().get(response)
    if text is None:
        raise KeyError(f"no response {response!r} in {DOMAIN.name}")
    filled = template_values(values)
    missing = variables(response) - filled.keys()
    if missing:
        if strict:
            raise MissingValue(f"{response} needs {sorted(missing)}")
        return text
    return _PLACEHOLDER.sub(lambda m: filled[m.group(1)], text)


def sentence_key(response: str, values: Mapping[str, Any]) -> str:
    """A short key of the rendered sentence: equal keys, equal text."""
    return hashlib.sha256(render(response, values).encode("utf-8")).hexdigest()[:12]

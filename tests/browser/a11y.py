"""axe-core in a real page: the WCAG 2.1 A/AA rules, run the way the axe browser extension runs them.

The script is injected by Playwright (`add_script_tag`), so the pages need no change and their CSP is not in the
way (Playwright evaluates in the page's own world with its bypass). Each violation comes back with its impact
(minor, moderate, serious, critical) and the nodes it was found on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{self.impact}] {self.rule}: {self.help} at {', '.join(self.targets[:5])}"


def audit(page: Page, include: str | None = None) -> list[Violation]:
    """Every WCAG 2.1 A/AA violation axe finds in the page (or in the element `include` selects)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    context = json.dumps(include) if include else "document"
    options = json.dumps({"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]})
    result = page.evaluate(f"() => axe.run({context}, {options})")
    return [Violation(v["id"], v.get("impact") or "minor", v["help"],
                      tuple(" ".join(n["target"]) if isinstance(n["target"], list) else str(n["target"])
                            for n in v["nodes"])) for v in result["violations"]]


def counts(violations: list[Violation]) -> dict[str, int]:
    """Nodes per impact, the figure the issue's note reports."""
    out = {"critical": 0, "serious": 0, "moderate": 0, "minor": 0}
    for violation in violations:
        out[violation.impact] = out.get(violation.impact, 0) + len(violation.targets)
    return out


def blocking(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.impact in BLOCKING]

"""Bookkeeping of the self-help walk: which step comes next, what each step achieved."""

from __future__ import annotations

HELPED_INTENTS = frozenset({"affirm", "thank"})


def next_step(plan: list[str], log: list[dict]) -> str | None:
    """The first planned step not offered yet."""
    offered = {entry.get("step") for entry in log}
    return next((step for step in plan if step not in offered), None)


def record_outcome(log: list[dict], helped: bool) -> list[dict]:
    """Mark the step awaiting an answer as helped or not (a new list; slots are values)."""
    updated = [dict(entry) for entry in log]
    for entry in reversed(updated):
        if entry.get("outcome") == "pending":
            entry["outcome"] = "helped" if helped else "not_helped"
            break
    return updated

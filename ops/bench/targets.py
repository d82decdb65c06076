"""The issue's targets, checked against the results; a miss says by how much, a missing figure says so."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from ops.bench.stats import ratio

RSS_LIMIT_MB = 1024


@dataclass
class Target:
    name: str
    value: float | None
    limit: float
    op: str  # "<=", "<", ">=", "=="
    unit: str
    met: bool | None = None
    verdict: str = ""

    def check(self) -> Target:
        if self.value is None:
            self.met, self.verdict = None, "not measured"
            return self
        value, limit = self.value, self.limit
        self.met = {"<=": value <= limit, "<": value < limit, ">=": value >= limit, "==": value == limit}[self.op]
        if self.met:
            self.verdict = "met"
        else:
            gap = abs(value - limit)
            share = f" ({gap / limit:.0%} {'under' if self.op == '>=' else 'over'})" if limit else ""
            self.verdict = f"missed by {gap:g} {self.unit}{share}".replace("  ", " ")
        return self


def _run(results: dict, side: str, name: str) -> dict | None:
    for run in (results.get(side) or {}).get("runs", []):
        if run["name"] == name:
            return run
    return None


def _get(run: dict | None, *keys: str) -> float | None:
    value: object = run
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, (int, float)) else None


def _faults(run: dict | None) -> float | None:
    return None if run is None else run["errors"] + run["empty_replies"]


def evaluate(results: dict) -> list[dict]:
    """One row per target of the issue, in its order."""
    sat, p30, p100 = (_run(results, "ours", n) for n in ("saturation", "paced_30", "paced_100"))
    stock30 = _run(results, "stock", "paced_30")
    every = (results.get("ours") or {}).get("runs", [])  # ours must answer everything; the stock bot is the floor
    long = (results.get("ours") or {}).get("long") or {}
    probes = sorted((long.get("at_turn") or {}).items(), key=lambda kv: int(kv[0]))
    late_label = probes[-1][0] if probes else "200"
    growth = ratio(probes[-1][1]["median_ms"], probes[0][1]["median_ms"]) if len(probes) >= 2 else None
    orders = results.get("orders") or {}
    full = not results.get("meta", {}).get("quick")
    rss = _get(p100, "rss", "rasa_server", "rss_mb")
    targets = [
        Target("saturation: messages/s", _get(sat, "messages_per_s"), 40, ">=", "msg/s"),
        Target("saturation: reply p95", _get(sat, "latency", "p95_ms"), 1000, "<", "ms"),
        Target("saturation: errors + empty replies", _faults(sat), 0, "==", "replies"),
        Target("30 paced customers: reply p95", _get(p30, "latency", "p95_ms"), 150, "<=", "ms"),
        Target("100 paced customers: reply p95", _get(p100, "latency", "p95_ms"), 500, "<=", "ms"),
        Target("100 paced customers: errors + empty replies", _faults(p100), 0, "==", "replies"),
        Target("every run of ours: errors + empty replies", sum(_faults(r) or 0 for r in every) if every else None,
               0, "==", "replies"),
        Target("30 paced: p95 ours / stock bot", ratio(_get(p30, "latency", "p95_ms"),
                                                      _get(stock30, "latency", "p95_ms")), 2, "<=", "×"),
        Target("order lookup p95, SQLite" + ("" if full else " (quick: small table)"),
               _get(orders.get("sqlite"), "lookup", "p95_ms"), 5, "<", "ms"),
        Target("order lookup p95, PostgreSQL" + ("" if full else " (quick: small table)"),
               _get(orders.get("postgresql"), "lookup", "p95_ms"), 5, "<", "ms"),
        Target(f"long conversation: turn {late_label} / turn 10 latency", growth, 1.5, "<=", "×"),
        Target("training from scratch", _get(results.get("training"), "from_scratch_s"), 180, "<", "s"),
        Target("Rasa server RSS after the 100-customer run", rss, RSS_LIMIT_MB, "<", "MB"),
    ]
    return [asdict(t.check()) for t in targets]

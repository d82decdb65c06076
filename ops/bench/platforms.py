"""Order lookup on each platform's database at 100,000 orders (MariaDB on 127.0.0.1:3306, root, no password).

For dujiaoka and acg-faka: a temporary database with the demo tables and rows (ops/platform_demo.py) plus
`--orders` random ones, then the lookup exactly as the action server calls it (LookupService over the platform's
source, with the right proof) for `--lookups` random orders, and the watcher's status poll of 500 orders at once.
Writes reports/bench/PLATFORMS.md and platforms.json (`make bench` runs it after the load benchmark).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, text

from ops import platform_demo
from ops.bench.stats import summary_ms
from topup.clock import Clock
from topup.db.engine import make_engine
from topup.db.schema import Base
from topup.model import Complaint
from topup.services.lookup import LookupService
from topup.sources.acgfaka import AcgFakaSource
from topup.sources.dujiaoka import DujiaokaSource
from topup.sources.platform_db import make_source_engine

SERVER = "mysql+pymysql://root@127.0.0.1:3306"
PROOFS = {
    "dujiaoka": "SELECT order_sn, email FROM orders WHERE deleted_at IS NULL ORDER BY RAND(:seed) LIMIT :n",
    "acgfaka": "SELECT trade_no, contact FROM acg_order WHERE CHAR_LENGTH(contact) >= 3 ORDER BY RAND(:seed) LIMIT :n",
}


def bench_platform(platform: str, work: Path, count: int, samples: int, seed: int = 7) -> dict:
    name = f"bench_{platform}_{os.getpid()}"
    url = f"{SERVER}/{name}"
    started = time.monotonic()
    platform_demo.load(url, platform)
    platform_demo.bulk(url, platform, count)
    load_s = time.monotonic() - started
    admin = create_engine(url, future=True)  # the harness reads the proofs (the adapter never could) and cleans up
    try:
        with admin.connect() as connection:
            cases = [(str(a).upper() if platform == "dujiaoka" else str(a), str(b))
                     for a, b in connection.execute(text(PROOFS[platform]), {"seed": seed, "n": samples})]
        zone = ZoneInfo("Asia/Shanghai")
        engine = make_source_engine(url, 2000)
        source = DujiaokaSource(engine, zone) if platform == "dujiaoka" else AcgFakaSource(engine, zone)
        ours = make_engine(f"sqlite:///{work / f'notices-{platform}.db'}")
        Base.metadata.create_all(ours)
        lookups = LookupService(ours, Clock(), source)
        for order_no, proof in cases[:20]:  # warm the pool and the buffer pool
            lookups.look_up(order_no, proof, Complaint.RECHARGE_STUCK)
        latencies, unverified = [], 0
        for order_no, proof in cases:
            t0 = time.perf_counter()
            unverified += not lookups.look_up(order_no, proof, Complaint.RECHARGE_STUCK).verified
            latencies.append(time.perf_counter() - t0)
        polls = []
        numbers = [c[0] for c in cases]
        for _ in range(20):
            batch = random.Random(len(polls)).sample(numbers, min(500, len(numbers)))
            t0 = time.perf_counter()
            source.statuses(batch)
            polls.append(time.perf_counter() - t0)
        source.close()
        ours.dispose()
        lookup = {**summary_ms(latencies), "unverified": unverified}
        return {"orders": count, "load_s": round(load_s, 1), "lookup": lookup,
                "poll_500": summary_ms(polls)}
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


def report(results: dict) -> str:
    lines = ["# Order lookup on the platforms' databases", "",
             f"Run {time.strftime('%Y-%m-%dT%H:%M:%S%z')} with `python -m ops.bench.platforms` (MariaDB on 127.0.0.1, "
             "the adapters of topup/sources through LookupService, the proof right). Load average before: "
             f"{results['load_before']}.", "",
             "| source | orders | lookups | p50 | p95 | p99 | unverified | status poll of 500 orders, p95 | target |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for platform in ("dujiaoka", "acgfaka"):
        r = results[platform]
        lookup = r["lookup"]
        verdict = "✅ met" if lookup["p95_ms"] < 5 else "❌ missed"
        lines.append(f"| {platform} | {r['orders'] + 0:,} (+ demo) | {lookup['n']} | {lookup['p50_ms']} ms | "
                     f"{lookup['p95_ms']} ms | {lookup['p99_ms']} ms | {lookup['unverified']} | "
                     f"{r['poll_500']['p95_ms']} ms | p95 < 5 ms: {verdict} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=Path("reports/bench"))
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"load_before": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    for platform in ("dujiaoka", "acgfaka"):
        print(f"  {platform}: {args.orders:,} orders, {args.lookups} lookups...", flush=True)
        results[platform] = bench_platform(platform, args.out, args.orders, args.lookups)
        print(f"    {results[platform]['lookup']}", flush=True)
    (args.out / "platforms.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    (args.out / "PLATFORMS.md").write_text(report(results), encoding="utf-8")
    for suffix in ("", "-wal", "-shm"):
        for platform in ("dujiaoka", "acgfaka"):
            Path(f"{args.out / f'notices-{platform}.db'}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

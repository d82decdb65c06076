"""Where the time goes: py-spy samples the Rasa server and the action server under saturation load.

    python -m ops.bench.profile [--seconds 40] [--customers 10] [--out reports/bench]     (make profile)

Starts the assistant as the benchmark does (embedded default), warms it up, then records both processes with
py-spy while simulated customers talk without pausing. Writes PROFILE.md: for each process the functions with
the most samples (inclusive: the function and what it calls) and the hottest lines (self time), plus the
messages per second reached while it was sampled (py-spy slows the processes a little).
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ops.bench import load, servers
from topup.settings import ROOT

# Frames from these are where the work is done, not the event loop or the profiler's plumbing.
OWN = ("rasa", "rasa_sdk", "sanic", "actions", "topup", "rasa_plugins", "sqlalchemy", "spacy", "tensorflow",
       "keras", "json", "jsonschema", "aiohttp", "jieba")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "py-spy"], check=True)
    return found


def record(pid: int, seconds: int, out: Path) -> subprocess.Popen:
    """py-spy in raw (collapsed stack) format; blocking sampling (non-blocking reads give torn stacks)."""
    return subprocess.Popen([py_spy(), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "100",
                             "--format", "raw", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def _short(frame: str) -> str:
    # "function (path/to/module.py:123)" -> "function (module.py:123)" with the package kept for context
    name, _, where = frame.partition(" (")
    path = where.rstrip(")")
    parts = path.split("/site-packages/")[-1].split("/work/main/")[-1]
    return f"{name} ({parts})"


def summarise(raw: Path, top: int = 25) -> tuple[int, list[tuple[str, int]], list[tuple[str, int]]]:
    """Total samples, the top functions by inclusive samples, and the top frames by self samples."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_short(f) for f in stack.split(";") if f]
        for frame in set(frames):
            inclusive[frame] += n
        if frames:
            own[frames[-1]] += n
    keep = [(f, n) for f, n in inclusive.most_common(400) if any(f"({p}" in f or f"({p}/" in f for p in OWN)]
    return total, keep[:top], own.most_common(top)


def _table(title: str, rows: list[tuple[str, int]], total: int) -> list[str]:
    lines = [f"#### {title}", "", "| share | samples | frame |", "| ---: | ---: | --- |"]
    lines += [f"| {n / max(total, 1):.0%} | {n} | `{frame}` |" for frame, n in rows]
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=40)
    parser.add_argument("--customers", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "bench")
    parser.add_argument("--keep", action="store_true", help="keep the raw py-spy stacks (printed path)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="topup-profile-"))
    with servers.ours(work) as stack:
        load.warm_up(stack.rasa_url, load.OUR_PATHS, "profile-warm")
        recorders = {name: record(stack.pids[process], args.seconds, work / f"{name}.raw")
                     for name, process in (("rasa", "rasa_server"), ("actions", "action_server"))}
        time.sleep(1)
        result: dict = {}
        runner = threading.Thread(target=lambda: result.update(run=load.run_load(
            stack.rasa_url, load.OUR_PATHS, "profiled", args.customers, 0.0, args.seconds - 3, 100_000, "profile")))
        runner.start()
        runner.join()
        for recorder in recorders.values():
            recorder.wait(timeout=args.seconds + 60)
    run = result["run"].to_dict()
    lines = ["# Where the time goes (py-spy, saturation load)", "",
             f"{args.customers} customers without pauses for {args.seconds - 3} s, sampled at 100 Hz: "
             f"{run['messages_per_s']} messages/s, p50 {run['latency'].get('p50_ms')} ms, "
             f"p95 {run['latency'].get('p95_ms')} ms, {run['errors']} errors while profiled.", ""]
    for name in ("rasa", "actions"):
        total, inclusive, own = summarise(work / f"{name}.raw")
        lines += [f"## {name} ({total} samples)", ""]
        lines += _table("inclusive (the function and everything it calls)", inclusive, total)
        lines += _table("self (where the CPU actually is)", own, total)
    (args.out / "PROFILE.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {args.out / 'PROFILE.md'}")
    if args.keep:
        print(f"raw stacks in {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Train each pipeline in ops/nlu_eval/configs on data/nlu, evaluate it on the held-out set, write the report.

    python -m ops.nlu_eval.compare [--out reports/nlu]     (make eval-nlu)
Every run uses the same training data and the same held-out set; times are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ops.nlu_eval.evaluate import evaluate, summary
from ops.nlu_eval.report import write_report
from topup.settings import ROOT

CONFIGS = Path(__file__).resolve().parent / "configs"
CHOSEN = "d_spacy_words_chars12"  # the pipeline config.yml ships


def train(config: Path, out_dir: Path) -> tuple[Path, float]:
    """Train from scratch (an empty Rasa cache), so the time is a real training time."""
    cache = Path(tempfile.mkdtemp(prefix="rasa-cache-", dir=out_dir))
    started = time.monotonic()
    subprocess.run(
        [Path(sys.executable).parent / "rasa", "train", "nlu", "--config", str(config), "--nlu", "data/nlu",
         "--out", str(out_dir), "--fixed-model-name", config.stem],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": str(cache)},
    )
    return out_dir / f"{config.stem}.tar.gz", time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "nlu")
    parser.add_argument("--only", nargs="*", help="config names (default: all)")
    args = parser.parse_args(argv)
    configs = sorted(CONFIGS.glob("*.yml"))
    if args.only:
        configs = [c for c in configs if c.stem in args.only]
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for config in configs:
            model, seconds = train(config, Path(tmp))
            is_chosen = config.stem == CHOSEN
            report = evaluate(model, args.out if is_chosen else None)
            print(f"{config.stem}: trained in {seconds:.0f} s; {summary(report)}", flush=True)
            description = config.read_text(encoding="utf-8").splitlines()[0].lstrip("# ")
            results.append({"name": config.stem, "description": description, "train_seconds": seconds,
                            "chosen": is_chosen, "report": report})
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "comparison.json").write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    write_report(results, args.out / "REPORT.md")
    print(f"report written to {args.out / 'REPORT.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

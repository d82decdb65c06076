"""Training time: from scratch with an empty cache, then again after changing one NLU example.

Runs on a copy of config.yml, domain.yml and data/ in a temporary folder, so the project's models/ and its
cache are untouched; build/ (the spaCy pipeline config.yml points at) is linked, not rebuilt.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

from ops.bench.servers import BIN, ROOT, base_env

TRAIN_TIMEOUT_S = 1200
EXAMPLE = re.compile(r"^(\s+- )(\S.*)$")
TRAINED = re.compile(r"Starting to train component '(\w+)'")
RESTORED = re.compile(r"Restored component '(\w+)' from cache")


def cache_use(log: Path) -> dict[str, list[str]]:
    """Which components Rasa trained and which it restored from its cache (its own log lines say so)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return {"trained": sorted(set(TRAINED.findall(text))), "restored": sorted(set(RESTORED.findall(text)))}


def _train(project: Path, cache: Path, name: str, log: Path) -> float:
    env = {**base_env(), "RASA_CACHE_DIRECTORY": str(cache), "PYTHONPATH": str(ROOT)}
    started = time.monotonic()
    with log.open("w") as out:
        subprocess.run([str(BIN / "rasa"), "train", "--config", "config.yml", "--domain", "domain.yml", "--data",
                        "data", "--out", "models", "--fixed-model-name", name], cwd=project, env=env, check=True,
                       stdout=out, stderr=subprocess.STDOUT, timeout=TRAIN_TIMEOUT_S)
    return time.monotonic() - started


def change_one_example(nlu_file: Path) -> str:
    """Append a character to the first training example: the smallest edit that changes the NLU fingerprint."""
    lines = nlu_file.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, line in enumerate(lines):
        match = EXAMPLE.match(line.rstrip("\n"))
        if match and "examples" in "".join(lines[max(0, index - 2):index]):
            lines[index] = f"{match.group(1)}{match.group(2)}呀\n"
            nlu_file.write_text("".join(lines), encoding="utf-8")
            return f"{match.group(2)} -> {match.group(2)}呀"
    raise ValueError(f"no NLU example found in {nlu_file}")


def bench_training(work: Path) -> dict:
    project, cache = work / "train", work / "train-cache"
    for folder in (project, cache):
        if folder.exists():
            shutil.rmtree(folder)
    project.mkdir(parents=True)
    for name in ("config.yml", "domain.yml"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "data", project / "data")
    (project / "build").symlink_to(ROOT / "build", target_is_directory=True)
    scratch = _train(project, cache, "scratch", work / "train-scratch.log")
    edit = change_one_example(project / "data" / "nlu" / "complaints.yml")
    incremental = _train(project, cache, "incremental", work / "train-incremental.log")
    return {
        "from_scratch_s": round(scratch, 1),
        "after_one_nlu_change_s": round(incremental, 1),
        "changed_example": edit,
        "components_scratch": cache_use(work / "train-scratch.log"),
        "components_after_change": cache_use(work / "train-incremental.log"),
        "cache_mb": round(sum(f.stat().st_size for f in cache.rglob("*") if f.is_file()) / 2**20, 1),
    }

"""What the repository's files name exists: paths, modules, make targets. A comment or a doc that points at a
file, module or target that is gone misleads the next reader, so it fails here."""

from __future__ import annotations

import importlib.util
import re
import subprocess

from topup.settings import ROOT

TOP = ("actions", "topup", "rasa_plugins", "ops", "web", "tests", "docs", "data", "demo", "models", "reports",
       # folders that moved: a mention of one is a stale reference
       "serving", "channels", "policies", "nlu_zh", "nlu_eval", "bench", "scripts", "deploy", "migrations")
TEXT = (".py", ".md", ".yml", ".yaml", ".sh", ".toml", ".ini", ".conf", ".template", ".html", ".js", ".css", ".mako")
# A path as prose writes it: a top-level folder, then path characters (globs allowed), not inside a URL.
PATH = re.compile(rf"(?<![\w./:-])((?:{'|'.join(TOP)})/[\w./*-]*[\w*/])")
CODE = ("actions", "topup", "rasa_plugins", "ops", "web", "tests", "serving", "channels", "policies", "nlu_zh",
        "nlu_eval", "bench")
MODULE = re.compile(rf"(?<![\w./-])((?:{'|'.join(CODE)})(?:\.\w+)+)")
MAKE = re.compile(r"`make ([a-z][\w-]*)")
GENERATED = ("var/", "build/", "results/", "models/topup.tar.gz", "reports/bench/quick")


def tracked() -> list[str]:
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    extra = subprocess.run(["git", "ls-files", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.split()
    return [n for n in names + extra if n.endswith(TEXT) or n.endswith(("Makefile", "Dockerfile"))]


def _exists(path: str) -> bool:
    path = path.rstrip(".")
    if path.startswith(GENERATED) or any(ch in path for ch in "<>{}$"):
        return True
    if "*" in path:
        return any(ROOT.glob(path))
    return (ROOT / path).exists()


def _module_exists(dotted: str) -> bool:
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):  # the longest importable prefix; the rest may be a class or function
        name = ".".join(parts[:end])
        try:
            if importlib.util.find_spec(name) is not None:
                return True
        except (ImportError, ValueError):
            continue
    return False


def test_every_named_path_exists() -> None:
    missing = []
    for name in tracked():
        if name.startswith("tests/"):  # tests name made-up paths on purpose
            continue
        for number, line in enumerate((ROOT / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for path in PATH.findall(line):
                if not _exists(path):
                    missing.append(f"{name}:{number}: {path}")
    assert missing == []


def test_every_named_module_exists() -> None:
    missing = []
    for name in tracked():
        if name.startswith("tests/"):
            continue
        for number, line in enumerate((ROOT / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for dotted in MODULE.findall(line):
                if dotted.endswith((".py", ".yml", ".md", ".js", ".css", ".html", ".sh", ".txt", ".json", ".db")):
                    continue  # a file name, checked as a path
                if not _module_exists(dotted):
                    missing.append(f"{name}:{number}: {dotted}")
    assert missing == []


def test_every_named_make_target_exists() -> None:
    targets = set(re.findall(r"^([a-z][\w-]*):", (ROOT / "Makefile").read_text(), re.M))
    missing = []
    for name in tracked():
        for number, line in enumerate((ROOT / name).read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            missing += [f"{name}:{number}: make {t}" for t in MAKE.findall(line) if t not in targets]
    assert missing == []

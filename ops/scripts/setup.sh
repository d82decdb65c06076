#!/usr/bin/env bash
# Install everything into .venv (Python 3.10, which Rasa 3.6 needs) and build the spaCy pipeline.
# Idempotent: reinstalls only when requirements.txt changed.
set -euo pipefail
cd "$(dirname "$0")/../.."

find_python() {
  for candidate in "$(command -v pyenv >/dev/null 2>&1 && pyenv root)/versions/3.10.13/bin/python" \
                   "$HOME/.pyenv/versions/3.10.13/bin/python" "$(command -v python3.10 || true)"; do
    if [ -x "$candidate" ] && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "Python 3.10 not found: install it (e.g. 'pyenv install 3.10.13') and run again." >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  "$(find_python)" -m venv .venv
fi
stamp=.venv/.requirements.sha
want="$(sha256sum requirements.txt pyproject.toml | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "Installing Python packages (first time: a few minutes, about 3 GB)..."
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  .venv/bin/python -m pip install -q --no-deps -e .
  echo "$want" > "$stamp"
fi

# The spaCy pipeline is rebuilt when its sources change.
spacy_stamp=build/spacy_zh/.sources.sha
spacy_want="$(cat rasa_plugins/nlu_zh/*.py rasa_plugins/nlu_zh/resources/* | sha256sum | cut -c1-16)"
if [ "$(cat "$spacy_stamp" 2>/dev/null)" != "$spacy_want" ]; then
  .venv/bin/python -m rasa_plugins.nlu_zh.build build/spacy_zh
  echo "$spacy_want" > "$spacy_stamp"
fi

#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed since the last training (or none exists).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# One training at a time: parallel runs (tests, helpers, make run) wait for each other.
exec 9>var/train.lock
flock 9
inputs="$(cat config.yml domain.yml build/spacy_zh/.sources.sha $(find data -name '*.yml' | sort) | sha256sum | cut -c1-16)"
latest="$(ls -t models/*.tar.gz 2>/dev/null | head -n 1 || true)"
if [ -n "$latest" ] && [ "$(cat models/.inputs.sha 2>/dev/null)" = "$inputs" ]; then
  echo "Model is up to date: $latest"
  exit 0
fi
rasa train --fixed-model-name topup --out models
echo "$inputs" > models/.inputs.sha

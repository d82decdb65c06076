#!/usr/bin/env bash
# Train the Rasa model only when its inputs changed since the last training (or none exists): the config, the
# domain, the training data, the built spaCy pipeline, and the code the model runs (the NLU components, the core
# readers they call, and the rule policy: the trained model names them and their code decides what it learns).
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/.venv/bin:$PATH" RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
mkdir -p var
# One training at a time: parallel runs (tests, helpers, make run) wait for each other.
exec 9>var/train.lock
flock 9
inputs="$(cat config.yml domain.yml build/spacy_zh/.sources.sha $(find data -name '*.yml' | sort) \
  $(find rasa_plugins/nlu_zh -name '*.py' | sort) rasa_plugins/windowed_rules.py \
  topup/text.py topup/patterns.py topup/order_number.py topup/pii.py | sha256sum | cut -c1-16)"
latest="$(ls -t models/*.tar.gz 2>/dev/null | head -n 1 || true)"
if [ -n "$latest" ] && [ "$(cat models/.inputs.sha 2>/dev/null)" = "$inputs" ]; then
  echo "Model is up to date: $latest"
  exit 0
fi
rasa train --fixed-model-name topup --out models
echo "$inputs" > models/.inputs.sha

# Sourced by the Makefile's commands (`. ops/scripts/env.sh`): the project's Python first on PATH, and the
# variables Rasa's endpoints.yml expands, computed from the settings (topup/settings.py, docs/CONFIGURATION.md)
# for `rasa shell` and `rasa test`. Every other setting is read by the processes themselves.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PATH="$ROOT/.venv/bin:$PATH"
export RASA_TELEMETRY_ENABLED=false SQLALCHEMY_SILENCE_UBER_WARNING=1
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
if ! _endpoints="$(cd "$ROOT" && python -m topup.settings endpoints-env)"; then
  return 2 2>/dev/null || exit 2
fi
eval "$_endpoints"
unset _endpoints

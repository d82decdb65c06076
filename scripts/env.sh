# Embedded defaults for every setting endpoints.yml and the code read; any of them can be set beforehand.
# Sourced by the other scripts: `. scripts/env.sh`.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PATH="$ROOT/.venv/bin:$PATH"
export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:5055/webhook}"
export TRACKER_DIALECT="${TRACKER_DIALECT:-sqlite}"
export TRACKER_HOST="${TRACKER_HOST:-}"
export TRACKER_DB="${TRACKER_DB:-$ROOT/var/tracker.db}"
export TOPUP_DATABASE_URL="${TOPUP_DATABASE_URL:-sqlite:///$ROOT/var/topup.db}"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export WEB_PORT="${WEB_PORT:-8080}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:$RASA_PORT}"
mkdir -p "$ROOT/var"

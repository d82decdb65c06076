# Embedded defaults for every setting endpoints.yml and the code read; any of them can be set beforehand.
# Sourced by the other scripts: `. scripts/env.sh`.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
export PATH="$ROOT/.venv/bin:$PATH"
export RASA_TELEMETRY_ENABLED=false
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export SQLALCHEMY_SILENCE_UBER_WARNING=1
# The one switch: TOPUP_DEPLOYMENT=scaled moves orders/tickets and the tracker store to PostgreSQL and the
# lock store and shared rate limits to Redis (both on 127.0.0.1 unless set), and makes the run command
# start TOPUP_RASA_SERVERS Rasa servers and TOPUP_ACTION_SERVERS action servers behind balancers.
export TOPUP_DEPLOYMENT="${TOPUP_DEPLOYMENT:-embedded}"
if [ "$TOPUP_DEPLOYMENT" = "scaled" ]; then
  export PG_HOST="${PG_HOST:-127.0.0.1}" PG_PORT="${PG_PORT:-5432}" PG_USER="${PG_USER:-postgres}"
  export TOPUP_DATABASE_URL="${TOPUP_DATABASE_URL:-postgresql+psycopg2://$PG_USER@$PG_HOST:$PG_PORT/topup}"
  export TRACKER_DIALECT="${TRACKER_DIALECT:-postgresql}" TRACKER_DB="${TRACKER_DB:-topup_tracker}"
  export TRACKER_HOST="${TRACKER_HOST:-postgresql://$PG_USER@$PG_HOST:$PG_PORT/$TRACKER_DB}"
  export LOCK_STORE_TYPE="${LOCK_STORE_TYPE:-serving.lock_store.AtomicRedisLockStore}"
  export TOPUP_REDIS_URL="${TOPUP_REDIS_URL:-redis://127.0.0.1:6379/2}"
  export TOPUP_RASA_SERVERS="${TOPUP_RASA_SERVERS:-2}" TOPUP_ACTION_SERVERS="${TOPUP_ACTION_SERVERS:-2}"
fi
export ACTION_ENDPOINT_URL="${ACTION_ENDPOINT_URL:-http://127.0.0.1:5055/webhook}"
export TRACKER_DIALECT="${TRACKER_DIALECT:-sqlite}"
export TRACKER_HOST="${TRACKER_HOST:-}"
export TRACKER_DB="${TRACKER_DB:-$ROOT/var/tracker.db}"
export LOCK_STORE_TYPE="${LOCK_STORE_TYPE:-in_memory}"
export LOCK_STORE_HOST="${LOCK_STORE_HOST:-127.0.0.1}"
export LOCK_STORE_PORT="${LOCK_STORE_PORT:-6379}"
export LOCK_STORE_DB="${LOCK_STORE_DB:-1}"
export TOPUP_DATABASE_URL="${TOPUP_DATABASE_URL:-sqlite:///$ROOT/var/topup.db}"
export RASA_PORT="${RASA_PORT:-5005}"
export ACTION_PORT="${ACTION_PORT:-5055}"
export WEB_PORT="${WEB_PORT:-8080}"
export RASA_URL="${RASA_URL:-http://127.0.0.1:$RASA_PORT}"
mkdir -p "$ROOT/var"
# Secrets: whatever the environment sets wins; otherwise random ones made once for this checkout
# (var/secrets.env, readable by its owner only). The action server token and the Rasa API token.
if [ ! -s "$ROOT/var/secrets.env" ]; then
  ( umask 077
    for name in TOPUP_ACTION_TOKEN RASA_TOKEN; do
      echo "$name=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    done > "$ROOT/var/secrets.env" )
fi
while IFS='=' read -r name value; do
  if [ -n "$name" ] && [ -z "${!name:-}" ]; then export "$name=$value"; fi
done < "$ROOT/var/secrets.env"
export TOPUP_BIND_HOST="${TOPUP_BIND_HOST:-127.0.0.1}"

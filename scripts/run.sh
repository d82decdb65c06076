#!/usr/bin/env bash
# The run command: install, build, train if needed, migrate and load demo data, start everything.
# TOPUP_DEPLOYMENT=scaled (make run-scaled) runs N Rasa servers and M action servers on PostgreSQL and
# Redis behind two balancers; see docs/DEPLOYMENT.md. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
echo "Training the model if its inputs changed (about a minute; log in var/train.log)..."
bash scripts/train.sh >var/train.log 2>&1 || { tail -n 40 var/train.log; exit 1; }
tail -n 1 var/train.log
python -m serving.prepare
python -m topup.cli init-db --demo

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

start_rasa() {  # port log (SANIC_WORKERS: processes per Rasa server; Rasa allows more than 1 only with Redis locks)
  SANIC_WORKERS="${TOPUP_RASA_WORKERS:-1}" python -m serving.rasa_server run --enable-api --auth-token "$RASA_TOKEN" -i "$TOPUP_BIND_HOST" \
    --port "$1" --model models/topup.tar.gz \
    --endpoints endpoints.yml --credentials credentials.yml --cors "*" >"$2" 2>&1 &
  pids+=($!)
}

waits=()
if [ "$TOPUP_DEPLOYMENT" = "scaled" ]; then
  rasa_up=() action_up=()
  for i in $(seq 1 "$TOPUP_ACTION_SERVERS"); do
    port=$((ACTION_PORT + i))
    python -m serving.action_server --port "$port" >"var/actions-$i.log" 2>&1 &
    pids+=($!); action_up+=(--upstream "http://127.0.0.1:$port"); waits+=("http://127.0.0.1:$port/health")
  done
  for i in $(seq 1 "$TOPUP_RASA_SERVERS"); do
    port=$((RASA_PORT + 100 + i))
    SANIC_PROXIES_COUNT=1 start_rasa "$port" "var/rasa-$i.log"
    rasa_up+=(--upstream "http://127.0.0.1:$port"); waits+=("http://127.0.0.1:$port/")
  done
  python -m serving.balancer --port "$ACTION_PORT" --health /health "${action_up[@]}" >var/balancer-actions.log 2>&1 &
  pids+=($!)
  python -m serving.balancer --port "$RASA_PORT" --health / --sticky "${rasa_up[@]}" >var/balancer-rasa.log 2>&1 &
  pids+=($!)
  echo "Scaled out: $TOPUP_RASA_SERVERS Rasa servers, $TOPUP_ACTION_SERVERS action servers, PostgreSQL and Redis."
else
  python -m serving.action_server --port "$ACTION_PORT" >var/actions.log 2>&1 &
  pids+=($!)
  start_rasa "$RASA_PORT" var/rasa.log
fi
python -m web >var/web.log 2>&1 &
pids+=($!)

echo "Starting (the model takes about 30 s to load; logs in var/)..."
python scripts/wait_ready.py "${waits[@]}" "http://127.0.0.1:$RASA_PORT/" "http://127.0.0.1:$ACTION_PORT/health" \
  "http://127.0.0.1:$WEB_PORT/"
cat <<MSG

The assistant is up ($TOPUP_DEPLOYMENT):
  chat page        http://127.0.0.1:$WEB_PORT/          (signed-in demo customer: /demo-shop)
  agent console    http://127.0.0.1:$WEB_PORT/console   (demo agents xiaowang / xiaoli, password demo-agent-pass)
  REST channel     POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  {"sender": "me", "message": "你好"}
  Rasa HTTP API    needs ?token=\$RASA_TOKEN (in var/secrets.env)
  chat in terminal make shell   (in another terminal)
  open tickets     make tickets
Demo orders and their phone tails are listed in README.md. Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "A server stopped; see the logs in var/." >&2
exit 1

#!/usr/bin/env bash
# The run command: install, build, train if needed, load demo data, start the action server and Rasa.
# Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. scripts/env.sh
echo "Training the model if its inputs changed (about a minute; log in var/train.log)..."
bash scripts/train.sh >var/train.log 2>&1 || { tail -n 40 var/train.log; exit 1; }
tail -n 1 var/train.log
python -m topup.cli init-db --demo

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

rasa run actions --actions actions --port "$ACTION_PORT" >var/actions.log 2>&1 &
pids+=($!)
rasa run --enable-api --port "$RASA_PORT" --model models/topup.tar.gz \
  --endpoints endpoints.yml --credentials credentials.yml --cors "*" >var/rasa.log 2>&1 &
pids+=($!)
python -m web >var/web.log 2>&1 &
pids+=($!)

echo "Starting (the model takes about 30 s to load; logs in var/rasa.log, var/actions.log, var/web.log)..."
python scripts/wait_ready.py "http://127.0.0.1:$RASA_PORT/status" "http://127.0.0.1:$ACTION_PORT/health" \
  "http://127.0.0.1:$WEB_PORT/"
cat <<MSG

The assistant is up:
  chat page        http://127.0.0.1:$WEB_PORT/          (signed-in demo customer: /demo-shop)
  agent console    http://127.0.0.1:$WEB_PORT/console   (demo agents xiaowang / xiaoli, password demo-agent-pass)
  REST channel     POST http://127.0.0.1:$RASA_PORT/webhooks/rest/webhook  {"sender": "me", "message": "你好"}
  chat in terminal make shell   (in another terminal)
  open tickets     make tickets
Demo orders and their phone tails are listed in README.md. Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "A server stopped; see var/rasa.log and var/actions.log." >&2
exit 1

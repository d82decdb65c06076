#!/usr/bin/env bash
# The run command: install, build, train if needed, then the launcher (python -m ops.launcher run) prepares the
# databases and demo data and starts every process under supervisord. TOPUP_DEPLOYMENT=scaled (make run-scaled)
# runs several Rasa and action servers on PostgreSQL and Redis behind nginx (installed from Debian's packages
# here when missing); see docs/DEPLOYMENT.md. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash ops/scripts/setup.sh
. ops/scripts/env.sh
mkdir -p var
echo "Training the model if its inputs changed (about a minute; log in var/train.log)..."
bash ops/scripts/train.sh >var/train.log 2>&1 || { tail -n 40 var/train.log; exit 1; }
tail -n 1 var/train.log
if [ "${TOPUP_DEPLOYMENT:-embedded}" = "scaled" ] && ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  bash ops/scripts/install-nginx.sh
fi
exec python -m ops.launcher run

#!/usr/bin/env bash
# The run command on a platform's database instead of the built-in schema: `make run-dujiaoka`, `make run-acgfaka`.
# Loads this project's own DDL of the platform's tables with demo orders of every status (demo/platforms/) into a
# MariaDB database (TOPUP_DEMO_PLATFORM_URL, default root on 127.0.0.1:3306), prints what to type, then runs the
# assistant on it exactly as `make run` does (docs/PLATFORMS.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
platform="${1:?usage: run-platform.sh dujiaoka|acgfaka}"
bash ops/scripts/setup.sh
url="${TOPUP_DEMO_PLATFORM_URL:-mysql+pymysql://root@127.0.0.1:3306/topup_demo_${platform}}"
.venv/bin/python -m ops.platform_demo --platform "$platform" --url "$url"
export TOPUP_ORDER_SOURCE="$platform" TOPUP_ORDER_SOURCE_URL="$url"
exec bash ops/scripts/run.sh

#!/usr/bin/env bash
# nginx from Debian's packages, for the scaled deployment (the launcher runs its own nginx under supervisord).
# Debian's package would also start a system-wide nginx on port 80: a policy-rc.d keeps it from starting while
# the package installs, and goes again afterwards (also when the install fails or is interrupted).
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then exit 0; fi
echo "Installing nginx from Debian's packages (the scaled deployment runs behind it)..."
sudo=(); [ "$(id -u)" = 0 ] || sudo=(sudo)
if [ ! -e /usr/sbin/policy-rc.d ]; then
  trap '"${sudo[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${sudo[@]}" chmod +x /usr/sbin/policy-rc.d
fi
if ! { "${sudo[@]}" apt-get update -qq &&
       DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq nginx >/dev/null; }; then
  echo "Could not install nginx (apt-get install nginx): install it and run again." >&2
  exit 1
fi

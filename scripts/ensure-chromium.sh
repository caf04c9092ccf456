#!/usr/bin/env bash
# The browser tests drive Debian's chromium. Install it when missing and we are root;
# otherwise say why the browser tests will be skipped (CI=true makes them fail instead).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
else
  echo "chromium is not installed and cannot be installed here (need root and apt-get):" \
       "the browser tests will be skipped" >&2
fi

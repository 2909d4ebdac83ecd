#!/bin/sh
# The console's optional parts: Open MCT (npm ci of ground/web's pinned lock file, with node
# and npm from Debian's archive where missing) and, with --browser, Debian's chromium for the
# browser test (driven by Playwright for Python from the `browser` extra; never
# `playwright install`). Usage: tools/install-console.sh [--browser] [PYTHON]
set -e
browser=0
[ "$1" = "--browser" ] && { browser=1; shift; }
PY=${1:-.venv/bin/python}
need=""
command -v npm >/dev/null 2>&1 || need="$need nodejs npm"
[ $browser = 1 ] && ! command -v chromium >/dev/null 2>&1 && need="$need chromium"
if [ -n "$need" ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing from Debian:$need"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null 2>&1 \
      || echo "warning: could not install$need; the console/browser tests will skip"
  else
    echo "note:$need missing (not root or no apt); the console/browser tests will skip"
  fi
fi
if command -v npm >/dev/null 2>&1; then
  "$PY" -c "from ground import openmct; d = openmct.dist_dir() or openmct.install(); print('Open MCT', openmct.pinned_version(), 'in', d)" \
    || echo "warning: Open MCT not installed; msr gds web serves the API only"
fi
exit 0

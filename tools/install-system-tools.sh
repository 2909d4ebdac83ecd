#!/bin/sh
# Install socat and rt-tests (cyclictest) where possible; never fail the build over them.
need=""
command -v socat >/dev/null 2>&1 || need="$need socat"
command -v cyclictest >/dev/null 2>&1 || need="$need rt-tests"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system tools:$need"
  (apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null 2>&1) \
    || echo "warning: could not install$need; tests that need them will skip"
else
  echo "note:$need not installed (not root or no apt); tests that need them will skip"
fi
exit 0

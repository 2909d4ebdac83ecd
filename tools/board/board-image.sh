#!/bin/sh
# An emulated aarch64 board for tests: a Debian bookworm arm64 root file system run under
# qemu-user through binfmt_misc, cached as a tarball so later runs take seconds.
#
#   board-image.sh setup              host tools (apt: mmdebstrap, arch-test, qemu-user-static,
#                                     binfmt-support) and the qemu-aarch64 binfmt handler
#   board-image.sh build              setup, then the cached image (built if missing); prints its path
#   board-image.sh unpack DIR         a fresh root fs from the cached image in DIR (must not exist)
#   board-image.sh run [--net] DIR CMD [ARG...]
#                                     CMD inside DIR (chroot) with /dev bind-mounted (ptys
#                                     visible) and /proc; the network is unshared (no
#                                     interface but a down loopback) unless --net
#
# Exit status: 0 done; 2 usage; 3 this machine cannot (not root, no apt, no binfmt_misc):
# the last line on stderr says why. Everything comes from Debian's archive; nothing by hand.
# The cache lives in $MSR_BOARD_CACHE (default ~/.cache/msr-board), keyed by this script's
# hash: changing the package list below makes a new image and removes the old ones.
set -eu

SUITE=bookworm
MIRROR=${MSR_BOARD_MIRROR:-http://deb.debian.org/debian}
# python3 (3.11 on bookworm) and venv/pip for the offline install; no compiler: every
# dependency arrives as a wheel built for the board.
PACKAGES=python3,python3-venv
HOST_PACKAGES="mmdebstrap arch-test qemu-user-static binfmt-support"
CACHE=${MSR_BOARD_CACHE:-${HOME:-/root}/.cache/msr-board}
HERE=$(cd "$(dirname "$0")" && pwd)
SELF="$HERE/$(basename "$0")"

say() { echo "board-image: $*" >&2; }
cannot() { say "cannot: $*"; exit 3; }
usage() { sed -n '4,13p' "$SELF" | sed 's/^# \{0,1\}//' >&2; exit 2; }

key() { sha256sum "$SELF" | cut -c1-16; }
image_path() { echo "$CACHE/$SUITE-arm64-$(key).tar.gz"; }

binfmt_ready() {
  [ -r /proc/sys/fs/binfmt_misc/qemu-aarch64 ] && head -n1 /proc/sys/fs/binfmt_misc/qemu-aarch64 | grep -q enabled
}

setup() {
  [ "$(id -u)" = 0 ] || cannot "not root: installing Debian packages, registering binfmt and chroot need root"
  missing=""
  for p in $HOST_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    command -v apt-get >/dev/null 2>&1 || cannot "no apt-get to install$missing (a Debian-based host is needed)"
    say "installing$missing (apt)"
    apt-get update -qq >/dev/null 2>&1 || cannot "apt-get update failed (no access to Debian's archive?)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null \
      || cannot "apt-get install$missing failed"
  fi
  if ! binfmt_ready; then
    if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
      mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
        || cannot "binfmt_misc is not mounted and cannot be (a container without CAP_SYS_ADMIN, or a kernel without CONFIG_BINFMT_MISC): aarch64 programs cannot run here"
    fi
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    if ! binfmt_ready; then
      # some hosts have the handler file but binfmt-support did not import it
      update-binfmts --import qemu-aarch64 >/dev/null 2>&1 || true
      update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    fi
    binfmt_ready || cannot "the qemu-aarch64 binfmt handler could not be registered (update-binfmts --enable qemu-aarch64 failed; is /proc/sys/fs/binfmt_misc writable?)"
  fi
  grep -q '^flags:.*F' /proc/sys/fs/binfmt_misc/qemu-aarch64 \
    || cannot "the qemu-aarch64 handler lacks the F (fix binary) flag: a chroot would not find the emulator"
}

build() {
  setup
  img=$(image_path)
  if [ ! -s "$img" ]; then
    mkdir -p "$CACHE"
    tmp="$img.part.tar.gz"
    rm -f "$tmp"
    say "building $SUITE arm64 ($PACKAGES) into $img (a few minutes, once)"
    mmdebstrap --quiet --arch=arm64 --variant=minbase --include="$PACKAGES" \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
      --customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/*' \
      "$SUITE" "$tmp" "$MIRROR" >&2 || { rm -f "$tmp"; cannot "mmdebstrap failed (see above)"; }
    mv "$tmp" "$img"
    # one image at a time: older keys are stale
    for old in "$CACHE"/*.tar.gz; do [ "$old" = "$img" ] || rm -f "$old"; done
  fi
  echo "$img"
}

unpack() {
  dir=${1:?usage: unpack DIR}
  [ ! -e "$dir" ] || { say "$dir exists; unpack wants a new directory"; exit 2; }
  img=$(build)
  mkdir -p "$dir"
  tar -xzf "$img" -C "$dir"
  [ -x "$dir/usr/bin/python3" ] || cannot "the image in $img has no python3"
}

run() {
  net=0
  if [ "${1:-}" = "--net" ]; then net=1; shift; fi
  root=${1:?usage: run [--net] DIR CMD...}
  shift
  [ $# -gt 0 ] || usage
  [ -x "$root/usr/bin/python3" ] || { say "$root is not an unpacked board image"; exit 2; }
  setup
  root=$(cd "$root" && pwd)
  flags="--mount --propagation private"
  [ "$net" = 1 ] || flags="$flags --net"
  # a private mount namespace: the bind mounts vanish with the command, nothing to clean up
  # shellcheck disable=SC2086
  exec unshare $flags sh -c '
    root=$1; shift
    mount --rbind /dev "$root/dev" && mount -t proc proc "$root/proc" || exit 3
    exec chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
  ' board "$root" "$@"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  setup) setup; say "ready: qemu-aarch64 registered with binfmt_misc" ;;
  build) build ;;
  unpack) unpack "$@" ;;
  run) run "$@" ;;
  path) image_path ;;
  *) usage ;;
esac

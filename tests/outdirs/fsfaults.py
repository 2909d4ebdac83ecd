"""Small file systems that fail on purpose, in a private mount namespace (`unshare`), so a
test can run a command against a full disk or a read-only directory without touching the
machine's mounts (they vanish with the process). Root, or an unprivileged user namespace,
is needed; `available()` says whether this machine allows it."""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from pathlib import Path


def _unshare() -> list[str]:
    cmd = ["unshare", "--mount", "--propagation", "private"]
    return cmd if os.geteuid() == 0 else cmd + ["--user", "--map-root-user"]


@functools.lru_cache(maxsize=1)
def available() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(_unshare() + ["sh", "-c", 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d" '
                                                    '&& umount "$d"; rc=$?; rmdir "$d"; exit $rc'],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def run_with_mounts(root: Path, argv: list[str], *, small_kb: int = 256, timeout_s: float = 600,
                    **kw) -> subprocess.CompletedProcess:
    """Run `argv` with, under `root`: full/ (a tmpfs filled to the last byte), ro/ (a read-only
    tmpfs) and small/ (a tmpfs of `small_kb` KiB, empty)."""
    for name in ("full", "ro", "small"):
        (root / name).mkdir(parents=True, exist_ok=True)
    script = ('mount -t tmpfs -o size=64k tmpfs "$0/full" && '
              '{ dd if=/dev/zero of="$0/full/fill" bs=4k 2>/dev/null; true; } && '
              'mount -t tmpfs -o size=64k,ro tmpfs "$0/ro" && '
              'mount -t tmpfs -o size="$1"k tmpfs "$0/small" && shift && exec "$@"')
    return subprocess.run(_unshare() + ["sh", "-c", script, str(root), str(small_kb), *argv],
                          capture_output=True, text=True, timeout=timeout_s, **kw)

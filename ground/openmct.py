"""Where Open MCT lives and how it gets there: `npm ci` of the pinned lock file in
ground/web/ into a cache directory, on demand (`msr gds web --install`, `make console`).

Nothing is fetched at run time: the console serves Open MCT's `dist/` from that directory.
The directory is `$MSR_OPENMCT_DIR`, else `$XDG_CACHE_HOME/msr-console/openmct-VERSION`
(default `~/.cache/...`).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

WEB = Path(__file__).parent / "web"


def pinned_version() -> str:
    return json.loads((WEB / "package.json").read_text())["dependencies"]["openmct"]


def install_dir() -> Path:
    env = os.environ.get("MSR_OPENMCT_DIR")
    if env:
        return Path(env)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "msr-console" / f"openmct-{pinned_version()}"


def dist_dir() -> Path | None:
    """Open MCT's dist/ if the pinned version is installed, else None."""
    pkg = install_dir() / "node_modules" / "openmct"
    try:
        version = json.loads((pkg / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None
    dist = pkg / "dist"
    return dist if version == pinned_version() and (dist / "openmct.js").is_file() else None


class InstallError(RuntimeError):
    """npm is missing or `npm ci` failed (the message says which)."""


def install(echo=print) -> Path:
    """npm ci the pinned Open MCT into install_dir(); returns its dist/."""
    npm = shutil.which("npm")
    if npm is None:
        raise InstallError("npm is not installed: `make console` installs node and npm from "
                           "Debian's archive (or: apt-get install nodejs npm)")
    target = install_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(WEB / name, target / name)
    echo(f"installing Open MCT {pinned_version()} into {target} (npm ci)")
    res = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=target,
                         capture_output=True, text=True)
    if res.returncode != 0:
        tail = (res.stderr or res.stdout).strip().splitlines()[-3:]
        raise InstallError("npm ci failed: " + " | ".join(tail))
    dist = dist_dir()
    if dist is None:
        raise InstallError(f"npm ci ran but {target}/node_modules/openmct/dist is incomplete")
    return dist

"""Deploy bundles: everything an offline board needs to run the flight side of a bench.

    DIR/wheels/          the project and every runtime dependency as wheels
    DIR/bench.toml       the bench file
    DIR/install.sh       offline installer: venv + pip --no-index --find-links wheels
    DIR/rt-setup.sh      system-level real-time set-up (root; each step reports, none fails)
    DIR/msr-fsw.service  systemd unit (installed as a file, not enabled)
    DIR/manifest.json    versions, target platform, sha256 of every file

Only the wheel step needs a package index (pip's cache keeps repeated builds fast). For a
board of another platform pass `platform`/`python_version`: binary wheels for that target
are downloaded; a dependency that only ships a source archive is built here and accepted
only if the result is pure Python (otherwise the bundle fails, naming the package).
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from hil.bench import load_bench
from hil.deploy_templates import TEMPLATES

PROJECT = "msr-fsw"
SOURCE_IGNORE = (".git", ".venv", "build", "dist", "runs", "out", "*.egg-info", "__pycache__",
                 ".pytest_cache", ".hypothesis", "*.pyc")


class DeployError(RuntimeError):
    """The bundle could not be built; the message says which step and why."""


@dataclass
class BundleReport:
    target: Path
    wheels: list[str] = field(default_factory=list)
    platform: str | None = None
    python_version: str = ""
    notes: list[str] = field(default_factory=list)


def find_project_dir(start: Path | None = None) -> Path:
    """The source tree holding pyproject.toml above this package (needed to build its wheel)."""
    here = (start or Path(__file__)).resolve()
    for d in (here, *here.parents):
        if (d / "pyproject.toml").is_file() and (d / "hil").is_dir():
            return d
    raise DeployError("cannot find the project source tree (pyproject.toml); pass --project DIR")


def runtime_requirements() -> list[str]:
    """The project's runtime dependencies (no extras) from its installed metadata."""
    try:
        reqs = metadata.requires(PROJECT) or []
    except metadata.PackageNotFoundError:
        raise DeployError(f"{PROJECT} is not installed in this environment (pip install -e .)") from None
    return [r for r in reqs if "extra ==" not in r]


def _pip(args: list[str], what: str) -> str:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise DeployError(f"{what} failed ({' '.join(cmd[3:6])} ...):\n{tail}")
    return proc.stdout


def _requirement_name(req: str) -> str:
    return re.split(r"[<>=!~;\[ ]", req, maxsplit=1)[0].strip()


def build_wheels(wheels: Path, project: Path, *, platform: str | None = None,
                 python_version: str | None = None) -> list[str]:
    wheels.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # build from a clean copy: setuptools leaves build/ and stale files in the tree it builds
        src = Path(tmp) / "src"
        shutil.copytree(project, src, ignore=shutil.ignore_patterns(*SOURCE_IGNORE))
        _pip(["wheel", "--no-deps", "-q", "-w", str(wheels), str(src)], f"building the {PROJECT} wheel")
    reqs = runtime_requirements()
    if platform is None:
        _pip(["wheel", "-q", "-w", str(wheels), *reqs], "collecting dependency wheels")
    else:
        pyver = python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
        abi = "cp" + pyver.replace(".", "")
        target = ["--platform", platform, "--python-version", pyver, "--implementation", "cp",
                  "--abi", abi, "--abi", "abi3", "--abi", "none"]
        for req in reqs:
            try:
                _pip(["download", "-q", "--only-binary=:all:", *target, "-d", str(wheels), req],
                     f"downloading {req} for {platform}")
            except DeployError as exc:
                # source-only on the index: build here, usable only if pure Python
                name = _requirement_name(req)
                tmp = wheels / "_build"
                _pip(["wheel", "--no-deps", "-q", "-w", str(tmp), req], f"building {req}")
                built = list(tmp.glob("*.whl"))
                pure = [w for w in built if w.name.endswith("-none-any.whl")]
                if not pure:
                    raise DeployError(f"{name} has no wheel for {platform} and builds a platform-specific "
                                      f"wheel here ({', '.join(w.name for w in built)}); build it on the "
                                      f"target and add it to wheels/\n{exc}") from None
                for w in pure:
                    shutil.move(str(w), wheels / w.name)
                shutil.rmtree(tmp, ignore_errors=True)
    return sorted(p.name for p in wheels.glob("*.whl"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build_bundle(bench_file: str | Path, target: str | Path, *, platform: str | None = None,
                 python_version: str | None = None, project: Path | None = None,
                 cpus: tuple[int, ...] | None = None) -> BundleReport:
    """Write a bundle for `bench_file` into `target` (created; must be empty if it exists)."""
    bench = load_bench(bench_file)  # a bad bench file fails here, before any download
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise DeployError(f"{target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    project = project or find_project_dir()
    pyver = python_version or f"{sys.version_info.major}.{sys.version_info.minor}"
    report = BundleReport(target, platform=platform, python_version=pyver)
    report.wheels = build_wheels(target / "wheels", project, platform=platform, python_version=python_version)
    shutil.copyfile(bench_file, target / "bench.toml")
    cpus = cpus if cpus is not None else bench.realtime.cpus
    for name in ("install.sh", "rt-setup.sh", "msr-fsw.service"):
        text = TEMPLATES[name]
        text = text.replace("@PYTHON_VERSION@", pyver)
        text = text.replace("@CPU_AFFINITY@", " ".join(map(str, cpus)) if cpus else "")
        out = target / name
        out.write_text(text)
        if name.endswith(".sh"):
            out.chmod(0o755)
    if not cpus:
        text = (target / "msr-fsw.service").read_text()
        (target / "msr-fsw.service").write_text("\n".join(l for l in text.splitlines() if not l.startswith("CPUAffinity=")) + "\n")
    if bench.mode != "realtime":
        report.notes.append(f"bench mode is {bench.mode}: the board runs lockstep with the emulator")
    files = sorted(p for p in target.rglob("*") if p.is_file())
    manifest = {
        "project": PROJECT, "version": metadata.version(PROJECT), "python": pyver,
        "platform": platform or "this machine", "bench": {"scenario": bench.scenario, "mode": bench.mode},
        "files": {str(p.relative_to(target)): _sha256(p) for p in files},
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return report


__all__ = ["BundleReport", "DeployError", "build_bundle", "build_wheels", "find_project_dir",
           "runtime_requirements"]

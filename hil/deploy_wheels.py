"""The wheels of a deploy bundle: the project, the vehicle's own distribution when the bench
flies a vehicle from another package (`vehicle_distribution`), and their runtime closure,
pinned to the versions installed here (what was tested is what flies), for this machine or for a board profile.

For a board (`Target` with platform tags) every dependency is downloaded as a binary wheel
for its tags. A dependency PyPI has only as source is built here: with the compiler on when
the board is this machine's kind (same CPU, Python and a glibc no older), otherwise with the
compiler switched off (CC=false), which gives the package's own pure-Python fallback if it
has one (cobs does); a package that cannot build without compiled code stops the bundle,
naming it. Wheels built on the board itself can be handed in (`extra_wheels`): pip prefers
them where their tags fit. Each wheel is then classified from its file name and from the
host's installed copy (does the host run compiled code for it?), see `WheelInfo`.
"""
from __future__ import annotations

import json
import os
import platform as _platform
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Sequence
from urllib.parse import unquote, urlparse

from hil.deploy_profiles import Target, handling

PROJECT = "msr-fsw"
SOURCE_IGNORE = (".git", ".venv", "build", "dist", "runs", "out", "*.egg-info", "__pycache__",
                 ".pytest_cache", ".hypothesis", "*.pyc")
COMPILED_SUFFIXES = (".so", ".pyd")


class DeployError(RuntimeError):
    """The bundle could not be built; the message says which step and why."""


@dataclass(frozen=True)
class WheelInfo:
    """One wheel of a bundle. `accelerated`: None for a pure-Python package (nothing to
    accelerate); True when the wheel carries compiled code; False when it is a pure fallback
    of a package the host runs compiled."""

    file: str
    name: str
    version: str
    platform: str
    compiled: bool
    accelerated: bool | None
    handling: str
    why: str

    def as_dict(self) -> dict:
        return asdict(self)


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(req: str) -> str:
    return re.split(r"[<>=!~;\[ (]", req, maxsplit=1)[0].strip()


def runtime_requirements(vehicles: Sequence[str] = ()) -> list[str]:
    """The runtime dependencies (no extras) of the project and of the `vehicles` distributions,
    from their installed metadata (the project itself left out: its own wheel is built)."""
    reqs: list[str] = []
    for dist in (PROJECT, *vehicles):
        try:
            found = metadata.requires(dist) or []
        except metadata.PackageNotFoundError:
            raise DeployError(f"{dist} is not installed in this environment (pip install -e .)") from None
        reqs += [r for r in found if "extra ==" not in r and canonical(requirement_name(r)) != PROJECT]
    return list(dict.fromkeys(reqs))


def vehicle_distribution(module: str) -> str | None:
    """The distribution other than the project that provides `module` (a scenario's), or None
    when the project does; DeployError when no installed distribution does (the board could
    not import it)."""
    top = module.partition(".")[0]
    names = [n for n in metadata.packages_distributions().get(top, []) if canonical(n) != PROJECT]
    if names:
        return names[0]
    if top in metadata.packages_distributions():
        return None
    raise DeployError(f"the scenario's module {module} is in no installed distribution, so a board could "
                      f"not import it: install its package here (pip install DIR) and deploy again")


def installed_from(dist: str) -> Path | None:
    """The local source directory `dist` was installed from (pip's direct_url.json), if any."""
    try:
        url = json.loads(metadata.distribution(dist).read_text("direct_url.json") or "{}").get("url", "")
    except (metadata.PackageNotFoundError, ValueError, AttributeError):
        return None
    src = Path(unquote(urlparse(url).path)) if url.startswith("file://") else None
    return src if src is not None and any((src / f).is_file() for f in ("pyproject.toml", "setup.py")) else None


def _vehicle_wheel(dist: str, wheels: Path) -> None:
    """The vehicle's own wheel: built from the directory it was installed from, else fetched
    at the installed version."""
    d = metadata.distribution(dist)
    src = installed_from(dist)
    if src is not None:
        with tempfile.TemporaryDirectory() as tmp:
            copy = Path(tmp) / "src"
            shutil.copytree(src, copy, ignore=shutil.ignore_patterns(*SOURCE_IGNORE))
            pip(["wheel", "--no-deps", "-q", "-w", str(wheels), str(copy)], f"building the {dist} wheel")
    else:
        pip(["wheel", "--no-deps", "-q", "-w", str(wheels), f"{dist}=={d.version}"], f"fetching the {dist} wheel")


def host_versions(reqs: list[str]) -> dict[str, str]:
    """canonical name -> installed version over the runtime closure of `reqs` (what is
    installed here; a dependency only another platform needs is left unpinned)."""
    out: dict[str, str] = {}
    todo = [requirement_name(r) for r in reqs]
    while todo:
        name = canonical(todo.pop())
        if name in out:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        out[name] = dist.version
        todo += [requirement_name(r) for r in (dist.requires or []) if "extra ==" not in r]
    return out


def host_runs_compiled(name: str) -> bool:
    try:
        files = metadata.files(name) or []
    except metadata.PackageNotFoundError:
        return False
    return any(str(f).endswith(COMPILED_SUFFIXES) for f in files)


def pip(args: list[str], what: str, env: dict[str, str] | None = None) -> str:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if "is ignored" not in ln]
        raise DeployError(f"{what} failed ({' '.join(cmd[3:6])} ...):\n" + "\n".join(lines[-8:]))
    return proc.stdout


def parse_wheel_name(file: str) -> tuple[str, str, str]:
    """(name, version, platform tag) of a wheel file name (PEP 427)."""
    parts = file[:-len(".whl")].split("-")
    if len(parts) not in (5, 6):
        raise DeployError(f"{file}: not a wheel file name")
    return parts[0], parts[1], parts[-1]


def classify(file: str, vehicles: Sequence[str] = ()) -> WheelInfo:
    name, version, plat = parse_wheel_name(file)
    compiled = plat != "any"
    h = handling(name)
    if canonical(name) == PROJECT:
        accelerated, how, why = None, "pure", "the flight software (pure Python)"
    elif canonical(name) in {canonical(v) for v in vehicles}:
        accelerated, how, why = None, "vehicle", "the vehicle's own flight software (its distribution)"
    else:
        accelerated = True if compiled else (False if host_runs_compiled(name) else None)
        how, why = h.how, h.why
        if compiled and how == "pure fallback":
            how, why = "target wheel", ("compiled for the board (built here for a board of this machine's "
                                        "kind, or handed in with --wheels)")
        elif accelerated is False and how != "pure fallback":
            how, why = "pure fallback", f"no compiled wheel for the board; {h.why}"
    return WheelInfo(file, canonical(name), version, plat, compiled, accelerated, how, why)


def _glibc() -> tuple[int, int] | None:
    lib, ver = _platform.libc_ver()
    try:
        return (int(ver.split(".")[0]), int(ver.split(".")[1])) if lib == "glibc" else None
    except (IndexError, ValueError):
        return None


def can_build_for(target: Target) -> bool:
    """Wheels compiled here run on the board: same CPU and Python, a glibc no older than ours."""
    if target.tags is None:
        return True
    if not target.native or target.profile is None:
        return False
    host = _glibc()
    return host is not None and host <= target.profile.glibc


def _build_source(req: str, wheels: Path, target: Target, find_links: list[str]) -> None:
    """A source-only dependency: compiled here if that runs on the board, else pure or refused."""
    name = requirement_name(req)
    compile_here = can_build_for(target)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        if not compile_here:
            env.update(CC="false", CXX="false", LDSHARED="false")  # the package's pure fallback, if any
        pip(["wheel", "--no-deps", "--no-cache-dir", "-q", "--no-binary", name, "-w", tmp, *find_links, req],
            f"building {req} from source", env)
        built = list(Path(tmp).glob("*.whl"))
        ok = [w for w in built if compile_here or w.name.endswith("-none-any.whl")]
        if not ok:
            raise DeployError(f"{name} has no wheel for {target.label} and needs compiled code to build "
                              f"({', '.join(w.name for w in built) or 'no wheel'}); build it on the board "
                              f"(pip wheel {req}) and pass that directory with --wheels")
        for w in ok:
            shutil.move(str(w), wheels / w.name)


def collect(wheels: Path, target: Target, project: Path, extra_wheels: Path | None = None,
            vehicles: Sequence[str] = ()) -> list[WheelInfo]:
    """Fill `wheels` for `target` (with the `vehicles` distributions); returns each wheel classified."""
    wheels.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        # build from a clean copy: setuptools leaves build/ and stale files in the tree it builds
        src = Path(tmp) / "src"
        shutil.copytree(project, src, ignore=shutil.ignore_patterns(*SOURCE_IGNORE))
        pip(["wheel", "--no-deps", "-q", "-w", str(wheels), str(src)], f"building the {PROJECT} wheel")
    for dist in vehicles:
        _vehicle_wheel(dist, wheels)
    reqs = runtime_requirements(vehicles)
    pins = host_versions(reqs)
    find_links = ["--find-links", str(extra_wheels)] if extra_wheels is not None else []
    pinned = [f"{requirement_name(r)}=={pins[canonical(requirement_name(r))]}"
              if canonical(requirement_name(r)) in pins else r for r in reqs]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as cf:
        cf.write("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    constraints = ["--constraint", cf.name]
    try:
        if target.tags is None:
            pip(["wheel", "-q", "-w", str(wheels), *constraints, *find_links, *pinned], "collecting dependency wheels")
        else:
            opts = [*(a for t in target.tags for a in ("--platform", t)), "--python-version", target.python,
                    "--implementation", "cp", "--abi", "cp" + target.python.replace(".", ""),
                    "--abi", "abi3", "--abi", "none"]
            for req in pinned:
                try:
                    pip(["download", "-q", "--only-binary=:all:", *opts, *constraints, *find_links, "-d",
                         str(wheels), req], f"downloading {req} for {target.label}")
                except DeployError as exc:
                    if not any(m in str(exc) for m in ("No matching distribution", "ResolutionImpossible")):
                        raise   # a network or index failure: say so, do not build around it
                    _build_source(req, wheels, target, find_links)
    finally:
        os.unlink(cf.name)
    infos = [classify(p.name, vehicles) for p in sorted(wheels.glob("*.whl"))]
    for info in infos:
        want = pins.get(info.name)
        if want is not None and want != info.version:
            raise DeployError(f"{info.name} {info.version} in the bundle, {want} here: the board would "
                              f"fly other code than was tested")
    return infos


__all__ = ["DeployError", "PROJECT", "WheelInfo", "can_build_for", "classify", "collect", "host_versions",
           "installed_from", "parse_wheel_name", "requirement_name", "runtime_requirements", "vehicle_distribution"]

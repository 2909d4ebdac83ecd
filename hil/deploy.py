"""Deploy bundles: everything an offline board needs to run the flight side of a bench.

    DIR/wheels/          the project, the vehicle's own distribution (when the bench's scenario
                         comes from another package) and their runtime closure as wheels,
                         pinned to this machine's versions, for this machine or a board profile
    DIR/bench.toml       the bench file
    DIR/products/        the ground's products the flight side loads (the landing's onboard
                         map), written here from the bench's scenario settings
    DIR/install.sh       offline installer: checks every file's sha256, venv + pip --no-index,
                         then `msr hil board-check` (each item ok / missing)
    DIR/rt-setup.sh      system-level real-time set-up (root; each step reports, none fails)
    DIR/msr-fsw.service  systemd unit (installed as a file, not enabled)
    DIR/manifest.json    versions, target, each wheel's platform tag and whether its compiled
                         (accelerated) path is in it, sha256 of every file
    DIR/SHA256SUMS       the same hashes for `sha256sum -c`

Only the wheel step needs a package index (pip's cache keeps repeated builds fast). The
board is named by `platform`: a profile of `hil.deploy_profiles` ("aarch64", "x86_64") or
raw pip platform tags; how each dependency gets there is `hil.deploy_profiles.DEPENDENCIES`.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from hil.bench import PRODUCTS_DIR, load_bench
from hil.deploy_profiles import Target, resolve_target
from hil.deploy_templates import TEMPLATES
from hil.deploy_wheels import (PROJECT, DeployError, WheelInfo, collect, installed_from, runtime_requirements,
                               vehicle_distribution)

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"


@dataclass
class BundleReport:
    target: Path
    board: str = "this machine"
    python_version: str = ""
    wheels: list[WheelInfo] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    products: dict[str, Path] = field(default_factory=dict)

    @property
    def platform(self) -> str:
        return self.board

    def listing(self) -> list[str]:
        """One line per wheel: name, version, platform tag, accelerated or not, and why."""
        rows = []
        for w in self.wheels:
            acc = {True: "accelerated", False: "PURE FALLBACK", None: "pure python"}[w.accelerated]
            rows.append(f"{w.name:14s} {w.version:10s} {w.platform:48s} {acc:13s} {w.handling}")
        return rows


def find_project_dir(start: Path | None = None) -> Path:
    """The source tree holding pyproject.toml above this package (needed to build its wheel),
    else the directory the installed project was built from (pip's direct_url.json)."""
    here = (start or Path(__file__)).resolve()
    for d in (here, *here.parents):
        if (d / "pyproject.toml").is_file() and (d / "hil").is_dir():
            return d
    source = installed_from(PROJECT)
    if source is not None and (source / "hil").is_dir():
        return source
    raise DeployError("cannot find the project source tree (pyproject.toml); pass --project DIR")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_scripts(target: Path, pyver: str, cpus: tuple[int, ...], dists: tuple[str, ...] = (PROJECT,)) -> None:
    for name in ("install.sh", "rt-setup.sh", "msr-fsw.service"):
        text = TEMPLATES[name].replace("@PYTHON_VERSION@", pyver).replace("@DISTRIBUTIONS@", " ".join(dists))
        text = text.replace("@CPU_AFFINITY@", " ".join(map(str, cpus)) if cpus else "")
        if not cpus:
            text = "".join(ln for ln in text.splitlines(keepends=True) if not ln.startswith("CPUAffinity="))
        out = target / name
        out.write_text(text)
        if name.endswith(".sh"):
            out.chmod(0o755)


def build_bundle(bench_file: str | Path, target: str | Path, *, platform: str | None = None,
                 python_version: str | None = None, project: Path | None = None,
                 cpus: tuple[int, ...] | None = None, extra_wheels: Path | None = None) -> BundleReport:
    """Write a bundle for `bench_file` into `target` (created; must be empty if it exists)."""
    bench = load_bench(bench_file)  # a bad bench file fails here, before any download
    vehicle = vehicle_distribution(bench.deployment.scenario.module)
    try:
        board: Target = resolve_target(platform, python_version)
    except ValueError as exc:
        raise DeployError(str(exc)) from None
    if extra_wheels is not None and not Path(extra_wheels).is_dir():
        raise DeployError(f"--wheels {extra_wheels}: not a directory")
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise DeployError(f"{target} is not empty")
    target.mkdir(parents=True, exist_ok=True)
    project = project or find_project_dir()
    report = BundleReport(target, board=board.label, python_version=board.python)
    vehicles = (vehicle,) if vehicle else ()
    report.wheels = collect(target / "wheels", board, project, extra_wheels, vehicles)
    shutil.copyfile(bench_file, target / "bench.toml")
    # products/ only when the scenario has some (install.sh copies whatever is in it)
    report.products = bench.deployment.make_products(target / PRODUCTS_DIR) if bench.deployment.products() else {}
    for setting, path in report.products.items():
        report.notes.append(f"ground product {setting}: {PRODUCTS_DIR}/{path.name} ({path.stat().st_size / 1e6:.1f} MB)")
    _write_scripts(target, board.python, cpus if cpus is not None else bench.realtime.cpus, (PROJECT, *vehicles))
    if bench.mode != "realtime":
        report.notes.append(f"bench mode is {bench.mode}: the board runs lockstep with the emulator")
    for w in report.wheels:
        if w.accelerated is False:
            report.notes.append(f"{w.name}: pure-Python fallback on the board ({w.why})")
    files = sorted(p for p in target.rglob("*") if p.is_file())
    hashes = {str(p.relative_to(target)): _sha256(p) for p in files}
    manifest = {
        "project": PROJECT, "version": metadata.version(PROJECT), "python": board.python,
        "platform": board.label, "platform_tags": list(board.tags) if board.tags else None,
        "bench": {"scenario": bench.scenario, "mode": bench.mode},
        "vehicle_distribution": vehicle,
        "products": {k: f"{PRODUCTS_DIR}/{p.name}" for k, p in report.products.items()},
        "wheels": [w.as_dict() for w in report.wheels],
        "files": hashes,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    hashes[MANIFEST] = _sha256(target / MANIFEST)
    (target / SUMS).write_text("".join(f"{h}  {name}\n" for name, h in sorted(hashes.items())))
    return report


__all__ = ["BundleReport", "DeployError", "build_bundle", "find_project_dir", "runtime_requirements"]

"""A campaign's run directory: starting one afresh, resuming one, refusing the wrong one."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from sim import rundir
from sim.deployment import DICTIONARY, EVENT_LOG, TELEMETRY_LOG, ScenarioError
from sim.report.campaign_plots import TIMELINE, phase_pngs

KIND = "campaign"
OUTPUTS = (TELEMETRY_LOG, EVENT_LOG, DICTIONARY, rundir.SUMMARY, rundir.MANIFEST, "phases", "plots")


class RunDirError(ScenarioError):
    """The run directory cannot be used as asked (not empty, nothing to resume, other setup)."""


def resume_setup(out_dir: Path) -> tuple[int, dict[str, dict[str, Any]], bool]:
    """(seed, overrides, protection) of the campaign whose run directory is `out_dir` (for --resume)."""
    manifest = rundir.read_manifest(Path(out_dir))
    if manifest is None or manifest.get("kind") != KIND:
        raise RunDirError(f"{out_dir}: no campaign run directory to resume (no readable {rundir.MANIFEST})")
    setup = manifest["setup"]
    return (int(setup["seed"]), {k: dict(v) for k, v in setup["overrides"].items()},
            bool(setup.get("protection", True)))


def prepare(out_dir: Path, setup: dict[str, Any], resume: bool, force: bool) -> tuple[dict[str, Any], list[str]]:
    """The run directory's manifest and the phases already complete in it."""
    if resume:
        manifest = rundir.read_manifest(out_dir)
        if manifest is None or manifest.get("kind") != KIND:
            raise RunDirError(f"{out_dir}: no campaign run directory to resume (no readable {rundir.MANIFEST})")
        if rundir.dump_json(manifest.get("setup")) != rundir.dump_json(setup):
            raise RunDirError(f"{out_dir} holds another campaign ({json.dumps(manifest.get('setup'), sort_keys=True)}); "
                              "resume it with its own seed and overrides")
        done = []
        for name in manifest.get("phases_complete", []):
            if not rundir.is_complete(out_dir / "phases" / name, "sil"):
                break
            done.append(name)
        for name in [p for p in setup["phases"] if p not in done]:    # to be flown again: so drawn again
            for png in phase_pngs(name) + [TIMELINE]:
                (out_dir / "plots" / png).unlink(missing_ok=True)
        return {**manifest, "state": rundir.RUNNING, "phases_complete": done}, done
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise RunDirError(f"run directory {out_dir} is not empty: --force replaces the campaign "
                          "in it, --resume finishes the one it holds")
    manifest = rundir.begin(out_dir, KIND, setup, phases_complete=[])   # the old run is void from here
    for name in OUTPUTS:        # only what a campaign writes; anything else stays
        path = out_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists() and name != rundir.MANIFEST:
            path.unlink()
    return manifest, []

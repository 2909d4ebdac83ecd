"""One dispersed run, as executed on a worker: plan, run the scenario, record, never raise.

The record holds only what follows from (scenario, master seed, k): seeds, inputs, success,
scalar outputs, and the traceback of a crash. Wall time is returned beside it, never in it,
so records are identical whatever the executor.
"""
from __future__ import annotations

import json
import math
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from sim import rundir
from sim import registry
from sim.deployment import wall_fields
from sim.montecarlo.dispersions import DispersionSet
from sim.montecarlo.seeds import RunPlan, plan_run


@dataclass(frozen=True)
class CampaignSpec:
    """Everything a worker needs to run any run of the campaign (small, picklable)."""

    scenario: str                 # a registered scenario ("ascent", "hop") or a dotted path
    master_seed: int
    dispersions: DispersionSet


def _scalar(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def flatten_outputs(summary: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Scalar leaves of a (nested) summary as "a.b" keys; lists and arrays are left out."""
    out: dict[str, Any] = {}
    for key in sorted(summary, key=str):
        value = summary[key]
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten_outputs(value, name + "."))
        elif isinstance(value, (bool, int, float, str, np.generic)) or value is None:
            out[name] = _scalar(value)
    return out


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


def save_run(run_dir: Path, summary: Mapping | None, record: dict) -> None:
    """What a kept run directory holds besides the scenario's own files: run.json, and the
    summary unless the scenario's run directory already ends with it (`sim.rundir`)."""
    run_dir.mkdir(parents=True, exist_ok=True)
    if summary is not None and not rundir.is_complete(run_dir):
        rundir.atomic_write(run_dir / "summary.json",
                            json.dumps(summary, indent=2, sort_keys=True, default=_json_default) + "\n")
    rundir.atomic_write(run_dir / "run.json", json.dumps(record, indent=2, sort_keys=True) + "\n")


def kept_dir_name(k: int) -> str:
    return f"run-{k:05d}"


def execute(spec: CampaignSpec, plan: RunPlan, out_dir: Path | None,
            keep_failed: Path | None = None) -> tuple[dict, dict]:
    """Run one planned run. With out_dir None it runs in a scratch directory deleted
    afterwards, unless it fails and keep_failed is given: then the scratch is copied to
    keep_failed/run-KKKKK (so failures need no re-run). Returns (record, timing): timing has
    the wall time and the scenario's WALL_FIELDS, which never enter the record."""
    record: dict[str, Any] = {"run": plan.index, "seed": plan.run_seed,
                              "scenario_seed": plan.scenario_seed, "inputs": plan.inputs}
    timing: dict[str, Any] = {}
    t0, cpu0 = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory(prefix="mc-run-") as scratch:
        run_dir = Path(scratch) if out_dir is None else out_dir
        try:
            scenario = registry.scenario(spec.scenario)
            with rundir.durable(out_dir is not None):       # a scratch directory is not kept
                summary = scenario.fly(seed=plan.scenario_seed, out_dir=run_dir, overrides=dict(plan.inputs))
            if not isinstance(summary, Mapping):
                raise TypeError(f"scenario returned {type(summary).__name__}, expected a dict summary")
            outputs = flatten_outputs(summary)
            for name in wall_fields(scenario):
                timing[name] = outputs.pop(name, None)
            record.update(status="ok" if summary.get("success") else "failed",
                          success=bool(summary.get("success")), outputs=outputs, error=None)
        except Exception as exc:                # a crashed run is a result, not a batch failure,
            if isinstance(exc, OSError) and _inside(exc.filename, run_dir):
                raise                           # but a full disk under the run is the batch's
            summary = None
            record.update(status="crashed", success=False, outputs={}, error=traceback.format_exc())
        if out_dir is not None:
            save_run(out_dir, summary, record)
        elif keep_failed is not None and not record["success"]:
            dest = keep_failed / kept_dir_name(plan.index)
            shutil.copytree(scratch, dest, dirs_exist_ok=True)
            save_run(dest, summary, record)
            rundir.fsync_tree(dest)             # on disk before the journal says the run is done
    timing["wall_s"] = time.perf_counter() - t0
    timing["cpu_s"] = time.process_time() - cpu0
    return record, timing


def _inside(filename: Any, directory: Path) -> bool:
    try:
        return filename is not None and Path(filename).resolve().is_relative_to(directory.resolve())
    except (TypeError, ValueError, OSError):
        return False


def run_chunk(spec: CampaignSpec, indices: Sequence[int], keep_failed: str | None = None
              ) -> list[tuple[dict, dict]]:
    """The unit of work shipped to a worker: several runs, to cut per-task overhead."""
    keep = Path(keep_failed) if keep_failed else None
    return [execute(spec, plan_run(spec.dispersions, spec.master_seed, k), None, keep) for k in indices]


def run_retained(spec: CampaignSpec, k: int, out_dir: str) -> tuple[dict, dict]:
    """Re-run run k with its full output directory kept (outliers, known only at the end)."""
    return execute(spec, plan_run(spec.dispersions, spec.master_seed, k), Path(out_dir))

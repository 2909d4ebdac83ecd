"""Re-running one run of a campaign alone: `msr sil SCENARIO --seed S --dispersion FILE --run k`.

S is run k's run seed (montecarlo.json lists it beside each run, and the reproduce line of
every failure). Inputs and the scenario's own seed follow from S alone, so this gives exactly
what run k did in the batch, on any machine.
"""
from __future__ import annotations

from pathlib import Path

from sim.montecarlo import dispersions as dispersion_files
from sim.montecarlo.campaign import check_scenario
from sim.montecarlo.runner import CampaignSpec, execute
from sim.montecarlo.seeds import RunPlan, plan_from_run_seed, run_seed as derive_run_seed


def overrides_for_run(dispersion_file: str | Path, *, run: int, run_seed: int | None = None,
                      master_seed: int | None = None) -> RunPlan:
    """Run k's plan (scenario seed and overrides) from its run seed, or from the campaign's
    master seed and k. Raises DispersionError for a bad file."""
    if (run_seed is None) == (master_seed is None):
        raise ValueError("give exactly one of run_seed or master_seed")
    if run < 0:
        raise ValueError(f"run index must be >= 0, got {run}")
    d = dispersion_files.load(dispersion_file)
    seed = run_seed if run_seed is not None else derive_run_seed(master_seed, run)
    return plan_from_run_seed(d, seed, run)


def rerun(scenario: str, dispersion_file: str | Path, *, run: int, run_seed: int,
          out_dir: Path | None = None) -> dict:
    """Run k again, through the same code path as the batch; returns its record."""
    d = dispersion_files.load(dispersion_file)
    check_scenario(scenario, d)
    plan = plan_from_run_seed(d, run_seed, run)
    record, _ = execute(CampaignSpec(scenario, -1, d), plan, out_dir)
    return record


def sil_inputs(scenario: str, dispersion_file: str | Path, *, run: int, run_seed: int) -> RunPlan:
    """What `msr sil SCENARIO --seed S --dispersion FILE --run k` runs: run k's plan, after
    checking the file against the scenario (DispersionError / LookupError otherwise)."""
    d = dispersion_files.load(dispersion_file)
    check_scenario(scenario, d)
    return plan_from_run_seed(d, run_seed, run)

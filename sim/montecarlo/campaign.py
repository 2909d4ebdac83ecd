"""A Monte Carlo campaign: N dispersed runs of one scenario, then the summary on disk.

    report = run_campaign("ascent", dispersions.load("examples/dispersions/ascent.toml"),
                          runs=1000, master_seed=1, out_dir=Path("mc"), executor=PoolExecutor(2))

Writes DIR/montecarlo.json (sorted keys; everything except its "execution" section, which says
how the batch ran: executor, wall times, re-run checks, is identical whatever the executor
and worker count), DIR/timings.json (per-run wall time), DIR/runs/run-K/
for failures and outliers only (re-run with their output kept), and DIR/plots/ (matplotlib).
"""
from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Sequence

from sim import rundir
from sim import registry
from sim.montecarlo import statistics
from sim.montecarlo.dispersions import Choice, DispersionError, DispersionSet, Normal
from sim.montecarlo.executors import DaskExecutor, PoolExecutor
from sim.montecarlo.journal import Journal
from sim.montecarlo.runner import CampaignSpec, kept_dir_name, run_chunk, run_retained
from fsw.numerics import fixed_sum


def chunk_runs(runs: int | Sequence[int], workers: int, per_worker: int = 32,
               max_size: int = 20) -> list[list[int]]:
    """Split run indices (0..runs-1, or the given ones) into chunks: about `per_worker` chunks
    per worker (load balance at the end of the batch), at most `max_size` runs each (progress)."""
    todo = list(range(runs)) if isinstance(runs, int) else list(runs)
    if not todo:
        return []
    size = max(1, min(max_size, math.ceil(len(todo) / (max(1, workers) * per_worker))))
    return [todo[i:i + size] for i in range(0, len(todo), size)]


def describe_dispersions(dispersions: DispersionSet) -> dict[str, dict]:
    out = {}
    for key in dispersions.parameters:
        d = dispersions.dists[key]
        if isinstance(d, Choice):
            out[key] = {"dist": "choice", "values": list(d.values)}
        else:
            fields = {k: v for k, v in asdict(d).items() if math.isfinite(v)}
            out[key] = {"dist": "truncnorm" if isinstance(d, Normal) and len(fields) > 2 else
                        "normal" if isinstance(d, Normal) else "uniform", **fields}
    return out


def reproduce_command(scenario: str, dispersions: DispersionSet, record: dict,
                      declared: registry.Scenario | None = None) -> str:
    """The command line that runs `record` alone (the scenario's own, if it declares one)."""
    own = declared.reproduce_command if declared is not None else None
    if own is not None:
        return own(dispersions.source, record)
    return (f"msr sil {scenario} --seed {record['seed']} --dispersion {dispersions.source} "
            f"--run {record['run']}")


def check_scenario(scenario: str, dispersions: DispersionSet):
    """Load the scenario and check the dispersion file against it (DispersionError if not)."""
    if dispersions.scenario is not None and dispersions.scenario != scenario:
        raise DispersionError(f"{dispersions.source}: written for scenario {dispersions.scenario!r}, "
                              f"not {scenario!r}")
    declared = registry.scenario(scenario)   # a RegistryError (a LookupError's kin) names an unknown one
    if declared.check_dispersions is not None:
        declared.check_dispersions(dispersions)
    dispersions.check_parameters(sorted(declared.defaults) if declared.params else None, declared.prefixes)
    dispersions.check_values(lambda key, value: declared.check_overrides({key: value}))
    return declared


def _progress(total: int, enabled: bool, desc: str):
    from tqdm import tqdm
    return tqdm(total=total, disable=not enabled, unit="run", desc=desc, dynamic_ncols=True)


def run_campaign(scenario: str, dispersions: DispersionSet, *, runs: int, master_seed: int,
                 out_dir: Path | None = None, executor: Any = None, progress: bool = False,
                 keep_outliers: int | None = None, plots: bool = True, resume: bool = False) -> dict:
    """Run the batch and return the report (also written to out_dir when given). With
    `resume`, runs already in out_dir's journal (runs.jsonl) of the same campaign are reused."""
    if runs < 1:
        raise ValueError("a campaign needs at least one run")
    module = check_scenario(scenario, dispersions)
    spec = CampaignSpec(scenario, master_seed, dispersions)
    executor = executor if executor is not None else PoolExecutor()
    journal = None
    if out_dir is not None:
        header = {"scenario": scenario, "master_seed": master_seed,
                  "dispersions": describe_dispersions(dispersions), "fixed": dict(dispersions.fixed)}
        journal = Journal(out_dir / "runs.jsonl", header, resume)
        done = {k: v for k, v in journal.done.items() if k < runs}
        if not done:
            _clear_kept_runs(out_dir / "runs")
    else:
        done = {}
    records: list[dict] = [rec for rec, _ in done.values()]
    durations: dict[int, dict] = {k: timing for k, (_, timing) in done.items()}
    # Workers keep failed runs' directories themselves when they share our disk.
    remote = isinstance(executor, DaskExecutor) and not executor.local
    keep_failed = str(out_dir / "runs") if out_dir is not None and not remote else None
    t_start = time.perf_counter()
    with executor:
        t0 = time.perf_counter()
        chunks = chunk_runs([k for k in range(runs) if k not in done], executor.workers)
        with _progress(runs, progress, scenario) as bar:
            bar.update(len(done))
            jobs = [(spec, c, keep_failed) for c in chunks]
            for chunk_result in executor.imap_unordered(run_chunk, jobs):
                for record, timing in chunk_result:
                    records.append(record)
                    durations[record["run"]] = timing
                    if journal is not None:
                        journal.append(record, timing)
                if journal is not None:
                    journal.sync()              # a finished chunk survives a crash from here
                bar.update(len(chunk_result))
                bar.set_postfix(failed=sum(not r["success"] for r in records), refresh=False)  # integer sum
        batch_wall = time.perf_counter() - t0
        if journal is not None:
            journal.close()
        records.sort(key=lambda r: r["run"])
        key_figures = (dispersions.key_figures or module.key_figures
                       or statistics.default_key_figures(records))
        count = dispersions.outliers if keep_outliers is None else keep_outliers
        retained, rerun_checks = _retain(spec, records, key_figures, count, out_dir, executor,
                           failures_kept=keep_failed is not None)
    report = _report(scenario, spec, records, key_figures, retained, module)
    figures = module.campaign_figures
    if figures is not None:          # figures only the scenario knows how to draw from the runs
        report["scenario_figures"] = figures(records)
    report["execution"] = {
        "executor": executor.name, "workers": executor.workers, "chunks": len(chunks),
        "startup_s": t0 - t_start, "batch_wall_s": batch_wall,
        "total_wall_s": time.perf_counter() - t_start,
        "resumed_runs": len(done),
        "runs_per_s": (runs - len(done)) / batch_wall if batch_wall > 0 else None,
        "run_s": statistics.describe(t["wall_s"] for t in durations.values()),
        # CPU the runs got / (batch wall x workers): below ~0.9, other jobs share the cores.
        "cpu_utilisation": (fixed_sum(durations[k]["cpu_s"] for k in durations if k not in done)
                            / (batch_wall * executor.workers) if batch_wall > 0 else None),
        "reruns": rerun_checks,
    }
    if out_dir is not None:
        write(report, durations, out_dir)
        if plots:
            from sim.montecarlo import plots as plotting
            (module.write_plots or plotting.write_plots)(report, out_dir / "plots")
    return report


def _clear_kept_runs(runs_dir: Path) -> None:
    """Drop run directories a previous campaign kept here, so runs/ holds this batch's only."""
    if runs_dir.is_dir():
        for old in runs_dir.glob("run-[0-9]*"):
            shutil.rmtree(old, ignore_errors=True)


def _retain(spec: CampaignSpec, records: Sequence[dict], key_figures: Sequence[str], count: int,
            out_dir: Path | None, executor: Any, failures_kept: bool) -> tuple[list[dict], list[dict]]:
    """Full output directories of failures (kept by the workers during the batch, unless the
    cluster is remote) and of outliers (known only now: re-run with their directory kept,
    and checked to reproduce the batch record exactly). Returns (retained, re-run checks)."""
    if out_dir is None:
        return [], []
    reasons: dict[int, list[str]] = {r["run"]: [r["status"]] for r in records if not r["success"]}
    failed = set(reasons)
    for figure in key_figures:
        for k in statistics.outliers(records, [figure], count):
            reasons.setdefault(k, []).append(f"outlier:{figure}")
    rerun = sorted(k for k in reasons if not (failures_kept and k in failed))
    jobs = [(spec, k, str(out_dir / "runs" / kept_dir_name(k))) for k in rerun]
    # A remote cluster need not share our disk: re-run in this process so the files land here.
    if isinstance(executor, DaskExecutor) and not executor.local:
        reruns = [run_retained(*job) for job in jobs]
    else:
        reruns = list(executor.imap_unordered(run_retained, jobs))
    by_run = {r["run"]: r for r in records}
    checks = [{"run": rec["run"], "reproduced": rec == by_run[rec["run"]]}
              for rec, _ in sorted(reruns, key=lambda rt: rt[0]["run"])]
    return [{"run": k, "reasons": reasons[k], "dir": f"runs/{kept_dir_name(k)}"}
            for k in sorted(reasons)], checks


def _report(scenario: str, spec: CampaignSpec, records: list[dict], key_figures: Sequence[str],
            retained: list[dict], declared: registry.Scenario | None = None) -> dict:
    """The report; a scenario may add sections (`report_sections(records)`) and say more
    about each failure (`describe_failure(record)`)."""
    d = spec.dispersions
    n = len(records)
    successes = sum(r["success"] for r in records)  # integer sum
    sections = declared.report_sections if declared is not None else None
    describe_failure = declared.describe_failure if declared is not None else None
    report = {
        "scenario": scenario,
        "master_seed": spec.master_seed,
        "n_runs": n,
        "dispersion_file": d.source,
        "dispersions": describe_dispersions(d),
        "fixed": dict(d.fixed),
        "key_figures": list(key_figures),
        "successes": successes,
        "success_rate": successes / n,
        "crashed": sum(r["status"] == "crashed" for r in records),  # integer sum
        "statistics": {f: statistics.describe(v for _, v in statistics.figure_values(records, f))
                       for f in key_figures},
        "statistics_successful": {
            f: statistics.describe(v for _, v in statistics.figure_values(
                [r for r in records if r["success"]], f)) for f in key_figures},
        "requirements": statistics.requirements(records, d.requirements),
        "protection": statistics.protection(records),
        "failures": [{"run": r["run"], "seed": r["seed"], "status": r["status"], "error": r["error"],
                      "reproduce": reproduce_command(scenario, d, r, declared),
                      **(describe_failure(r) if describe_failure is not None else {})}
                     for r in records if not r["success"]],
        "retained": retained,
        "runs": records,
    }
    if sections is not None:
        report.update(sections(records))
    return report


def content(report: dict) -> dict:
    """The report without its execution section (executor, wall times, re-run checks): what must match across executors."""
    return {k: v for k, v in report.items() if k != "execution"}


def write(report: dict, durations: dict[int, dict], out_dir: Path) -> Path:
    """The report and the timings, each replaced whole (a crash leaves the old or the new)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = rundir.atomic_write(out_dir / "montecarlo.json", json.dumps(report, indent=1, sort_keys=True) + "\n")
    rundir.atomic_write(out_dir / "timings.json", json.dumps(
        {"per_run": [{"run": k, **durations[k]} for k in sorted(durations)], **report["execution"]},
        indent=1, sort_keys=True) + "\n")
    return path

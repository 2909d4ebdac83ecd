"""`msr montecarlo SCENARIO --runs N [--workers W | --dask | --scheduler ADDR] --out DIR`.

Dispersed runs of a SIL scenario on a local process pool (default), a Dask LocalCluster
(`--dask`) or an existing Dask scheduler (`--scheduler tcp://host:8786`); writes
DIR/montecarlo.json, DIR/timings.json, DIR/runs/ (failures and outliers) and DIR/plots/.
SCENARIO `campaign` runs the whole campaign, every phase dispersed (sim/campaign/montecarlo.py).
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from msr.finite import Finite
from msr.outdir import output_dir
from sim import registry
from sim.montecarlo import dispersions as dispersion_files
from sim.montecarlo.campaign import run_campaign
from sim.montecarlo.dispersions import DispersionError, DispersionSet
from sim.montecarlo.executors import make_executor
from sim.montecarlo.reproduce import sil_inputs
from sim.scenario_params import ScenarioError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "dispersions"


def default_dispersion_file(scenario: str) -> Path | None:
    path = EXAMPLES / f"{scenario}.toml"
    return path if path.is_file() else None


def load_dispersions(scenario: str, path: Path | None) -> DispersionSet:
    path = path or default_dispersion_file(scenario)
    if path is None:
        click.echo(f"no dispersion file given and none in {EXAMPLES}: runs differ by seed only", err=True)
        return DispersionSet(scenario, {}, source="<none>")
    return dispersion_files.load(path)


def sil_run_inputs(scenario: str, dispersion_file: Path | None, run: int | None, seed: int,
                   overrides: dict) -> tuple[int, dict]:
    """For `msr sil --seed S --dispersion FILE --run k`: the scenario seed and the overrides
    (run k's dispersed inputs, then the explicit --set values on top)."""
    if (dispersion_file is None) != (run is None):
        raise click.UsageError("--dispersion and --run go together (re-running one Monte Carlo run)")
    if dispersion_file is None:
        return seed, overrides
    try:
        plan = sil_inputs(scenario, dispersion_file, run=run, run_seed=seed)
    except DispersionError as exc:
        raise click.BadParameter(str(exc), param_hint="--dispersion") from exc
    click.echo(f"Monte Carlo run {run}: run seed {seed}, scenario seed {plan.scenario_seed}, "
               f"inputs {plan.inputs}")
    return plan.scenario_seed, {**plan.inputs, **overrides}


def echo_report(report: dict, out: Path) -> None:
    n, ok = report["n_runs"], report["successes"]
    click.echo(f"{report['scenario']}: {ok}/{n} runs succeeded ({100 * report['success_rate']:.1f} %),"
               f" {report['crashed']} crashed")
    own_lines = registry.scenario(report["scenario"]).report_lines
    for line in own_lines(report) if own_lines is not None else []:
        click.echo(line)
    for fig, s in report["statistics"].items():
        if s.get("count"):
            click.echo(f"  {fig:28s} p1 {s['p1']:+11.4g}  p5 {s['p5']:+11.4g}  p50 {s['p50']:+11.4g}"
                       f"  p95 {s['p95']:+11.4g}  p99 {s['p99']:+11.4g}")
    req = report.get("requirements")
    if req:
        bands = ", ".join(f"{f} in [{lo:g}, {hi:g}]" for f, (lo, hi) in req["bands"].items())
        click.echo(f"  requirements met by {req['met']}/{n} runs ({100 * req['rate']:.1f} %): {bands}")
    for name, value in report.get("scenario_figures", {}).items():
        click.echo(f"  {name}: {value}")
    prot = report.get("protection")
    if prot:
        click.echo(f"  protection installed in {prot['installed']}/{prot['runs']} runs: {prot['trips']} monitor "
                   f"trip(s) (runs {prot['runs_with_trips'][:10]}), {prot['step_faults']} step fault(s) "
                   f"(runs {prot['runs_with_step_faults'][:10]}), {prot['restarts']} warm restart(s)")
    for f in report["failures"][:5]:
        where = f" in {f['failed_phase']}" if f.get("failed_phase") else ""
        click.echo(f"  run {f['run']} {f['status']}{where}: {f['reproduce']}")
    if len(report["failures"]) > 5:
        click.echo(f"  ... {len(report['failures']) - 5} more failures in montecarlo.json")
    bad = [r["run"] for r in report["execution"]["reruns"] if not r["reproduced"]]
    if bad:
        click.echo(f"  WARNING: re-runs of {bad} did not reproduce the batch (non-deterministic scenario?)")
    t = report["execution"]
    click.echo(f"  {t['executor']} x{t['workers']}: {t['runs_per_s']:.2f} runs/s, "
               f"{t['total_wall_s']:.1f} s in all; kept {len(report['retained'])} run directories")
    click.echo(f"report: {out / 'montecarlo.json'}")


def register(cli: click.Group) -> None:
    @cli.command("montecarlo")
    @click.argument("scenario")
    @click.option("--runs", "-n", type=click.IntRange(min=1), default=100, show_default=True)
    @click.option("--dispersion", "dispersion_file", type=click.Path(path_type=Path, dir_okay=False),
                  default=None, help="dispersion TOML (default examples/dispersions/SCENARIO.toml)")
    @click.option("--seed", "master_seed", type=click.IntRange(min=0), default=1, show_default=True,
                  help="master seed; run k's seed derives from it")
    @click.option("--workers", "-w", type=click.IntRange(min=0), default=None,
                  help="worker processes (default: all CPUs; 0 runs in this process)")
    @click.option("--dask", "use_dask", is_flag=True, help="run on a Dask LocalCluster of --workers")
    @click.option("--scheduler", default=None, metavar="ADDRESS",
                  help="run on an existing Dask scheduler (e.g. tcp://host:8786)")
    @click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                  help="output directory (default runs/montecarlo-SCENARIO)")
    @click.option("--keep-outliers", type=click.IntRange(min=0), default=None,
                  help="keep full output of the K most extreme runs per key figure (default: file or 3)")
    @click.option("--min-success", type=Finite(0.0, 1.0), default=None,
                  help="exit with status 1 below this fraction of runs meeting the file's "
                       "[requirements] (or, without any, of successful runs)")
    @click.option("--resume", is_flag=True,
                  help="reuse the runs an interrupted campaign of the same setup journaled in --out")
    @click.option("--no-plots", is_flag=True, help="skip the matplotlib plots")
    @click.option("--quiet", "-q", is_flag=True, help="no progress bar")
    def montecarlo(scenario: str, runs: int, dispersion_file: Path | None, master_seed: int,
                   workers: int | None, use_dask: bool, scheduler: str | None, out_dir: Path | None,
                   keep_outliers: int | None, min_success: float | None, resume: bool,
                   no_plots: bool, quiet: bool) -> None:
        """Run a dispersed Monte Carlo campaign of SCENARIO (ascent, landing, ..., hop, any registered one, or
        campaign: the whole campaign with every phase dispersed)."""
        if scheduler and (use_dask or workers is not None):
            raise click.UsageError("--scheduler uses the cluster's workers; drop --dask/--workers")
        if use_dask and workers == 0:
            raise click.UsageError("--dask needs at least one worker")
        try:
            disp = load_dispersions(scenario, dispersion_file)
        except DispersionError as exc:
            raise click.BadParameter(str(exc), param_hint="--dispersion") from exc
        out_dir = out_dir or Path("runs") / f"montecarlo-{scenario}"
        executor = make_executor(workers, scheduler, use_dask)
        with output_dir(out_dir):
            try:
                report = run_campaign(scenario, disp, runs=runs, master_seed=master_seed, out_dir=out_dir,
                                      executor=executor, progress=not quiet and sys.stderr.isatty(),
                                      keep_outliers=keep_outliers, plots=not no_plots, resume=resume)
            except (DispersionError, LookupError, ScenarioError) as exc:
                raise click.ClickException(str(exc)) from None
        echo_report(report, out_dir)
        rate = (report["requirements"] or {}).get("rate", report["success_rate"])
        if min_success is not None and rate < min_success:
            sys.exit(1)

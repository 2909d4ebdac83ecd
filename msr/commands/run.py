"""`msr run`: the whole campaign in SIL, with a live progress display, a timeline and plots."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from msr.commands.sil import SEED, parse_value
from sim.scenario_params import show as shown


class PhaseProgress:
    """A clock observer: a progress bar of simulated time for one phase."""

    def __init__(self, label: str, duration_s: float, enabled: bool) -> None:
        self.bar = tqdm(total=round(duration_s), desc=f"{label:<9}", unit="sim s", leave=True,
                        disable=not enabled, dynamic_ncols=True,
                        bar_format="{desc} {bar} {n_fmt}/{total_fmt} sim s [{elapsed}]")
        self.shown = 0

    def advance_to(self, t_ns: int) -> None:
        s = min(int(t_ns // 1_000_000_000), self.bar.total)
        if s > self.shown:
            self.bar.update(s - self.shown)
            self.shown = s

    def close(self) -> None:
        self.bar.close()


def fmt_t(seconds: float) -> str:
    days, rem = divmod(seconds, 86_400)
    h, rem = divmod(rem, 3600)
    m, s = divmod(rem, 60)
    return f"{int(days):3d}d {int(h):02d}:{int(m):02d}:{s:06.3f}"


TIMELINE_HEAD, TIMELINE_TAIL = 8, 4   # a phase's first and last key events on the timeline


def timeline_lines(summary: dict) -> list[str]:
    """The mission timeline; a phase with many key events shows its first and last ones and
    says how many it leaves out (the end of a phase, e.g. the OS release, is never cut)."""
    lines = ["", "Mission timeline (campaign time)", "-" * 78]
    for row in summary["timeline"]:
        tag = "compressed" if row["compressed"] else ("ok" if row.get("success") else "FAILED")
        lines.append(f"{fmt_t(row['start_s'])} -> {fmt_t(row['end_s'])}  {row['phase']:<32} {tag}")
        events = row.get("events", [])
        hidden = len(events) - TIMELINE_HEAD - TIMELINE_TAIL
        shown = events if hidden <= 1 else events[:TIMELINE_HEAD] + [None] + events[-TIMELINE_TAIL:]
        for ev in shown:
            if ev is None:
                lines.append(f"{'':>20}... {hidden} more (phases/{row['phase']}/events.log)")
            else:
                lines.append(f"{'':>20}+{ev['t_s']:10.2f} s  {ev['component']:<10} {ev['text']}")
    return lines


def summary_lines(summary: dict) -> list[str]:
    c = summary["custody"]
    lines = ["", "Summary", "-" * 78]
    for p in summary["phases"]:
        lines.append(f"{p['phase']:<9} {'ok' if p['success'] else 'FAILED':<7} sim {p['sim_time_s'] or 0:9.1f} s"
                     f"   wall {p['wall_time_s'] or 0:6.2f} s")
    for k in ("delivered", "loaded", "in_orbit", "captured", "contained", "in_eev"):
        ids = c.get(k)
        lines.append(f"tubes {k:<9} {'-' if ids is None else f'{len(ids):2d}  ' + ','.join(map(str, ids))}")
    for phase, figs in summary["figures"].items():
        if figs:
            lines.append(f"{phase}: " + ", ".join(f"{k}={v}" for k, v in figs.items() if not isinstance(v, (dict, list))))
    from fsw.core.protection import protection_lines
    prot = summary.get("protection") or {}
    lines += protection_lines(prot)
    for phase, p in (prot.get("phases") or {}).items():
        lines.append(f"  {phase:<9} trips {p.get('trips')}, step faults {p.get('step_faults')}, "
                     f"restarts {p.get('restarts')}")
    lines.append(f"telemetry sha256 {summary['telemetry_sha256']}")
    lines.append("CAMPAIGN SUCCESS" if summary["success"] else "CAMPAIGN FAILED")
    return lines


def register(cli: click.Group) -> None:
    @cli.command("run")
    @click.option("--seed", type=SEED, default=2030, show_default=True, help="campaign seed")
    @click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
                  help="run directory (default runs/campaign-<seed>)")
    @click.option("--set", "sets", multiple=True, metavar="PHASE.KEY=VALUE",
                  help="override a phase's scenario parameter, e.g. delivery.delivery=perseverance")
    @click.option("--plots/--no-plots", default=True, show_default=True, help="write PNG plots")
    @click.option("--quiet", is_flag=True, help="no progress bars")
    @click.option("--force", is_flag=True, help="replace the campaign in a non-empty run directory")
    @click.option("--resume", "resume_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                  metavar="DIR", help="finish the interrupted campaign in DIR (its seed, --set values and "
                                      "--no-protection), from the first phase it did not complete")
    @click.option("--no-protection", is_flag=True,
                  help="fly WITHOUT fault protection (no monitors, no warm restart); the summaries say so")
    @click.option("--dispersion", "dispersion_file", type=click.Path(path_type=Path, dir_okay=False),
                  default=None, help="with --run K and --seed S (run K's seed): fly run K of a "
                                     "`msr montecarlo campaign` with that dispersion file")
    @click.option("--run", "mc_run", type=click.IntRange(min=0), default=None, metavar="K",
                  help="the Monte Carlo run to reproduce (with --dispersion)")
    @click.option("--one-core", is_flag=True,
                  help="fly the phases strictly one after another (by default, when a core is free, the "
                       "ascent and the capture fly ahead on it while the tubes are delivered: the same "
                       "bytes, sooner)")
    def run(seed: int, out_dir: Path | None, sets: tuple[str, ...], plots: bool, quiet: bool,
            force: bool, resume_dir: Path | None, no_protection: bool, dispersion_file: Path | None,
            mc_run: int | None, one_core: bool) -> None:
        """Run the whole Mars Sample Return campaign in SIL."""
        from msr.outdir import output_dir
        from sim.campaign import run_campaign
        from sim.deployment import ScenarioError

        overrides: dict[str, dict] = {}
        for item in sets:
            key, sep, raw = item.partition("=")
            phase, dot, name = key.partition(".")
            if not sep or not dot or not name:
                raise click.BadParameter(f"{shown(item)}: expected PHASE.KEY=VALUE", param_hint="--set")
            overrides.setdefault(phase, {})[name] = parse_value(raw)
        if resume_dir is not None:
            if dispersion_file is not None or mc_run is not None:
                raise click.UsageError("--resume takes the campaign's own setup: drop --dispersion/--run")
            seed, overrides, out_dir, no_protection = _resume_inputs(resume_dir, out_dir, force, seed, overrides,
                                                                     no_protection)
        elif dispersion_file is not None or mc_run is not None:
            out_dir = out_dir or Path("runs") / f"campaign-{seed}-run{mc_run}"
            seed, overrides = _monte_carlo_inputs(dispersion_file, mc_run, seed, overrides)
        out_dir = out_dir or Path("runs") / f"campaign-{seed}"
        show = not quiet and sys.stderr.isatty()
        bars: list[PhaseProgress] = []

        def on_phase(phase, pseed, duration_s):
            if not show:
                click.echo(f"[{phase.name}] {phase.title} (seed {pseed})")
            bars.append(PhaseProgress(phase.name, duration_s, show))
            if len(bars) > 1:
                bars[-2].close()
            return bars[-1]
        with output_dir(out_dir, "--resume" if resume_dir is not None else "--out"):
            try:
                result = run_campaign(seed, out_dir, overrides=overrides, on_phase=on_phase,
                                      resume=resume_dir is not None, force=force, protection=not no_protection,
                                      ahead=not one_core and two_cpus(), plots=plots)
            except ScenarioError as exc:
                raise click.ClickException(str(exc)) from None
            finally:
                for b in bars:
                    b.close()
            summary = result.summary
            for line in timeline_lines(summary) + summary_lines(summary):
                click.echo(line)
            if plots:
                from sim.report.campaign_plots import campaign_plots
                # those drawn ahead (in the idle time of the process flying ahead) are kept
                for path in campaign_plots(result, workers=2 if two_cpus() else 1, missing_only=True):
                    click.echo(f"plot: {path}")
        click.echo(f"run directory: {out_dir}")
        sys.exit(0 if summary["success"] else 1)


def two_cpus() -> bool:
    """A second core for flying ahead: this process may run on two CPUs or more (its affinity,
    which a container or `taskset` narrows). Not the load average: the campaign just flown
    keeps it above 1 for a minute, and on a busy machine two processes of ours get a larger
    share of the CPUs than one, for the same total work (the prediction nearly always holds)."""
    import os
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):   # pragma: no cover - not on Linux
        cpus = os.cpu_count() or 1
    return cpus > 1


def _monte_carlo_inputs(dispersion_file: Path | None, mc_run: int | None, run_seed: int,
                        overrides: dict[str, dict]) -> tuple[int, dict[str, dict]]:
    """--seed S --dispersion F --run K: the campaign seed and overrides of Monte Carlo run K
    (S is its run seed), with the --set values on top."""
    from sim.campaign.montecarlo import inputs_for_run
    from sim.montecarlo.dispersions import DispersionError
    if dispersion_file is None or mc_run is None:
        raise click.UsageError("--dispersion and --run go together (re-running one Monte Carlo run)")
    if click.get_current_context().get_parameter_source("seed") is click.core.ParameterSource.DEFAULT:
        raise click.UsageError("--run K needs --seed S, run K's seed (montecarlo.json, or its reproduce line)")
    try:
        seed, dispersed, flat = inputs_for_run(dispersion_file, run=mc_run, run_seed=run_seed)
    except (DispersionError, LookupError) as exc:
        raise click.BadParameter(str(exc), param_hint="--dispersion") from None
    click.echo(f"Monte Carlo run {mc_run}: run seed {run_seed}, campaign seed {seed}, inputs {flat}")
    for phase, values in overrides.items():
        dispersed.setdefault(phase, {}).update(values)
    return seed, dispersed


def _resume_inputs(resume_dir: Path, out_dir: Path | None, force: bool, seed: int,
                   overrides: dict[str, dict], no_protection: bool) -> tuple[int, dict[str, dict], Path, bool]:
    """--resume DIR takes the seed, --set values and protection DIR's campaign was started with."""
    from sim.campaign.campaign_dir import RunDirError, resume_setup
    ctx = click.get_current_context()
    if force or (out_dir is not None and out_dir != resume_dir):
        raise click.UsageError("--resume DIR continues DIR: drop --force and --out")
    try:
        saved_seed, saved, protected = resume_setup(resume_dir)
    except RunDirError as exc:
        raise click.ClickException(str(exc)) from None
    seed_given = ctx.get_parameter_source("seed") is not click.core.ParameterSource.DEFAULT
    if (seed_given and seed != saved_seed) or (overrides and overrides != saved):
        raise click.UsageError(f"{resume_dir} holds the campaign of seed {saved_seed} with --set {saved or 'none'}; "
                               "--resume takes those (drop --seed/--set)")
    if no_protection and protected:
        raise click.UsageError(f"{resume_dir} holds a campaign flown with fault protection; "
                               "--resume flies it the same way (drop --no-protection)")
    return saved_seed, saved, resume_dir, not protected

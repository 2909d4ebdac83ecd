"""`msr sil SCENARIO`: run one SIL scenario, print its summary, write DIR/summary.json.

SCENARIO is any registered scenario (`sim.registry`: the built-in ones and every installed
package's `msr.scenarios` entry points) or a dotted path package.module[:ATTR]. It flies with
`Scenario.fly` (`run_scenario`, or the scenario's own `run`, e.g. the map of the run's seed),
which writes the telemetry log, its dictionary, the event log and the
summary; the short summary is followed by the `protection` section (monitor trips, step
faults with their raising lines, warm restarts).
A bad override is a `ScenarioError`, shown as a one-line error.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from msr.commands.live import live_link, live_options
from sim.scenario_params import MAX_SEED, ScenarioError, show

def load_scenario(name: str):
    """The registered scenario `name`, or a one-line usage error naming the registered ones."""
    from sim import registry
    try:
        return registry.scenario(name)
    except registry.RegistryError as exc:
        raise click.ClickException(str(exc)) from None


SEED = click.IntRange(0, MAX_SEED)   # seeds are non-negative 63-bit integers (Monte Carlo's are)


def parse_value(raw: str) -> Any:
    """A `--set` value: JSON where it parses (numbers, true/false, lists, tables), else the text.
    Text too deeply nested or with too many digits for the JSON reader stays text, and the
    scenario's declaration then refuses it with one line."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):     # JSONDecodeError, int digit limit, deep nesting
        return raw


def parse_overrides(items: tuple[str, ...]) -> dict:
    """`--set key=value` pairs; values are read as JSON where they parse, else as strings."""
    out: dict = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{show(item)}: expected KEY=VALUE", param_hint="--set")
        out[key] = parse_value(raw)
    return out


def write_summary(summary: dict, out_dir: Path) -> Path:
    """DIR/summary.json: a deployment scenario's run directory already ends with it (written
    before its manifest says complete, `sim.rundir`); any other scenario's is written here."""
    from sim import rundir
    if rundir.is_complete(out_dir):
        return out_dir / rundir.SUMMARY
    out_dir.mkdir(parents=True, exist_ok=True)
    return rundir.write_json(out_dir / rundir.SUMMARY, summary)


def register(cli: click.Group) -> None:
    @cli.command("sil")
    @click.argument("scenario")
    @click.option("--seed", type=SEED, default=1, show_default=True, help="scenario seed")
    @click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
                  help="run directory (default runs/<scenario>-<seed>)")
    @click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
                  help="override a scenario parameter (repeatable)")
    @click.option("--dispersion", "dispersion_file", type=click.Path(path_type=Path, dir_okay=False),
                  default=None, help="with --run: re-run one Monte Carlo run (--seed is its run seed)")
    @click.option("--run", "mc_run", type=click.IntRange(min=0), default=None,
                  help="Monte Carlo run index (see montecarlo.json)")
    @click.option("--no-protection", is_flag=True,
                  help="fly WITHOUT fault protection (no monitors, no warm restart); the summary says so")
    @live_options
    def sil(scenario: str, seed: int, out_dir: Path | None, overrides: tuple[str, ...],
            dispersion_file: Path | None, mc_run: int | None, no_protection: bool, **live_opts) -> None:
        """Run one SIL scenario (landing, fetch, ascent, capture, zone, ... or any registered one)."""
        from fsw.core.protection import protection_lines
        from msr.commands.montecarlo import sil_run_inputs
        module = load_scenario(scenario)
        out_dir = out_dir or Path("runs") / f"{scenario}-{seed}"
        seed, values = sil_run_inputs(scenario, dispersion_file, mc_run, seed, parse_overrides(overrides))
        from msr.outdir import output_dir
        with output_dir(out_dir):
            try:
                with live_link(out_dir, **live_opts):
                    summary = module.fly(seed=seed, out_dir=out_dir, overrides=values, protection=not no_protection)
            except ScenarioError as exc:
                raise click.ClickException(str(exc)) from None
            for line in module.summary_lines(summary) + protection_lines(summary.get("protection", {})):
                click.echo(line)
            path = write_summary(summary, out_dir)
        click.echo(f"summary: {path}")
        sys.exit(0 if summary.get("success") else 1)

"""`msr faults SCENARIO... --out DIR`: the fault x phase matrix (issue 11).

Writes DIR/faults.json (every row, the nominal baselines, the figures) and DIR/faults.md (the
readable table). SCENARIO is any registered scenario that declares fault cases
(`Scenario.fault_cases`: `zone` is the bench's small vehicle) or `all` (every one that does).
Exit status 1 when a fault went undetected, a tube was lost or duplicated, an exception
escaped, or a nominal run raised a false alarm.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click


def register(cli: click.Group) -> None:
    @cli.command("faults")
    @click.argument("scenarios", nargs=-1, required=True)
    @click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), required=True,
                  help="write DIR/faults.json and DIR/faults.md")
    @click.option("--quick", is_flag=True, help="the small subset the tests fly")
    @click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=1, show_default=True)
    @click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
                  help="runs in parallel processes")
    def faults(scenarios: tuple[str, ...], out_dir: Path, quick: bool, seed: int, jobs: int) -> None:
        """Inject every fault kind in every chosen phase; detected, ticks, response, outcome, tubes."""
        from msr.outdir import output_dir
        from sim import registry
        from sim.rundir import atomic_write
        from sim.faults.matrix import MatrixError, run_matrix, scenario_cases, table_lines
        try:
            names = [n for n, sc in registry.scenarios().items() if sc.fault_cases is not None] \
                if scenarios == ("all",) else list(scenarios)
            for name in names:
                scenario_cases(name)
        except (MatrixError, registry.RegistryError) as exc:
            raise click.ClickException(str(exc)) from None

        def progress(row: dict) -> None:
            click.echo(f"  {row['scenario']} {row['phase']} {row['fault']}({row['target']}): "
                       f"{'detected by ' + row['monitor'] if row['detected'] else 'NOT detected'}, {row['outcome']}",
                       err=True)
        with output_dir(out_dir):   # proved writable before the matrix flies
            result = run_matrix(names, quick=quick, seed=seed, jobs=jobs, progress=progress)
            atomic_write(out_dir / "faults.json", json.dumps(result, indent=1, sort_keys=True, default=str) + "\n")
            lines = table_lines(result)
            atomic_write(out_dir / "faults.md", "# Fault x phase matrix\n\n" + "\n".join(lines) + "\n")
        for line in lines:
            click.echo(line)
        f = result["figures"]
        bad = f["undetected"] or f["not_injected"] or f["tubes_lost"] or f["tubes_duplicated"] \
            or f["exceptions"] or f["false_alarms"] or f["unexplained_losses"]
        click.echo(f"matrix: {out_dir / 'faults.json'}, table: {out_dir / 'faults.md'}")
        if bad:
            sys.exit(1)

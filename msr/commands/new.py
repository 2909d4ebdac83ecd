"""`msr new vehicle NAME [--dir DIR]` and `msr new component NAME --dir PACKAGE`: a working
start (msr/scaffold.py): a package that installs and passes its own tests at once."""
from __future__ import annotations

from pathlib import Path

import click


def register(cli: click.Group) -> None:
    @cli.group("new")
    def new() -> None:
        """Start a vehicle package or a component from templates."""

    @new.command("vehicle")
    @click.argument("name")
    @click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                  show_default=True, help="where the package directory NAME/ is created")
    def vehicle(name: str, parent: Path) -> None:
        """A vehicle package: component with a mode table, devices, plant, faults, scenario, bench, tests."""
        from msr.scaffold import ScaffoldError, new_vehicle
        try:
            files = new_vehicle(name, parent)
        except (ScaffoldError, OSError) as exc:
            raise click.ClickException(str(exc)) from None
        root = parent / name
        click.echo(f"created {root} ({len(files)} files)")
        click.echo(f"next: pip install -e '{root}[test]' && pytest {root} && msr sil {name} --seed 1")

    @new.command("component")
    @click.argument("name")
    @click.option("--dir", "package_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
                  help="the vehicle's package directory (holding __init__.py)")
    def component(name: str, package_dir: Path) -> None:
        """A component with a mode table and its hypothesis mode-property test."""
        from msr.scaffold import ScaffoldError, new_component
        try:
            files = new_component(name, package_dir)
        except (ScaffoldError, OSError) as exc:
            raise click.ClickException(str(exc)) from None
        for path in files:
            click.echo(f"created {path}")
        click.echo(f"next: add it to your vehicle's MODE_COMPONENTS and flight(); pytest {files[1]}")

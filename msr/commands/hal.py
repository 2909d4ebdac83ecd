"""`msr hal ...`: the device catalog, configuration checks and a serial device probe."""
from __future__ import annotations

from pathlib import Path

import click

from hal.catalog import describe
from hal.config import SerialSpec, build_devices, load_toml
from hal.errors import DeviceFault


def register(cli: click.Group) -> None:
    @cli.group("hal")
    def hal_group() -> None:
        """Device catalog, device configuration and serial devices."""

    @hal_group.command("catalog")
    def catalog() -> None:
        """Print every device kind with its reading and command fields."""
        click.echo(describe())

    @hal_group.command("check")
    @click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def check(config: Path) -> None:
        """Validate the [devices] table of CONFIG (no port is opened)."""
        try:
            specs = load_toml(config)
        except DeviceFault as exc:
            raise click.ClickException(str(exc)) from None
        for name, spec in specs.items():
            b = spec.backend
            where = (f"serial {b.port.url} @ {b.port.baudrate} address {b.address}"
                     if isinstance(b, SerialSpec) else f"sim {b.model.rate_hz} Hz")
            click.echo(f"{name:20s} {spec.kind.name:18s} {where}")

    @hal_group.command("probe")
    @click.argument("config", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def probe(config: Path) -> None:
        """Identify and read every serial device of CONFIG once."""
        try:
            specs = {n: s for n, s in load_toml(config).items() if isinstance(s.backend, SerialSpec)}
            devices = build_devices(specs)
        except DeviceFault as exc:
            raise click.ClickException(str(exc)) from None
        failed = 0
        with devices:
            for name, dev in devices.items():
                try:
                    dev.channel.identify()
                    click.echo(f"{name}: {dev.read() if dev.kind.is_sensor else 'ok'}")
                except DeviceFault as exc:
                    failed += 1
                    click.echo(f"{name}: FAULT {exc}")
        if failed:
            raise click.ClickException(f"{failed} device(s) failed")

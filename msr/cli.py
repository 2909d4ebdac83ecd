"""The `msr` command line: the one place allowed to import every layer."""
from __future__ import annotations

import importlib

import click

# Each area registers its commands in its own module under msr/commands/.
COMMAND_MODULES = (
    "run",
    "sil",
    "modes",
    "hal",
    "montecarlo",
    "link",
    "console",
    "hil",
    "faults",
    "diff",
    "golden",
    "new",
)


class _LazyGroup(click.Group):
    """Imports a command's module only when that command runs (`msr hil run` on a small
    board must not pay for Monte Carlo, plots or the ground tools); a command named like
    its module (`msr hil` -> msr.commands.hil) loads alone, anything else (help, `msr gds`)
    loads them all."""

    _loaded: set[str] = set()

    def _load(self, names) -> None:
        for name in names:
            if name not in self._loaded:
                self._loaded.add(name)
                importlib.import_module(f"msr.commands.{name}").register(self)

    def get_command(self, ctx: click.Context, cmd_name: str):
        if cmd_name in COMMAND_MODULES:
            self._load([cmd_name])
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None:
            self._load(COMMAND_MODULES)
            cmd = super().get_command(ctx, cmd_name)
        return cmd

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load(COMMAND_MODULES)
        return super().list_commands(ctx)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="msr-fsw")
def cli() -> None:
    """Mars Sample Return flight software: SIL, HIL, ground tools and Monte Carlo."""


def main() -> None:
    cli()

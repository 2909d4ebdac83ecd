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
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="msr-fsw")
def cli() -> None:
    """Mars Sample Return flight software: SIL, HIL, ground tools and Monte Carlo."""


def _register() -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"msr.commands.{name}")
        module.register(cli)


_register()


def main() -> None:
    cli()

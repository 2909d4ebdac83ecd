"""Finding a scenario module by name, and what it declares about itself.

A scenario is a module with `run(*, seed, out_dir, overrides) -> dict` (with "success") and
`summary_lines(summary)` (see msr/commands/sil.py). Optionally it declares
`PARAMETERS` (the override keys it accepts: any iterable, or a dict of defaults),
`PARAMETER_PREFIXES` (families of keys it also accepts, e.g. "flight." for flight-software
parameters), 
`KEY_FIGURES` (the summary figures a Monte Carlo campaign should summarise) and
`WALL_FIELDS` (summary fields measured on the wall clock: kept out of the deterministic record),
and these callables: `campaign_figures(records) -> dict` (figures over all runs, e.g. a landing
ellipse: the report's `scenario_figures`), `check_dispersions(d)` (refuse what `PARAMETERS`
cannot say, raising DispersionError), `reproduce_command(source, record)`,
`describe_failure(record)` (fields added to each failure), `report_sections(records)`
(sections added to the report), `report_lines(report)` (what `msr montecarlo` prints of them)
and `write_plots(report, dir)` (instead of the generic plots). `campaign`
(sim.campaign.montecarlo) uses all but the first.
"""
from __future__ import annotations

import importlib
from types import ModuleType

BUILTIN = {"demo": "sim.montecarlo.demo", "campaign": "sim.campaign.montecarlo"}


def module_path(name: str) -> str:
    """"ascent" -> "sim.scenarios.ascent"; "demo" -> the toy scenario; dotted names as given."""
    if name in BUILTIN:
        return BUILTIN[name]
    return name if "." in name else f"sim.scenarios.{name}"


def load(name: str) -> ModuleType:
    path = module_path(name)
    try:
        module = importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name and path.startswith(exc.name):
            raise LookupError(f"no scenario {name!r} (module {path} not found)") from exc
        raise
    if not callable(getattr(module, "run", None)):
        raise LookupError(f"{path} is not a scenario: it has no run(*, seed, out_dir, overrides)")
    return module


def declared_parameters(module: ModuleType) -> list[str] | None:
    """The override keys the scenario accepts, or None if it does not say."""
    for attr in ("PARAMETERS", "DEFAULTS"):
        declared = getattr(module, attr, None)
        if declared is not None:
            return sorted(declared)
    return None


def declared_key_figures(module: ModuleType) -> tuple[str, ...]:
    return tuple(getattr(module, "KEY_FIGURES", ()))


def declared_wall_fields(module: ModuleType) -> tuple[str, ...]:
    """The scenario's own wall-clock fields plus those `run_scenario` adds (wall_time_s)."""
    from sim.deployment import wall_fields
    return wall_fields(module)


def declared_prefixes(module: ModuleType) -> tuple[str, ...]:
    return tuple(getattr(module, "PARAMETER_PREFIXES", ()))

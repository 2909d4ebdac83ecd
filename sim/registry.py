"""The one place scenarios and vehicles are found: built-in and third-party alike.

Why: every command (`msr sil`, `modes`, `dict`, `gds`, `faults`, `montecarlo`, `hil`, the
campaign, the `sil` fixture) must take a vehicle written outside this repository the same way
it takes the lander. A package declares a `Scenario` (below) and a `fsw.vehicle.Vehicle` and
names them in its entry points:

    [project.entry-points."msr.scenarios"]
    probe = "probe.scenario:SCENARIO"
    [project.entry-points."msr.vehicles"]
    probe = "probe:VEHICLE"

This project registers its own scenarios exactly so (pyproject.toml). A name may also be a
dotted path, "package.module:ATTR" or "package.module" (its `SCENARIO`), for a scenario that is
not installed. An unknown name, a plugin that fails to import, two distributions claiming one
name and an APID clash are each a `RegistryError`: one line naming what is wrong.

APIDs: a vehicle that declares `apid_base` reserves `apids` APIDs from it; one that does not is
given a slot of `APID_SLOT` APIDs chosen from its name alone (sha256), so the same vehicle gets
the same APIDs on every machine whatever else is installed; each run's dictionary.json records
it. Two registered vehicles whose ranges overlap are refused, naming both.
"""
from __future__ import annotations

import hashlib
import inspect
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from fsw.vehicle import Vehicle, resolve
from sim.scenario_params import ScenarioError, ScenarioParam

if TYPE_CHECKING:
    from sim.faults.cases import ScenarioCases

GROUP = "msr.scenarios"
VEHICLE_GROUP = "msr.vehicles"
APID_SLOT = 0x20            # APIDs of a vehicle the registry places (components it may have)
# where undeclared vehicles are placed: blocks no built-in vehicle uses, the idle APID kept out
FREE_SLOTS = tuple(range(0x540, 0x600, APID_SLOT)) + tuple(range(0x700, 0x7E0, APID_SLOT))


class RegistryError(ScenarioError):
    """A scenario or vehicle cannot be found or loaded (the message names it and why)."""


@dataclass(frozen=True)
class Scenario:
    """One scenario. The deployment split (`plant`, `device_config`, `flight`) is what SIL and a
    HIL bench build from; a scenario without it (a toy for the Monte Carlo engine) gives `run`.

    plant(seed, overrides) -> plant; device_config(overrides) -> the `[devices]` table;
    flight(devices, clock, overrides, protection) -> (topology, executive), protection included;
    summarize(outcome) -> dict with "success"; summary_lines(summary) -> list[str];
    duration_s(overrides) -> float; done(topology) -> bool (stop early);
    run(*, seed, out_dir, overrides, protection) -> summary (default: `run_scenario`).
    products(overrides) -> {setting: file name} and make_product(setting, overrides, path): the
    ground products the flight side loads (sim/deployment.py says where they come from).
    Monte Carlo report hooks (sim/montecarlo/campaign.py; the campaign's own, sim/campaign/
    montecarlo.py, uses them all): check_dispersions(d) refuses what `params` cannot say
    (a DispersionError); reproduce_command(source, record) -> str; describe_failure(record)
    -> fields added to each failure; report_sections(records) -> sections added to the report;
    report_lines(report) -> what `msr montecarlo` prints of them; write_plots(report, dir)
    instead of the generic plots.
    `params` declare the overrides (type, limits), `prefixes` the flight-parameter families
    passed through ("rover." -> rover.NAME), `check` what needs more than the declarations.
    """

    name: str
    vehicle: Vehicle
    summary_lines: Callable[[dict], list[str]]
    plant: Callable[..., Any] | None = None
    device_config: Callable[..., dict] | None = None
    flight: Callable[..., tuple[Any, Any]] | None = None
    summarize: Callable[[Any], dict] | None = None
    duration_s: Callable[[Mapping[str, Any]], float] | None = None
    done: Callable[[Any], bool] | None = None
    run: Callable[..., dict] | None = None
    params: tuple[ScenarioParam, ...] = ()
    prefixes: tuple[str, ...] = ()
    check: Callable[[Mapping[str, Any]], None] | None = None
    fault_cases: ScenarioCases | None = None
    key_figures: tuple[str, ...] = ()
    wall_fields: tuple[str, ...] = ()
    truth_period_s: float = 1.0
    artifacts: Callable[[Any], dict] | None = None
    device_seed: Callable[[int], int] | None = None
    campaign_figures: Callable[[list], dict] | None = None
    products: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None
    make_product: Callable[[str, Mapping[str, Any], Path], None] | None = None
    check_dispersions: Callable[[Any], None] | None = None
    reproduce_command: Callable[[str, Mapping[str, Any]], str] | None = None
    describe_failure: Callable[[Mapping[str, Any]], dict] | None = None
    report_sections: Callable[[list], dict] | None = None
    report_lines: Callable[[Mapping[str, Any]], list[str]] | None = None
    write_plots: Callable[[Mapping[str, Any], Path], list[Path]] | None = None
    doc: str = field(default="", compare=False)

    @property
    def deployable(self) -> bool:
        """SIL and HIL can build it (plant, devices, flight side)."""
        return all(callable(f) for f in (self.plant, self.device_config, self.flight))

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    @property
    def module(self) -> str:
        """The module that declares it (what a deploy bundle must carry)."""
        fn = self.flight or self.run or self.summary_lines
        return getattr(fn, "__module__", "") or ""

    def check_overrides(self, overrides: Mapping[str, Any]) -> None:
        """Everything checkable before flying: a ScenarioError naming the bad value."""
        if not isinstance(overrides, Mapping) or not all(isinstance(k, str) for k in overrides):
            raise ScenarioError("overrides must be a table of NAME = value")
        if self.check is not None:
            self.check(dict(overrides))
            return
        if self.params:
            from sim.deployment import resolve_overrides
            resolve_overrides(overrides, self.defaults, self.prefixes, self.params)

    def fly(self, *, seed: int, out_dir: Path | None, overrides: Mapping[str, Any] | None = None,
            protection: bool = True) -> dict[str, Any]:
        """`msr sil` and Monte Carlo: fly once, write `out_dir` (None: keep nothing), the summary."""
        if self.run is not None:
            kwargs: dict[str, Any] = {"seed": seed, "out_dir": out_dir, "overrides": dict(overrides or {})}
            if "protection" in inspect.signature(self.run).parameters:
                kwargs["protection"] = protection
            return self.run(**kwargs)
        from sim.deployment import run_scenario
        return run_scenario(self, seed=seed, out_dir=out_dir, overrides=overrides, protection=protection)


# ---------------------------------------------------------------- entry points
@lru_cache(maxsize=None)
def _entry_points(group: str) -> dict[str, metadata.EntryPoint]:
    found: dict[str, metadata.EntryPoint] = {}
    for ep in metadata.entry_points(group=group):
        prior = found.get(ep.name)
        if prior is not None and prior.value != ep.value:
            raise RegistryError(f"{group} {ep.name!r} is registered twice: {prior.value} "
                                f"({_dist(prior)}) and {ep.value} ({_dist(ep)})")
        found[ep.name] = ep
    return found


def _dist(ep: metadata.EntryPoint) -> str:
    return ep.dist.name if ep.dist is not None else "unknown distribution"


def _load(ep: metadata.EntryPoint, what: str, kind: type) -> Any:
    try:
        obj = ep.load()
    except Exception as exc:   # a broken plugin is one line, never a traceback
        raise RegistryError(f"{what} {ep.name!r} ({ep.value}, from {_dist(ep)}) fails to import: "
                            f"{type(exc).__name__}: {exc}") from None
    if not isinstance(obj, kind):
        raise RegistryError(f"{what} {ep.name!r} ({ep.value}) is a {type(obj).__name__}, "
                            f"not a {kind.__module__}.{kind.__name__}")
    return obj


def _by_path(ref: str, attr: str, what: str, kind: type) -> Any:
    if ":" not in ref:
        ref = f"{ref}:{attr}"
    try:
        obj = resolve(ref)
    except ModuleNotFoundError as exc:
        raise RegistryError(f"{what} {ref!r}: no module {exc.name}") from None
    except AttributeError:
        raise RegistryError(f"{what} {ref!r}: the module declares no {ref.partition(':')[2]} "
                            f"(a {kind.__name__}; see sim/registry.py)") from None
    except Exception as exc:
        raise RegistryError(f"{what} {ref!r} fails to import: {type(exc).__name__}: {exc}") from None
    if not isinstance(obj, kind):
        raise RegistryError(f"{what} {ref!r} is a {type(obj).__name__}, not a {kind.__name__}")
    return obj


def scenario_names() -> list[str]:
    return sorted(_entry_points(GROUP))


def vehicle_names() -> list[str]:
    return sorted(_entry_points(VEHICLE_GROUP))


def scenario(name: str | Scenario) -> Scenario:
    """The registered scenario `name` (or a dotted path "package.module[:ATTR]")."""
    if isinstance(name, Scenario):
        return name
    if not isinstance(name, str) or not name:
        raise RegistryError(f"scenario name must be text, got {name!r}")
    ep = _entry_points(GROUP).get(name)
    if ep is not None:
        return _load(ep, "scenario", Scenario)
    if "." in name or ":" in name:
        return _by_path(name, "SCENARIO", "scenario", Scenario)
    raise RegistryError(f"unknown scenario {name!r}; registered: {', '.join(scenario_names()) or 'none'} "
                        f"(or a dotted path package.module[:ATTR])")


def vehicle(name: str) -> Vehicle:
    """The registered vehicle `name` (or a dotted path "package.module[:ATTR]", its VEHICLE)."""
    ep = _entry_points(VEHICLE_GROUP).get(name)
    if ep is not None:
        return _load(ep, "vehicle", Vehicle)
    if "." in name or ":" in name:
        return _by_path(name, "VEHICLE", "vehicle", Vehicle)
    raise RegistryError(f"unknown vehicle {name!r}; registered: {', '.join(vehicle_names()) or 'none'}")


def scenarios() -> dict[str, Scenario]:
    """Every registered scenario (a broken plugin is a RegistryError naming it)."""
    return {n: scenario(n) for n in scenario_names()}


def vehicles() -> dict[str, Vehicle]:
    return {n: vehicle(n) for n in vehicle_names()}


# ---------------------------------------------------------------- APIDs
def assigned_slot(name: str) -> int:
    """The slot an undeclared vehicle gets: from its name alone, the same on every machine."""
    h = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return FREE_SLOTS[h % len(FREE_SLOTS)]


def apid_range(v: Vehicle) -> range:
    if v.apid_base is not None:
        return range(v.apid_base, v.apid_base + v.apids)
    base = assigned_slot(v.name)
    return range(base, base + APID_SLOT)


def _hex(r: range) -> str:
    return f"{r.start:#05x}-{r.stop - 1:#05x}"


def apid_base(v: Vehicle) -> int:
    """`v`'s APID base, checked against every registered vehicle: a clash names both."""
    mine = apid_range(v)
    for name in vehicle_names():
        if name == v.name:
            continue
        other = apid_range(vehicle(name))
        if mine.start < other.stop and other.start < mine.stop:
            how = "declared" if v.apid_base is not None else "assigned from its name"
            raise RegistryError(f"APID clash: vehicle {v.name!r} ({_hex(mine)}, {how}) overlaps vehicle "
                                f"{name!r} ({_hex(other)}); declare another apid_base in {v.name!r}'s Vehicle")
    return mine.start


def check_component_count(v: Vehicle, count: int) -> None:
    span = len(apid_range(v))
    if count > span:
        raise RegistryError(f"vehicle {v.name!r} has {count} components but {span} APIDs "
                            f"({_hex(apid_range(v))}); declare apid_base and apids in its Vehicle")


__all__ = ["APID_SLOT", "FREE_SLOTS", "GROUP", "RegistryError", "Scenario", "VEHICLE_GROUP", "apid_base",
           "apid_range", "assigned_slot", "check_component_count", "scenario", "scenario_names", "scenarios",
           "vehicle", "vehicle_names", "vehicles"]

"""Scenario deployments: the split that lets the same flight code run in SIL and on a bench.

A scenario is declared once (`sim.registry.Scenario`: plant, device config, flight build,
summary, duration, end state, parameters, fault cases) and found by name through the registry,
built-in or not. Anything the ground does during the scenario (commands, sequences) runs
inside the executive, so SIL and a lockstep HIL bench execute exactly the same ticks.

The flight side carries the APID base the registry gives its vehicle (`topology.apid_base`),
so its telemetry log and dictionary.json need no table.

Ground products: a scenario may declare `products(overrides) -> {setting: file name}` (files
the flight side loads, e.g. the landing's onboard map; names from settings) and
`make_product(setting, overrides, path)` (the ground writes one). The flight side gets each
product's path as its setting: a file in `products_dir` (a board's installed bundle,
`msr hil deploy`), or, where none was deployed (SIL, a bench on one machine), one the ground
writes just before the flight side loads it, into the product cache (`sim.product_cache`:
kept between runs, addressed by the code and the product's inputs) or, with the cache off,
a temporary directory: the same file, loaded the same way, everywhere.

`flight` builds the vehicle *with* its fault protection (`protection` is an
`fsw.core.protection.ProtectionConfig`: where checkpoints go; pass it to the vehicle's
`build_flight`). `Deployment.flight` refuses a flight side built without protection unless
the deployment was explicitly made without it (`protection=False`, `--no-protection`), and
adds the ground's heartbeat (`sim.faults.install.add_ground`); every summary says which
(`protection` section: installed, monitor trips, step faults, warm restarts).

`fly` is the one loop both SIL and HIL use; `run_scenario` is `msr sil`: it flies the
deployment in SIL and writes the run directory (CCSDS telemetry log, its dictionary, the
event log, summary).
"""
from __future__ import annotations

import hashlib
import inspect
import tempfile
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterable, Mapping

from fsw.core import Executive, SimClock, Topology
from fsw.core.eventlog import EventLogWriter
from fsw.core.protection import ProtectionConfig, protection_summary
from fsw.core.time import ns_to_seconds, seconds_to_ns
from fsw.link.log import TelemetryLogWriter
from hal.config import DeviceSet, build_devices
from sim import product_cache
from sim import rundir
from sim import registry
from sim.faults.install import add_ground
from sim.registry import Scenario
from sim.scenario_params import MAX_SEED, ScenarioError, ScenarioParam, check_values, show

if TYPE_CHECKING:   # the simulator's side only: a board's flight side loads neither
    from sim.truth import TruthRecorder

TRUTH = "truth.npz"
TELEMETRY_LOG = "telemetry.bin"
EVENT_LOG = "events.log"
DICTIONARY = "dictionary.json"
ARTIFACTS = "artifacts.npz"


# Called as hook(topology, executive, log) once a SIL flight is built, before it flies: how
# `msr sil --live` (sim/live.py) adds its link and pacing to any scenario's `run`.
FLIGHT_HOOKS: ContextVar[tuple[Callable[[Topology, Executive, TelemetryLogWriter], None], ...]] = \
    ContextVar("FLIGHT_HOOKS", default=())


def resolve_overrides(overrides: Mapping[str, Any], defaults: Mapping[str, Any],
                      passthrough_prefixes: tuple[str, ...] = (), params: Iterable[ScenarioParam] = ()
                      ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge overrides into a scenario's defaults; keys starting with one of
    `passthrough_prefixes` (flight-software parameters such as "nav.") are returned apart.

    An unknown key is a ScenarioError naming it and the known ones; with `params` (the
    scenario's ScenarioParam declarations) every declared value is checked too, defaults and
    overrides alike, so nothing unchecked reaches a plant."""
    if not isinstance(overrides, Mapping) or not all(isinstance(k, str) for k in overrides):
        raise ScenarioError(f"overrides must be a table of NAME = value, got {show(overrides)}")
    passthrough = {k: v for k, v in overrides.items() if k.startswith(passthrough_prefixes)} \
        if passthrough_prefixes else {}
    unknown = sorted(k for k in overrides if k not in defaults and k not in passthrough)
    if unknown:
        raise ScenarioError(f"unknown override(s) {', '.join(unknown)}; known: "
                            f"{', '.join(sorted(defaults))}"
                            + (f", or {'/'.join(passthrough_prefixes)}NAME" if passthrough_prefixes else ""))
    merged = dict(defaults)
    merged.update((k, v) for k, v in overrides.items() if k not in passthrough)
    return check_values(params, merged), passthrough


def validate_overrides(scenario: Scenario | str, overrides: Mapping[str, Any]) -> None:
    """Everything about `overrides` that can be checked without flying (types, limits,
    flight-parameter limits): a ScenarioError naming the bad one, before anything flies."""
    registry.scenario(scenario).check_overrides(overrides)


def tube_id_list(value: Any) -> list[int]:
    """Tube ids (a list of integers, or "1,2,3" from the command line), sorted, unique,
    1..65535; ValueError saying what is wrong."""
    if isinstance(value, str):
        items: list[Any] = [x.strip() for x in value.split(",") if x.strip()]
        if not all(x.isascii() and x.isdigit() for x in items):
            raise ValueError("not a comma-separated list of ids")
        items = [int(x) for x in items]
    elif isinstance(value, (list, tuple)):
        items = list(value)
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in items):
            raise ValueError("ids must be integers")
    else:
        raise ValueError("not a list of ids")
    ids = sorted(set(items))
    if not ids or ids[0] < 1 or ids[-1] > 0xFFFF:
        raise ValueError("need at least one id, each in 1..65535")
    return ids


def parse_tube_ids(value: Any) -> list[int]:
    """The OS contents as a sorted list of tube ids (a list, or "1,2,3" from the command line)."""
    try:
        return tube_id_list(value)
    except ValueError as exc:
        raise ScenarioError(f"tube_ids={show(value)}: {exc}; allowed: a list of integer ids in 1..65535") from None


@dataclass
class Deployment:
    """One scenario with its seed and overrides; every side builds its part from here."""

    name: str                                   # a registered name, a dotted path, or a Scenario
    seed: int = 1
    overrides: dict[str, Any] = field(default_factory=dict)
    scenario: Scenario | None = None            # default: the registry's scenario `name`
    duration_override_s: float | None = None   # a bench's duration_s (not a scenario override)
    protection: bool = True                     # False only by an explicit --no-protection
    products_dir: Path | None = None           # deployed ground products (a board's bundle)
    product_sources: dict[str, str] = field(default_factory=dict)   # setting -> where it came from

    def __post_init__(self) -> None:
        if isinstance(self.name, Scenario):        # a declaration not registered (a test's, a doc's)
            self.scenario, self.name = self.name, self.name.name
        if self.scenario is None:
            self.scenario = registry.scenario(self.name)
        if not self.scenario.deployable:
            raise ScenarioError(f"scenario {self.name!r} cannot be deployed: it declares no plant, "
                                f"device_config and flight (see sim/registry.py)")

    @property
    def vehicle(self) -> str:
        return self.scenario.vehicle.name

    @property
    def device_seed(self) -> int:
        fn = self.scenario.device_seed
        return int(fn(self.seed)) if fn is not None else int(self.seed)

    def plant(self) -> Any:
        return self.scenario.plant(self.seed, self.overrides)

    def device_config(self) -> dict[str, dict[str, Any]]:
        return self.scenario.device_config(self.overrides)

    def products(self) -> dict[str, str]:
        """{setting: file name} of the ground products the flight side loads."""
        fn = self.scenario.products
        return dict(fn(self.overrides)) if fn is not None else {}

    def make_products(self, into: Path, only: Mapping[str, str] | None = None) -> dict[str, Path]:
        """The ground's part: write the products (all, or `only`) into `into`; their paths."""
        into = Path(into)
        into.mkdir(parents=True, exist_ok=True)
        out = {}
        for setting, name in (self.products() if only is None else only).items():
            self.scenario.make_product(setting, self.overrides, into / name)
            out[setting] = into / name
        return out

    def flight(self, devices: Mapping[str, Any], clock: Any, *, store: Any = None,
               flushers: tuple[Callable[[], Any], ...] = ()) -> tuple[Topology, Executive]:
        """The flight side with its protection (checkpoints in `store`: None keeps them in
        memory; `flushers` fsync the logs before each save) and the ground's heartbeat; it
        loads its ground products (see the module docstring)."""
        wanted = {k: n for k, n in self.products().items() if self.overrides.get(k) is None}
        deployed = {k: self.products_dir / n for k, n in wanted.items()
                    if self.products_dir is not None and (self.products_dir / n).is_file()}
        self.product_sources = {k: f"given: {self.overrides[k]}" for k in self.products() if k not in wanted}
        self.product_sources.update({k: f"deployed: {p}" for k, p in deployed.items()})
        missing = {k: n for k, n in wanted.items() if k not in deployed}
        overrides = {**self.overrides, **{k: str(p) for k, p in deployed.items()}}
        if not missing:
            return self._flight(devices, clock, overrides, store, flushers)
        cached = product_cache.products(missing, lambda only, into: self.make_products(into, only))
        if cached is not None:                  # kept between runs (sim/product_cache.py)
            found, made = cached
            self.product_sources.update({k: f"cached: {p}" for k, p in found.items()})
            self.product_sources.update({k: f"made here: {p.name}" for k, p in made.items()})
            return self._flight(devices, clock, {**overrides, **{k: str(p) for k, p in {**found, **made}.items()}},
                                store, flushers)
        with tempfile.TemporaryDirectory(prefix="msr-products-") as tmp:
            made = self.make_products(Path(tmp), missing)
            self.product_sources.update({k: f"made here: {p.name}" for k, p in made.items()})
            # loaded (opened, checked) before the directory goes: an open file outlives its name
            return self._flight(devices, clock, {**overrides, **{k: str(p) for k, p in made.items()}},
                                store, flushers)

    def _flight(self, devices: Mapping[str, Any], clock: Any, overrides: dict[str, Any], store: Any,
                flushers: tuple[Callable[[], Any], ...]) -> tuple[Topology, Executive]:
        config = ProtectionConfig(enabled=self.protection, store=store, flushers=tuple(flushers))
        fn = self.scenario.flight
        if "protection" in inspect.signature(fn).parameters:
            topology, executive = fn(devices, clock, overrides, protection=config)
        else:
            topology, executive = fn(devices, clock, overrides)
        if self.protection and getattr(topology, "protection", None) is None:
            raise ScenarioError(
                f"scenario {self.name!r} builds its flight side without fault protection: its flight() "
                f"must take `protection` and end with fsw.core.protection.protect (or call the vehicle's "
                f"build_flight); to fly without protection say so (--no-protection)")
        add_ground(topology, executive)
        vehicle = self.scenario.vehicle
        if getattr(topology, "apid_base", None) is None and topology.vehicle == vehicle.name:
            registry.check_component_count(vehicle, len(topology.components))
            topology.apid_base = registry.apid_base(vehicle)
        return topology, executive

    def duration_s(self) -> float:
        if self.duration_override_s is not None:
            return float(self.duration_override_s)
        fn = self.scenario.duration_s
        if fn is not None:
            return float(fn(self.overrides))
        raise ScenarioError(f"scenario {self.name!r} gives no duration; set bench.duration_s")

    def done(self) -> Callable[[Topology], bool] | None:
        return self.scenario.done

    def sim_devices(self, plant: Any) -> DeviceSet:
        """The simulated devices over `plant`: in SIL for the flight code, on the bench for
        the emulator. Same config, same seed, so both draw the very same noise."""
        return build_devices(self.device_config(), plant=plant, seed=self.device_seed)


@dataclass
class FlightResult:
    ticks: int
    end_ns: int
    stopped_by: str          # "duration", "done" or "fault"
    fault: str | None = None
    elapsed_ns: int = 0      # from the executive's start to its last tick


def fly(topology: Topology, executive: Executive, duration_s: float,
        done: Callable[[Topology], bool] | None = None,
        watch: Callable[[], str | None] | None = None) -> FlightResult:
    """Run the executive for `duration_s` from its start or until `done(topology)`.

    `watch()` returning a message stops the run as a fault (a dead bench link, say).
    """
    start = executive.start_ns
    until = start + seconds_to_ns(duration_s)
    reason: list[str] = []
    fault: list[str] = []

    def stop() -> bool:
        if watch is not None:
            msg = watch()
            if msg:
                fault.append(msg)
                reason.append("fault")
                return True
        if done is not None and done(topology):
            reason.append("done")
            return True
        return False
    ticks = executive.run(until_ns=until, stop_when=stop)
    return FlightResult(ticks, executive.now_ns(), reason[0] if reason else "duration",
                        fault[0] if fault else None, executive.now_ns() - start)


def attach_log(topology: Topology, out: BinaryIO | None = None) -> TelemetryLogWriter:
    """Attach the CCSDS telemetry log writer to `topology` (in memory when `out` is None)."""
    return TelemetryLogWriter.for_topology(topology, out)


@dataclass
class SilOutcome:
    """Everything a scenario's `summarize` may look at after a SIL flight."""

    deployment: Deployment
    topology: Topology
    executive: Executive
    plant: Any
    devices: DeviceSet
    result: FlightResult
    log: TelemetryLogWriter
    truth: TruthRecorder | None = None

    @property
    def overrides(self) -> dict[str, Any]:
        return self.deployment.overrides

    @property
    def seed(self) -> int:
        return self.deployment.seed


def _has_truth(plant: Any) -> bool:
    """The plant gives its truth for reports (`truth()`); a plant that does not flies without."""
    try:
        return callable(getattr(plant, "truth", None)) and isinstance(plant.truth(), Mapping)
    except NotImplementedError:
        return False


def run_sil(dep: Deployment, log_out: BinaryIO | None = None,
            event_out: BinaryIO | None = None, *, truth_period_s: float | None = None,
            observers: tuple[Any, ...] = (),
            watch: Callable[[], str | None] | None = None) -> SilOutcome:
    """The SIL reference: simulated devices over the in-process plant, SimClock on the plant.

    `truth_period_s` samples the plant's truth for reports; `observers` are extra clock
    steppers (a progress display) that see simulated time after the plant; `watch` may stop
    the flight (see `fly`)."""
    plant = dep.plant()
    devices = dep.sim_devices(plant)
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    truth = None
    if truth_period_s and _has_truth(plant):
        from sim.truth import TruthRecorder
        truth = TruthRecorder(plant, seconds_to_ns(truth_period_s))
        clock.attach(truth)
    for obs in observers:
        clock.attach(obs)
    topology, executive = dep.flight(devices, clock)
    log = attach_log(topology, log_out)
    if event_out is not None:
        topology.attach(EventLogWriter(event_out))
    try:
        for hook in FLIGHT_HOOKS.get():
            hook(topology, executive, log)
        result = fly(topology, executive, dep.duration_s(), dep.done(), watch)
    finally:
        devices.close()
        log.flush()
    return SilOutcome(dep, topology, executive, plant, devices, result, log, truth)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def run_scenario(scenario: Scenario | str, *, seed: int, out_dir: Path | None,
                 overrides: Mapping[str, Any] | None = None,
                 observers: tuple[Any, ...] = (), protection: bool = True,
                 extra_summary: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`msr sil`: fly a scenario in SIL, summarise it, and write the run directory.

    With `out_dir=None` (Monte Carlo runs that keep nothing) the logs stay in memory and
    only the summary is returned; its `telemetry_sha256` is the same either way. With a
    run directory the plant's truth is sampled (`truth_period_s`, default 1 s) into
    truth.npz for plots, and the directory says whether it is complete (`sim.rundir`):
    manifest "running" first, logs fsynced, summary.json (with `extra_summary`), manifest
    "complete" last. A write error (full disk) stops the flight and is raised as OSError.
    """
    scenario = registry.scenario(scenario)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise ScenarioError(f"seed={show(seed)}: expected an integer in [0, {MAX_SEED}]")
    scenario.check_overrides(dict(overrides or {}))   # before anything is built or flown
    dep = Deployment(scenario.name, seed, dict(overrides or {}), scenario, protection=protection)
    wall0 = time.perf_counter()
    if out_dir is None:
        outcome = run_sil(dep, observers=observers)
        sha = outcome.log.sha256()
    else:
        out_dir = Path(out_dir)
        manifest = rundir.begin(out_dir, "sil", {"scenario": dep.name, "seed": seed,
                                                 "overrides": dep.overrides})
        outcome, files = _fly_into(dep, out_dir, observers)
        sha = sha256_file(out_dir / TELEMETRY_LOG)
    summary = dict(scenario.summarize(outcome)) if scenario.summarize is not None else {}
    summary.update({
        "scenario": dep.name, "seed": seed, "telemetry_sha256": sha,
        "telemetry_packets": outcome.log.packets,
        "sim_time_s": round(ns_to_seconds(outcome.result.elapsed_ns), 3),
        "stopped_by": outcome.result.stopped_by,
        "protection": protection_summary(outcome.topology, outcome.executive),
        "wall_time_s": round(time.perf_counter() - wall0, 3),
    })
    if out_dir is not None:
        summary.update(extra_summary or {})
        rundir.finish(out_dir, manifest, summary, files)
    return summary


def _fly_into(dep: Deployment, out_dir: Path, observers: tuple[Any, ...]) -> tuple[SilOutcome, list[str]]:
    """Fly with the logs in `out_dir`, then write the dictionary and the report data; returns
    the outcome and the files written (the run directory's promise)."""
    import numpy as np   # for the .npz files; the board's flight side (`Deployment`) never needs it
    scenario = dep.scenario
    with rundir.GuardedFile(out_dir / TELEMETRY_LOG) as tm, rundir.GuardedFile(out_dir / EVENT_LOG) as ev:
        def write_failed() -> str | None:
            err = tm.error or ev.error
            return None if err is None else f"cannot write {err.filename}: {err.strerror}"
        outcome = run_sil(dep, tm, ev, truth_period_s=scenario.truth_period_s,
                          observers=observers, watch=write_failed)
        tm.sync()
        ev.sync()
    rundir.atomic_write(out_dir / DICTIONARY, outcome.log.dictionary().to_json())
    files = [TELEMETRY_LOG, EVENT_LOG, DICTIONARY]
    if outcome.truth is not None:
        with rundir.writing(out_dir / TRUTH):
            from sim.truth import write_npz
            write_npz(out_dir / TRUTH, outcome.truth.series())
        files.append(TRUTH)
    artifacts = scenario.artifacts
    if artifacts is not None:  # scenario-specific report data (maps, paths)
        with rundir.writing(out_dir / ARTIFACTS):
            np.savez_compressed(out_dir / ARTIFACTS, **artifacts(outcome))
        files.append(ARTIFACTS)
    return outcome, files


WALL_FIELDS = ("wall_time_s",)


def wall_fields(scenario: Scenario | str) -> tuple[str, ...]:
    """Summary keys holding wall-clock figures (left out when comparing runs)."""
    return tuple(dict.fromkeys(WALL_FIELDS + registry.scenario(scenario).wall_fields))


__all__ = ["Deployment", "FlightResult", "ScenarioError", "SilOutcome", "attach_log", "fly",
           "parse_tube_ids", "resolve_overrides", "run_scenario", "run_sil",
           "tube_id_list", "validate_overrides", "wall_fields"]

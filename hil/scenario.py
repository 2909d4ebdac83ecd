"""Scenario deployments: the split that lets the same flight code run in SIL and on a bench.

A scenario module the bench can deploy provides

    plant(seed, overrides) -> plant                       (hal.plant.Plant)
    device_config(overrides) -> dict                      (the `[devices]` table, sim backends)
    flight(devices, clock, overrides) -> (topology, executive)

and optionally `vehicle`, `duration_s(overrides)`, `done(topology) -> bool` and
`device_seed(seed) -> int` (default: the scenario seed). `fly` is the one loop both SIL and
HIL use, so they stop on exactly the same tick.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, BinaryIO, Callable, Mapping

from fsw.core import Executive, SimClock, Topology
from fsw.core.time import seconds_to_ns
from hal.config import DeviceSet, build_devices
from hil.telemetry import attach_log

REQUIRED = ("plant", "device_config", "flight")


class ScenarioError(ValueError):
    """The scenario cannot be deployed (unknown, or missing part of the split)."""


def scenario_module_name(name: str) -> str:
    """"demo" -> hil.demo; a dotted name as given; anything else -> sim.scenarios.<name>."""
    if name == "demo":
        return "hil.demo"
    return name if "." in name else f"sim.scenarios.{name}"


def missing_parts(module: ModuleType) -> list[str]:
    return [p for p in REQUIRED if not callable(getattr(module, p, None))]


def load_scenario(name: str) -> ModuleType:
    modname = scenario_module_name(name)
    try:
        module = importlib.import_module(modname)
    except ImportError as exc:
        raise ScenarioError(f"scenario {name!r}: cannot import {modname}: {exc}") from None
    missing = missing_parts(module)
    if missing:
        raise ScenarioError(f"scenario {name!r} ({modname}) cannot be deployed on a bench: it lacks "
                            f"{', '.join(missing)} (see hil/scenario.py for the split)")
    return module


@dataclass
class Deployment:
    """One scenario with its seed and overrides; every side builds its part from here."""

    name: str
    seed: int = 1
    overrides: dict[str, Any] = field(default_factory=dict)
    module: ModuleType | None = None
    duration_override_s: float | None = None   # the bench's duration_s (not a scenario override)

    def __post_init__(self) -> None:
        if self.module is None:
            self.module = load_scenario(self.name)

    @property
    def vehicle(self) -> str | None:
        return getattr(self.module, "vehicle", None)

    @property
    def device_seed(self) -> int:
        fn = getattr(self.module, "device_seed", None)
        return int(fn(self.seed)) if callable(fn) else int(self.seed)

    def plant(self) -> Any:
        return self.module.plant(self.seed, self.overrides)

    def device_config(self) -> dict[str, dict[str, Any]]:
        return self.module.device_config(self.overrides)

    def flight(self, devices: Mapping[str, Any], clock: Any) -> tuple[Topology, Executive]:
        return self.module.flight(devices, clock, self.overrides)

    def duration_s(self) -> float:
        if self.duration_override_s is not None:
            return float(self.duration_override_s)
        fn = getattr(self.module, "duration_s", None)
        if callable(fn):
            return float(fn(self.overrides))
        raise ScenarioError(f"scenario {self.name!r} gives no duration; set bench.duration_s")

    def done(self) -> Callable[[Topology], bool] | None:
        fn = getattr(self.module, "done", None)
        return fn if callable(fn) else None

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
    until = executive.start_ns + seconds_to_ns(duration_s)
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
                        fault[0] if fault else None, executive.now_ns() - executive.start_ns)


def run_sil(dep: Deployment, log_out: BinaryIO | None = None
            ) -> tuple[Topology, Executive, FlightResult, Any]:
    """The SIL reference: simulated devices over the in-process plant, SimClock on the plant.

    Returns (topology, executive, result, telemetry log writer)."""
    plant = dep.plant()
    devices = dep.sim_devices(plant)
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    topology, executive = dep.flight(devices, clock)
    log = attach_log(topology, log_out)
    try:
        result = fly(topology, executive, dep.duration_s(), dep.done())
    finally:
        devices.close()
        log.flush()
    return topology, executive, result, log


__all__ = ["Deployment", "FlightResult", "ScenarioError", "fly", "load_scenario", "run_sil",
           "missing_parts", "scenario_module_name"]

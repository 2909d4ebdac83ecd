"""A user's own small vehicle (issue 18's report): a heater zone whose step has a bug.

A third-party scenario declared like any other (`SCENARIO`), written outside `sim.scenarios` and
loaded by its dotted name: its flight build ends with `fsw.core.protection.protect`, and this module
is its own fault table. `bug=true` makes the controller's step raise KeyError every tick.
"""
from __future__ import annotations

import sys
from typing import Any, Mapping

from fsw.core import Channel, Component, Executive, ModeTable, T, Topology
from fsw.core.fdir import Action, Monitor
from fsw.core.protection import ProtectionConfig, protect
from hal.catalog import DeviceKind
from hal.devices import Heater, Thermometer
from fsw.vehicle import Vehicle
from sim.plants.base import FixedStepPlant
from sim.registry import Scenario

DEFAULTS = {"bug": False, "duration_s": 5.0}
VEHICLE = Vehicle("heater_zone", faults=__name__)   # no apid_base: the registry gives it a slot


def _cfg(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    return {**DEFAULTS, **(overrides or {})}


class ZonePlant(FixedStepPlant):
    def __init__(self, seed: int) -> None:
        super().__init__(100, {"temp0": "thermometer", "heater0": "heater"}, seed)
        self.temp_C, self.power_W = -30.0, 0.0

    def _step(self, dt: float) -> None:
        self.temp_C += dt * (self.power_W - 0.5 * (self.temp_C + 50.0)) / 10.0

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        return {"temp_C": self.temp_C} if device == "temp0" else {"power_W": self.power_W}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        self.power_W = float(command["power_W"])


class HeaterZone(Component):
    MODES = ModeTable(modes=("OFF", "WARMUP", "SAFE"), initial="OFF", safe="SAFE",
                      transitions=(T("enable", "OFF", "WARMUP"), T("safe", "*", "SAFE")))
    CHANNELS = (Channel("temp_C", float, "degC"),)

    def __init__(self, name: str, devices: Mapping[str, Any], bug: bool) -> None:
        super().__init__(name)
        self.therm = devices.get_as("temp0", Thermometer)
        self.heater = devices.get_as("heater0", Heater)
        self.bug = bug
        self.gains: dict[str, float] = {"kp": 2.0}

    def step(self, t_ns: int) -> None:
        temp = self.therm.read().temp_C
        self.tlm["temp_C"] = temp
        gain = self.gains["ki" if self.bug else "kp"]   # the bug: a key nobody set
        self.heater.set_power(max(0.0, gain * (-10.0 - temp)))


def plant(seed: int, overrides: Mapping[str, Any] | None = None) -> ZonePlant:
    return ZonePlant(seed)


def device_config(overrides: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    return {"temp0": {"kind": "thermometer", "rate_hz": 10}, "heater0": {"kind": "heater", "rate_hz": 10}}


def flight(devices: Mapping[str, Any], clock: Any, overrides: Mapping[str, Any] | None = None,
           protection: ProtectionConfig | None = None) -> tuple[Topology, Executive]:
    zone = HeaterZone("heater", devices, bool(_cfg(overrides)["bug"]))
    zone.trigger("enable")                         # OFF -> WARMUP while building
    topo = Topology(VEHICLE.name, [zone])
    ex = Executive(clock, 10, start_ns=clock.now_ns())
    ex.add_group("control", 1, [zone, topo.sample_telemetry])
    protect(topo, ex, sys.modules[__name__], protection)
    return topo, ex


def duration_s(overrides: Mapping[str, Any] | None = None) -> float:
    return float(_cfg(overrides)["duration_s"])


# ---------------------------------------------------------------- its fault table
SAFE_RESPONSE = (Action("heater", "safe"),)
LINK_TIMEOUT_S = 10.0


def fault_table(topology: Topology) -> tuple[Monitor, ...]:
    return (Monitor("zone_hot", "limit", "heater.temp_C", hi=40.0, persistence=3, response=SAFE_RESPONSE),)


def summarize(outcome: Any) -> dict[str, Any]:
    zone = outcome.topology["heater"]
    return {"final_mode": zone.mode, "success": zone.mode == "WARMUP"}


def summary_lines(summary: dict[str, Any]) -> list[str]:
    return [f"heater zone: {summary['final_mode']}"]


SCENARIO = Scenario("heater_zone", VEHICLE, summary_lines, plant=plant, device_config=device_config, flight=flight,
                    summarize=summarize, duration_s=duration_s)

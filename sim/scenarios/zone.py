"""`msr sil zone`: the bench's small vehicle and plant, a complete scenario in one file.

Why it exists: the HIL bench must be built and tested before the real vehicles are done, and
its tests need a flight of a few seconds. It declares the whole split (`SCENARIO`, see
sim/registry.py): plant, devices, flight side with its protection, duration, end state and
its fault cases. The vehicle warms a thermal zone with a heater to a set-point (reading a
noisy thermometer), then sweeps a gimbal and checks the read-back, while sampling an IMU
every tick so the telemetry carries plenty of seeded noise (a good equivalence check).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core import (Channel, Component, EventDef, Executive, ModeTable, Param, Severity, T,
                      Topology, command)
from fsw.core.devices import DEVICE_FAULT
from fsw.core.protection import ProtectionConfig, protect
from hal.catalog import DeviceKind
from hal.devices import Gimbal, Heater, Imu, Thermometer
from sim.deployment import ScenarioError, resolve_overrides
from sim.faults import zone_faults
from sim.faults.cases import ZONE
from sim.bench_vehicles import ZONE as VEHICLE, device_cycle
from sim.registry import Scenario
from sim.plants.base import FixedStepPlant
from sim.scenario_params import ScenarioParam, defaults, grid_rate

PARAMS = (
    ScenarioParam("base_rate_hz", 100, convert=grid_rate(1, 1000), allowed="an integer rate up to 1000 Hz "
                                                                            "with a whole-ns period"),
    ScenarioParam("physics_rate_hz", 1000, convert=grid_rate(1, 100_000),
                  allowed="a multiple of base_rate_hz up to 100000 Hz with a whole-ns period"),
    ScenarioParam("duration_s", 6.0, float, 0.01, 86400.0),
    ScenarioParam("start_temp_C", -30.0, float, -150.0, 100.0),
    ScenarioParam("env_temp_C", -50.0, float, -150.0, 100.0),
    ScenarioParam("setpoint_C", -20.0, float, -60.0, 40.0, doc="the zone's setpoint_C parameter (same limits)"),
    ScenarioParam("heat_capacity_J_per_K", 10.0, float, 0.1, 1e4),
    ScenarioParam("loss_W_per_K", 0.5, float, 0.0, 100.0),
    ScenarioParam("sweep_s", 1.0, float, 0.01, 600.0),
)
DEFAULTS: dict[str, Any] = defaults(PARAMS)


def settings(overrides: Mapping[str, Any] | None) -> dict[str, Any]:
    """The settings with every override checked (a ScenarioError names a bad one)."""
    cfg, _ = resolve_overrides(dict(overrides or {}), DEFAULTS, params=PARAMS)
    if cfg["physics_rate_hz"] % cfg["base_rate_hz"]:
        raise ScenarioError(f"physics_rate_hz={cfg['physics_rate_hz']}: expected a multiple of "
                            f"base_rate_hz={cfg['base_rate_hz']} (every flight deadline on the physics grid)")
    return cfg


def check_overrides(overrides: Mapping[str, Any] | None) -> None:
    settings(overrides)


def _p(overrides: Mapping[str, Any] | None, key: str) -> Any:
    return settings(overrides)[key]


# ---------------------------------------------------------------- the world
class ZonePlant(FixedStepPlant):
    """A lumped thermal zone with a heater, a gimbal with a first-order lag, and an IMU that
    sees Mars gravity plus a slow wobble."""

    DEVICES = {"temp0": "thermometer", "heater0": "heater", "imu0": "imu", "gimbal0": "gimbal"}

    def __init__(self, seed: int = 0, overrides: Mapping[str, Any] | None = None) -> None:
        super().__init__(int(_p(overrides, "physics_rate_hz")), self.DEVICES, seed)
        self.temp_C = float(_p(overrides, "start_temp_C"))
        self.env_C = float(_p(overrides, "env_temp_C"))
        self.cap = float(_p(overrides, "heat_capacity_J_per_K"))
        self.loss = float(_p(overrides, "loss_W_per_K"))
        self.heater_W = 0.0
        self.gimbal_cmd = (0.0, 0.0)
        self.gimbal = [0.0, 0.0]
        self.gimbal_tau_s = 0.05

    def _step(self, dt: float) -> None:
        self.temp_C += dt * (self.heater_W - self.loss * (self.temp_C - self.env_C)) / self.cap
        k = dt / self.gimbal_tau_s
        for i in (0, 1):
            self.gimbal[i] += k * (self.gimbal_cmd[i] - self.gimbal[i])

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        if device == "temp0":
            return {"temp_C": self.temp_C}
        if device == "heater0":
            return {"power_W": self.heater_W}
        if device == "gimbal0":
            return {"pitch_rad": self.gimbal[0], "yaw_rad": self.gimbal[1]}
        w = 0.01 * math.sin(2.0 * math.pi * 0.5 * self.t_s)
        return {"accel_mps2": (0.0, 0.0, 3.71), "rate_radps": (w, -w, 0.0)}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        if device == "heater0":
            self.heater_W = max(0.0, min(100.0, command["power_W"]))
        elif device == "gimbal0":
            self.gimbal_cmd = (command["pitch_rad"], command["yaw_rad"])

    def truth(self) -> dict[str, Any]:
        return {"temp_C": self.temp_C, "heater_W": self.heater_W, "gimbal": tuple(self.gimbal)}


# ---------------------------------------------------------------- the flight software
class ZoneAndGimbal(Component):
    """Warm the zone to its set-point, hold it, then sweep the gimbal and check read-back."""

    MODES = ModeTable(
        modes=("IDLE", "WARMING", "READY", "SWEEP", "DONE", "FAULT"),
        initial="IDLE", safe="FAULT", terminal=("DONE",),
        transitions=(
            T("start", "IDLE", "WARMING"),
            T("in_band", "WARMING", "READY", "temp_in_band"),
            T("sweep", "READY", "SWEEP"),
            T("finish", "SWEEP", "DONE"),
            T("device_fault", "*", "FAULT"),
            T("reset", "FAULT", "IDLE"),
        ),
    )
    CHANNELS = (Channel("temp_C", float, "degC"), Channel("heater_W", float, "W"),
                Channel("accel_z_mps2", float, "m/s^2"), Channel("rate_x_radps", float, "rad/s"),
                Channel("gimbal_pitch_rad", float, "rad"), Channel("gimbal_error_rad", float, "rad"),
                Channel("device_faults", int))
    EVENTS = (DEVICE_FAULT,
              EventDef("SWEEP_DONE", Severity.ACTIVITY_HI, "gimbal sweep done, max error {max_error_rad}", max_error_rad=float))
    PARAMS = (Param("setpoint_C", float, -60.0, 40.0, default=-20.0),
              Param("band_C", float, 0.1, 10.0, default=1.0),
              Param("gain_W_per_K", float, 0.0, 100.0, default=20.0),
              Param("max_heater_W", float, 0.0, 100.0, default=60.0))

    def __init__(self, name: str, devices: Mapping[str, Any], *, sweep_ticks: int) -> None:
        super().__init__(name)
        self.thermo = devices.get_as("temp0", Thermometer)
        self.heater = devices.get_as("heater0", Heater)
        self.imu = devices.get_as("imu0", Imu)
        self.gimbal = devices.get_as("gimbal0", Gimbal)
        self.sweep_ticks = sweep_ticks
        self._sweep_k = 0
        self._max_err = 0.0
        self.temp_C = float("nan")

    def temp_in_band(self) -> bool:
        return abs(self.temp_C - self.params["setpoint_C"]) <= self.params["band_C"]

    @command("START", modes=("IDLE",), doc="Begin warming the zone")
    def _cmd_start(self) -> None:
        self.trigger("start")

    def step(self, t_ns: int) -> None:
        if self.mode in ("FAULT", "DONE"):
            return
        if not device_cycle(self, self._cycle):
            self.trigger("device_fault")

    def _cycle(self) -> None:
        imu = self.imu.read()
        self.tlm["accel_z_mps2"] = imu.accel_mps2[2]
        self.tlm["rate_x_radps"] = imu.rate_radps[0]
        self.temp_C = self.thermo.read().temp_C
        self.tlm["temp_C"] = self.temp_C
        if self.mode == "IDLE":
            self.trigger("start")
        power = 0.0
        if self.mode != "IDLE":
            err = self.params["setpoint_C"] - self.temp_C
            power = min(self.params["max_heater_W"], max(0.0, self.params["gain_W_per_K"] * err))
        self.heater.set_power(power)
        self.tlm["heater_W"] = power
        g = self.gimbal.read()
        self.tlm["gimbal_pitch_rad"] = g.pitch_rad
        if self.mode == "WARMING" and self.temp_in_band():
            self.trigger("in_band")
        elif self.mode == "READY":
            self.trigger("sweep")
        elif self.mode == "SWEEP":
            self._sweep(g.pitch_rad)

    def _sweep(self, measured: float) -> None:
        k = self._sweep_k
        commanded = self.gimbal.last_command["pitch_rad"]
        err = abs(measured - commanded)
        self.tlm["gimbal_error_rad"] = err
        self._max_err = max(self._max_err, err)
        if k >= self.sweep_ticks:
            self.gimbal.point(0.0, 0.0)
            self.emit("SWEEP_DONE", max_error_rad=round(self._max_err, 9))
            self.trigger("finish")
            return
        self.gimbal.point(0.05 * math.sin(2.0 * math.pi * k / self.sweep_ticks), 0.0)
        self._sweep_k = k + 1


# ---------------------------------------------------------------- the deployment split
def plant(seed: int, overrides: Mapping[str, Any] | None = None) -> ZonePlant:
    return ZonePlant(seed, overrides)


def device_config(overrides: Mapping[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """The `[devices]` table with simulated backends: kinds, rates and noise."""
    check_overrides(overrides)
    return {
        "temp0": {"kind": "thermometer", "rate_hz": 10,
                  "noise": {"temp_C": {"sigma": 0.05, "bias_sigma": 0.1, "quantum": 0.01}}},
        "heater0": {"kind": "heater"},
        "imu0": {"kind": "imu", "rate_hz": 100,
                 "noise": {"accel_mps2": {"sigma": 0.002, "bias_sigma": 0.0005},
                           "rate_radps": {"sigma": 1e-4}}},
        "gimbal0": {"kind": "gimbal", "rate_hz": 100,
                    "noise": {"pitch_rad": {"sigma": 1e-5}, "yaw_rad": {"sigma": 1e-5}}},
    }


def base_rate_hz(overrides: Mapping[str, Any] | None = None) -> int:
    return int(_p(overrides, "base_rate_hz"))


def duration_s(overrides: Mapping[str, Any] | None = None) -> float:
    return float(_p(overrides, "duration_s"))


def flight(devices: Mapping[str, Any], clock: Any, overrides: Mapping[str, Any] | None = None,
           protection: ProtectionConfig | None = None) -> tuple[Topology, Executive]:
    """The zone vehicle as it flies, with its fault protection (`sim.faults.zone_faults`)."""
    rate = base_rate_hz(overrides)
    comp = ZoneAndGimbal("zone", devices, sweep_ticks=max(1, int(rate * float(_p(overrides, "sweep_s")))))
    comp.params["setpoint_C"] = float(_p(overrides, "setpoint_C"))
    topo = Topology(VEHICLE.name, [comp])
    ex = Executive(clock, rate, start_ns=clock.now_ns())
    ex.add_group("control", 1, [comp])
    ex.add_group("telemetry", 1, [topo.sample_telemetry])
    protect(topo, ex, zone_faults, protection)
    return topo, ex


def done(topology: Topology) -> bool:
    """The run has reached its end state (the bench may stop early)."""
    return topology["zone"].mode in ("DONE", "FAULT")


def summarize(outcome: Any) -> dict[str, Any]:
    zone = outcome.topology["zone"]
    return {"success": zone.mode == "DONE", "final_mode": zone.mode,
            "final_temp_C": round(outcome.plant.temp_C, 6)}


def summary_lines(s: dict) -> list[str]:
    return [f"zone seed {s['seed']}: {'SUCCESS' if s['success'] else 'FAILURE'} after {s['sim_time_s']} s, "
            f"final mode {s['final_mode']}, zone at {s['final_temp_C']:.2f} C"]


MODE_COMPONENTS = {"zone": ZoneAndGimbal}
SCENARIO = Scenario("zone", VEHICLE, summary_lines, plant=plant, device_config=device_config, flight=flight,
                    summarize=summarize, duration_s=duration_s, done=done, params=PARAMS, check=check_overrides,
                    fault_cases=ZONE)

__all__ = ["MODE_COMPONENTS", "ZonePlant", "SCENARIO", "VEHICLE", "ZoneAndGimbal", "plant", "device_config", "flight", "base_rate_hz",
           "duration_s", "done", "DEFAULTS"]

"""The MAV's devices: instance names, kinds and the typed handles flight code holds.

`DEVICE_KINDS` is the contract with a plant (SIL: `sim.plants.AscentPlant` + `ThermalPlant`)
or a bench (HIL): every device instance the MAV flight software opens, with its kind.
The OS slot tube sensors are optional: the lander, which inserts the tubes, also reports
them to the MAV by command (`OS_TUBE_LOADED`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from hal.devices import (Gimbal, Heater, Igniter, Imu, Pyro, Rcs, StarTracker, Thermometer,
                         TubeSensor)

N_HEATER_ZONES = 16

DEVICE_KINDS: dict[str, str] = {
    "imu0": "imu",
    "star_tracker0": "star_tracker",
    "tvc": "gimbal",
    "rcs": "rcs",
    "igniter1": "igniter",
    "igniter2": "igniter",
    "launch_pyro": "pyro",   # the lander's launch ejector, fired on the MAV's count
    "stage_sep": "pyro",
    "os_release": "pyro",
    **{f"heater{i}": "heater" for i in range(N_HEATER_ZONES)},
    **{f"tz{i}": "thermometer" for i in range(N_HEATER_ZONES)},
    "t_grain": "thermometer",
    "t_rcs": "thermometer",
}


@dataclass
class MavDevices:
    imu: Imu
    star: StarTracker
    tvc: Gimbal
    rcs: Rcs
    ign1: Igniter
    ign2: Igniter
    eject: Pyro
    sep1: Pyro
    os_release: Pyro
    heaters: list[Heater]
    zone_temps: list[Thermometer]
    grain_temps: list[Thermometer]
    rcs_temps: list[Thermometer]
    os_slots: list[TubeSensor] = field(default_factory=list)

    @classmethod
    def from_set(cls, devices: Mapping[str, object]) -> "MavDevices":
        """Pick the MAV's devices out of a device set (`hal.config.build_devices`);
        tube sensors named os_slot0, os_slot1, ... are used when present."""
        d = devices
        slots = []
        while f"os_slot{len(slots)}" in d:
            slots.append(d[f"os_slot{len(slots)}"])
        return cls(d["imu0"], d["star_tracker0"], d["tvc"], d["rcs"], d["igniter1"], d["igniter2"],
                   d["launch_pyro"], d["stage_sep"], d["os_release"],
                   [d[f"heater{i}"] for i in range(N_HEATER_ZONES)],
                   [d[f"tz{i}"] for i in range(N_HEATER_ZONES)],
                   [d["t_grain"]], [d["t_rcs"]], slots)


__all__ = ["DEVICE_KINDS", "MavDevices", "N_HEATER_ZONES"]

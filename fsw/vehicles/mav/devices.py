"""The MAV's devices: instance names, kinds and the typed handles flight code holds.

`DEVICE_KINDS` is the contract with a plant (SIL) or a bench (HIL): it names every device
instance the MAV flight software opens and the catalog kind it expects there.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from hal.devices import (Gimbal, Heater, Igniter, Imu, Pyro, Rcs, StarTracker, Thermometer,
                         TubeSensor)

N_HEATER_ZONES = 16
N_GRAIN_SENSORS = 4
N_RCS_SENSORS = 2
N_OS_SLOTS = 30

DEVICE_KINDS: dict[str, str] = {
    "imu0": "imu",
    "star0": "star_tracker",
    "tvc": "gimbal",
    "rcs": "rcs",
    "ign1": "igniter",
    "ign2": "igniter",
    "eject": "pyro",       # the lander's launch ejector, fired on the MAV's count
    "sep1": "pyro",        # stage-1 separation
    "os_release": "pyro",
    **{f"heater{i}": "heater" for i in range(N_HEATER_ZONES)},
    **{f"grain_temp{i}": "thermometer" for i in range(N_GRAIN_SENSORS)},
    **{f"rcs_temp{i}": "thermometer" for i in range(N_RCS_SENSORS)},
    **{f"os_slot{i}": "tube_sensor" for i in range(N_OS_SLOTS)},
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
    grain_temps: list[Thermometer]
    rcs_temps: list[Thermometer]
    os_slots: list[TubeSensor]

    @classmethod
    def from_set(cls, devices: Mapping[str, object]) -> "MavDevices":
        """Pick the MAV's devices out of a device set (hal.config.build_devices)."""
        d = devices
        return cls(d["imu0"], d["star0"], d["tvc"], d["rcs"], d["ign1"], d["ign2"], d["eject"],
                   d["sep1"], d["os_release"],
                   [d[f"heater{i}"] for i in range(N_HEATER_ZONES)],
                   [d[f"grain_temp{i}"] for i in range(N_GRAIN_SENSORS)],
                   [d[f"rcs_temp{i}"] for i in range(N_RCS_SENSORS)],
                   [d[f"os_slot{i}"] for i in range(N_OS_SLOTS)])


__all__ = ["DEVICE_KINDS", "MavDevices", "N_HEATER_ZONES", "N_GRAIN_SENSORS", "N_RCS_SENSORS",
           "N_OS_SLOTS"]

"""The ERO capture system's devices: rendezvous sensors and actuators, and the Capture,
Containment and Return System (CCRS) mechanisms, all as catalog kinds.

`DEVICE_KINDS` is the contract with a plant or a bench. The CCRS mechanisms map onto
existing kinds (the closest ones; a catalog `pressure_sensor` for the leak checks, so the
flight software could judge the pressure decay itself, and a `mechanism` kind with an
orientation reading for the rollers would fit better):
the orienting rollers are a two-axis `gimbal` (pitch and yaw of the OS in the capture
enclosure), the two orientation cameras `camera_tracker`s reporting the OS lid axis they see,
the seal closures and the EEV release `pyro`s, the seal leak checks `tube_sensor`s
(present = leak check passed, tube_id = the container id read), sterilisation a `heater`
with its `thermometer`, the transfer mechanism an `arm`, and the EEV seat a `tube_sensor`
(present = the container is seated in the EEV, and reads 0 again once the EEV has left).
The capture lid is the `capture_mechanism` (with the cone, in the rendezvous plant).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from hal.devices import (Arm, CameraTracker, CaptureMechanism, Gimbal, Heater, Imu, Lidar, Pyro,
                         Rcs, Thermometer, TubeSensor)

RENDEZVOUS_KINDS: dict[str, str] = {
    "nac": "camera_tracker", "lidar0": "lidar", "rcs": "rcs", "imu0": "imu",
    "capture": "capture_mechanism",
}
CCRS_KINDS: dict[str, str] = {
    "orient_mech": "gimbal", "orient_cam0": "camera_tracker", "orient_cam1": "camera_tracker",
    "seal_primary": "pyro", "seal_secondary": "pyro",
    "primary_check": "tube_sensor", "secondary_check": "tube_sensor",
    "btc_heater": "heater", "btc_temp": "thermometer",
    "transfer_arm": "arm", "eev_slot": "tube_sensor", "eev_sep": "pyro",
}
DEVICE_KINDS: dict[str, str] = {**RENDEZVOUS_KINDS, **CCRS_KINDS}


@dataclass
class EroDevices:
    nac: CameraTracker
    lidar: Lidar
    rcs: Rcs
    imu: Imu
    capture: CaptureMechanism
    orient_mech: Gimbal
    orient_cams: tuple[CameraTracker, CameraTracker]
    seal_primary: Pyro
    seal_secondary: Pyro
    primary_check: TubeSensor
    secondary_check: TubeSensor
    btc_heater: Heater
    btc_temp: Thermometer
    transfer_arm: Arm
    eev_slot: TubeSensor
    eev_sep: Pyro

    @classmethod
    def from_set(cls, d: Mapping[str, object]) -> "EroDevices":
        return cls(d["nac"], d["lidar0"], d["rcs"], d["imu0"], d["capture"], d["orient_mech"],
                   (d["orient_cam0"], d["orient_cam1"]), d["seal_primary"], d["seal_secondary"],
                   d["primary_check"], d["secondary_check"], d["btc_heater"], d["btc_temp"],
                   d["transfer_arm"], d["eev_slot"], d["eev_sep"])


__all__ = ["DEVICE_KINDS", "RENDEZVOUS_KINDS", "CCRS_KINDS", "EroDevices"]

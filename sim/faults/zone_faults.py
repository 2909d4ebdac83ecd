"""Fault table of the bench's zone vehicle (sim/scenarios/zone.py): the smallest complete example.

Limits on the thermometer and the IMU, a stale (frozen) thermometer, the gimbal read-back
error during the sweep, and device faults the vehicle itself reported. Every response
safes the zone controller (its FAULT mode).
"""
from __future__ import annotations

from fsw.core.fdir import Action, Monitor

VEHICLE = "zone"
SAFE_RESPONSE = (Action("zone", "device_fault"),)
OUTCOME_MODES = {"zone": {"FAULT": "safe"}}
LINK_TIMEOUT_S = 3.0


def fault_table(topology) -> tuple[Monitor, ...]:
    return (
        Monitor("zone_temp_range", "limit", "zone.temp_C", lo=-60.0, hi=10.0, persistence=2,
                response=SAFE_RESPONSE, doc="thermometer reads outside the physical range"),
        Monitor("zone_temp_frozen", "stale", "zone.temp_C", stale_ticks=5, persistence=1,
                response=SAFE_RESPONSE, when=("zone", ("WARMING", "READY", "SWEEP")),
                doc="a live thermometer never repeats 5 samples to 0.01 C"),
        Monitor("imu_gravity", "limit", "zone.accel_z_mps2", lo=3.2, hi=4.2, persistence=2,
                response=SAFE_RESPONSE, doc="a parked vehicle reads Mars gravity"),
        Monitor("imu_rate", "limit", "zone.rate_x_radps", lo=-0.05, hi=0.05, persistence=2,
                response=SAFE_RESPONSE, doc="the wobble is 0.01 rad/s"),
        Monitor("gimbal_tracking", "limit", "zone.gimbal_error_rad", hi=0.02, persistence=3,
                response=SAFE_RESPONSE, when=("zone", ("SWEEP",)), doc="read-back follows the command"),
        Monitor("zone_device_fault", "limit", "zone.device_faults", hi=0, persistence=1,
                response=SAFE_RESPONSE, doc="the controller saw a device fault"),
    )

"""AscentPlant: the MAV from the lander to orbit, for the MAV flight software.

Devices: imu0 (imu), star_tracker0 (star_tracker), tvc (gimbal, stage 1 only), rcs (rcs),
igniter1 / igniter2 (igniter: arm, then fire), launch_pyro (pyro: the lander throws the
MAV), stage_sep (pyro), os_release (pyro). Frames and signs: sim.ascent.

The grid is `physics_rate_hz`; between two flight-software ticks the controls are held, so
the vehicle integrates the whole interval itself: grid steps while a motor burns, fewer and
longer RK4 steps on the same equations when only gravity, drag and the RCS act (a 1 Hz quiet
coast costs one step a second).
"""
from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

import numpy as np

from hal.catalog import DeviceKind
from sim.ascent import AscentParams, AscentVehicle
from sim.orbit import KeplerError
from sim.plants.base import FixedStepPlant
from fsw.numerics import fixed_sum

ASCENT_DEVICES = {
    "imu0": "imu", "star_tracker0": "star_tracker", "tvc": "gimbal", "rcs": "rcs",
    "igniter1": "igniter", "igniter2": "igniter", "launch_pyro": "pyro", "stage_sep": "pyro", "os_release": "pyro",
}


class AscentPlant(FixedStepPlant):
    def __init__(self, params: AscentParams = AscentParams(), physics_rate_hz: int = 100,
                 seed: int | np.random.Generator = 0, star_tracker_max_rate_radps: float = 0.1):
        super().__init__(physics_rate_hz, ASCENT_DEVICES, seed)
        self.vehicle = AscentVehicle(params)
        self.params = params
        self.st_max_rate = star_tracker_max_rate_radps
        self.armed = {"igniter1": False, "igniter2": False}
        self.fired = {name: False for name in ("igniter1", "igniter2", "launch_pyro", "stage_sep", "os_release")}
        self.rcs_cmd = ((0.0, 0.0, 0.0), (0.0, 0.0, 0.0))

    def _step(self, dt: float) -> None:
        self.vehicle.step(dt)

    def _advance_steps(self, n: int) -> None:
        # the vehicle takes larger steps by itself when nothing is thrusting (AscentVehicle.advance)
        self.vehicle.advance(n, self.dt)
        self.steps += n

    def _valves(self) -> int:
        f, t = self.rcs_cmd
        mask = 0
        for i in range(3):
            for j, (val, lim) in enumerate(((f[i], self.params.rcs_force_limit_N), (t[i], self.params.rcs_torque_limit_Nm))):
                if abs(val) > 0.01 * lim:
                    mask |= 1 << (6 * j + 2 * i + (0 if val > 0 else 1))
        return mask

    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        v = self.vehicle
        n = kind.name
        if n == "imu":
            return {"accel_mps2": tuple(v.last_specific_force_body), "rate_radps": tuple(v.w)}
        if n == "star_tracker":
            ok = math.sqrt(fixed_sum(c * c for c in v.w)) <= self.st_max_rate
            return {"q_body_to_inertial": tuple(v.q), "valid": int(ok)}
        if n == "gimbal":
            return {"pitch_rad": v.gimbal[0], "yaw_rad": v.gimbal[1]}
        if n == "rcs":
            return {"valves_open": self._valves()}
        if n == "igniter":
            return {"armed": int(self.armed[device]), "fired": int(self.fired[device])}
        return {"fired": int(self.fired[device])}   # pyro

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        v, p = self.vehicle, self.params
        n = kind.name
        if n == "gimbal":
            lim = p.gimbal_limit_rad
            for i, name in enumerate(("pitch_rad", "yaw_rad")):
                if name in command:
                    v.gimbal_cmd[i] = max(-lim, min(lim, command[name]))
        elif n == "rcs":
            f = command.get("force_N", self.rcs_cmd[0])
            t = command.get("torque_Nm", self.rcs_cmd[1])
            fl, tl = p.rcs_force_limit_N, p.rcs_torque_limit_Nm
            f = tuple(max(-fl, min(fl, c)) for c in f)
            t = tuple(max(-tl, min(tl, c)) for c in t)
            self.rcs_cmd = (f, t)
            v.rcs_force, v.rcs_torque = f, t
        elif n == "igniter":
            if "arm" in command:
                self.armed[device] = bool(command["arm"]) and not self.fired[device]
            if command.get("fire") and self.armed[device] and not self.fired[device]:
                self.fired[device] = True
                self.armed[device] = False
                v.ignite(0 if device == "igniter1" else 1)
        elif n == "pyro" and command.get("fire") and not self.fired[device]:
            self.fired[device] = True
            {"launch_pyro": v.eject, "stage_sep": v.separate_stage1, "os_release": v.release_os}[device]()

    def elements(self):
        """Osculating elements of the vehicle (None while on the lander or if degenerate)."""
        if self.vehicle.stowed:
            return None
        try:
            return self.vehicle.elements()
        except KeplerError:
            return None

    def truth(self) -> dict[str, Any]:
        v = self.vehicle
        el = self.elements()
        re = self.params.mars.radius_eq_m
        return {
            "t_s": self.t_s, "position_m": v.r, "velocity_mps": v.v, "q_body_to_inertial": v.q, "rate_radps": v.w,
            "mass_kg": v.mass(), "altitude_m": math.sqrt(fixed_sum(c * c for c in v.r)) - re,
            "speed_mps": math.sqrt(fixed_sum(c * c for c in v.v)), "stowed": v.stowed,
            "stage1_attached": v.stage1_attached, "os_attached": v.os_attached,
            "thrust_N": fixed_sum(m.thrust(v.t) for m in v.motors), "gimbal_rad": tuple(v.gimbal),
            "events": asdict(v.events), "os_state": v.os_state,
            "elements": None if el is None else {
                **asdict(el), "periapsis_alt_m": el.periapsis_radius_m - re, "apoapsis_alt_m": el.apoapsis_radius_m - re},
        }

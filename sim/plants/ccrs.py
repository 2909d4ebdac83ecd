"""CcrsPlant: the ERO's Capture, Containment and Return System mechanisms after the capture lid.

What the flight software commands and what it can check, each with a little physics:

- orienting rollers (`orient_mech`, a two-axis gimbal): turn the captured OS, whose lid axis
  is wherever the capture left it (drawn from the plant Generator: the OS may tumble), at a
  limited slew rate; the OS axis in the enclosure frame is Rx(pitch) Rz(yaw) a0;
- two orientation cameras (`orient_cam0/1`, camera trackers) looking from either side of the
  stowing axis +z: each sees the lid marker only when the lid faces it (within
  `cam_view_deg`), and reports the lid axis (enclosure frame) it sees;
- primary and secondary containment seals (`seal_primary/secondary`, pyro-driven closures)
  with leak-check units (`primary_check/secondary_check`, tube sensors: present = the
  pressure decay over `leak_check_s` stayed under the limit, tube_id = container id read).
  The primary closes properly only on an OS oriented within `seal_tolerance_deg`; the
  secondary only over a closed primary. `containment_fault` makes the primary leak;
- sterilisation of the secondary's exterior ("break the chain", `btc_heater` + `btc_temp`):
  a lumped thermal mass heated against its losses (exact exponential step);
- transfer mechanism (`transfer_arm`, an arm) moving the container into the Earth Entry
  Vehicle at a limited speed; the EEV seat (`eev_slot`, a tube sensor) reads the container
  id once it is seated;
- EEV release (`eev_sep`, a pyro): the EEV leaves at `eev_sep_speed_mps`; the seat reads
  empty once it is clear.

Nothing here moves fast, and every model is exact for any step, so a long quiet period
(sterilisation dwell, Earth cruise) is one step per `advance_to`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from fsw.numerics import fixed_sum, unit
from fsw.vehicles.ero.devices import CCRS_KINDS
from hal.catalog import DeviceKind
from sim.plants.base import FixedStepPlant
from sim.truth import number, short_list

EEV_SEAT_M = (0.0, 0.6, 0.0)       # transfer-arm position with the container seated in the EEV
STOW_AXIS = (0.0, 0.0, 1.0)        # lid axis wanted by the containment


@dataclass(frozen=True)
class CcrsParams:
    os_id: int = 1000                    # container id read by the seal checks and the EEV seat
    slew_radps: float = math.radians(6.0)
    cam_tilt_deg: float = 30.0           # cameras at +/- this angle from +z, in the x-z plane
    cam_view_deg: float = 70.0           # lid marker visible within this angle of a camera
    seal_close_s: float = 2.0
    seal_tolerance_deg: float = 5.0
    leak_check_s: float = 10.0
    leak_rate_nominal_per_s: float = 1e-7
    leak_rate_fault_per_s: float = 1e-3
    leak_limit_per_s: float = 1e-5
    containment_fault: bool = False
    heat_capacity_J_per_K: float = 500.0
    heat_loss_W_per_K: float = 1.5
    ambient_C: float = 20.0
    arm_speed_mps: float = 0.05
    seat_tolerance_m: float = 0.005
    eev_sep_speed_mps: float = 0.3
    eev_clear_m: float = 0.05


_SEALS = (("primary", "seal_primary"), ("secondary", "seal_secondary"))   # (seal, its pyro)


def _rot(pitch: float, yaw: float, a) -> tuple[float, float, float]:
    """Rx(pitch) Rz(yaw) a."""
    cy, sy = math.cos(yaw), math.sin(yaw)
    x, y, z = a[0] * cy - a[1] * sy, a[0] * sy + a[1] * cy, a[2]
    cp, sp = math.cos(pitch), math.sin(pitch)
    return x, y * cp - z * sp, y * sp + z * cp


def _angle(a, b) -> float:
    return math.acos(max(-1.0, min(1.0, 0.0 + a[0] * b[0] + a[1] * b[1] + a[2] * b[2])))   # sum(), unrolled


class CcrsPlant(FixedStepPlant):
    def __init__(self, params: CcrsParams = CcrsParams(), physics_rate_hz: int = 10,
                 seed: int | np.random.Generator = 0,
                 captured: Callable[[], bool] = lambda: True) -> None:
        super().__init__(physics_rate_hz, CCRS_KINDS, seed)
        self.p = params
        self.captured = captured
        v = self.rng.standard_normal(3)
        self.os_axis0 = tuple(unit(v.tolist()))   # lid axis at capture
        self.gimbal = [0.0, 0.0]
        self.gimbal_cmd = [0.0, 0.0]
        tilt = math.radians(params.cam_tilt_deg)
        self.cam_dirs = {"orient_cam0": (math.sin(tilt), 0.0, math.cos(tilt)),
                         "orient_cam1": (-math.sin(tilt), 0.0, math.cos(tilt))}
        self.fired: dict[str, float | None] = {"seal_primary": None, "seal_secondary": None, "eev_sep": None}
        self.sealed = {"primary": False, "secondary": False}
        self.leak_rate = {"primary": 0.0, "secondary": 0.0}
        self.heater_W = 0.0
        self.temp_C = params.ambient_C
        self.max_temp_C = params.ambient_C
        self.arm = [0.0, 0.0, 0.0]
        self.arm_target = [0.0, 0.0, 0.0]
        self.in_eev = False
        self.eev_gap_m = 0.0
        self._truth_key: tuple = ()
        self._truth_row: list[float] = []

    # ---------------------------------------------------------------- physics
    def os_axis(self) -> tuple[float, float, float]:
        return _rot(self.gimbal[0], self.gimbal[1], self.os_axis0)

    def _advance_steps(self, n: int) -> None:
        self._step(n * self.dt)        # every model below is exact for any step
        self.steps += n

    def _step(self, dt: float) -> None:
        p = self.p
        lim = p.slew_radps * dt
        nlim = -lim
        g, cmd = self.gimbal, self.gimbal_cmd
        # max(-lim, min(lim, d)) per axis, as the choices min and max make (docs/determinism.md):
        # min(lim, d) keeps lim unless d < lim; max(-lim, m) keeps -lim unless m > -lim
        d = cmd[0] - g[0]
        m = d if d < lim else lim
        g[0] += m if m > nlim else nlim
        d = cmd[1] - g[1]
        m = d if d < lim else lim
        g[1] += m if m > nlim else nlim
        arm, target = self.arm, self.arm_target
        d0, d1, d2 = target[0] - arm[0], target[1] - arm[1], target[2] - arm[2]
        dn = math.sqrt(0.0 + d0 * d0 + d1 * d1 + d2 * d2)       # sum() from 0.0, unrolled
        step = p.arm_speed_mps * dt
        if dn <= step:
            self.arm = list(target)
        else:
            self.arm = [arm[0] + d0 * step / dn, arm[1] + d1 * step / dn, arm[2] + d2 * step / dn]
        if (self.sealed["secondary"] and not self.in_eev
                and math.dist(self.arm, EEV_SEAT_M) <= p.seat_tolerance_m):
            self.in_eev = True
        t_inf = p.ambient_C + self.heater_W / p.heat_loss_W_per_K
        tau = p.heat_capacity_J_per_K / p.heat_loss_W_per_K
        self.temp_C = t_inf + (self.temp_C - t_inf) * math.exp(-dt / tau)
        if self.temp_C > self.max_temp_C:          # max(max_temp, temp) keeps max_temp unless
            self.max_temp_C = self.temp_C          # temp is greater
        fired = self.fired
        if fired["eev_sep"] is not None and self.in_eev:
            self.eev_gap_m += p.eev_sep_speed_mps * dt
        for seal, pyro in _SEALS:
            since = fired[pyro]
            if since is not None and not self.sealed[seal] and self.t_s + dt - since >= p.seal_close_s:
                self._close(seal)

    def _close(self, seal: str) -> None:
        p = self.p
        self.sealed[seal] = True
        ok = self.captured()
        if seal == "primary":
            ok = ok and _angle(self.os_axis(), STOW_AXIS) <= math.radians(p.seal_tolerance_deg) \
                and not p.containment_fault
        else:
            ok = ok and self.sealed["primary"]
        self.leak_rate[seal] = p.leak_rate_nominal_per_s if ok else p.leak_rate_fault_per_s

    def _leak_check_passed(self, seal: str) -> bool:
        since = self.fired["seal_" + seal]
        p = self.p
        if since is None or not self.sealed[seal]:
            return False
        if self.t_s - since < p.seal_close_s + p.leak_check_s:
            return False
        return self.leak_rate[seal] <= p.leak_limit_per_s

    # ---------------------------------------------------------------- devices
    def _sense(self, device: str, kind: DeviceKind) -> dict[str, Any]:
        p = self.p
        if device == "orient_mech":
            return {"pitch_rad": self.gimbal[0], "yaw_rad": self.gimbal[1]}
        if device in self.cam_dirs:
            a = self.os_axis()
            c = fixed_sum(a[i] * self.cam_dirs[device][i] for i in range(3))
            if not self.captured() or c < math.cos(math.radians(p.cam_view_deg)):
                return {"los_unit": (0.0, 0.0, 0.0), "detected": 0, "brightness": 0.0}
            return {"los_unit": a, "detected": 1, "brightness": c}
        if kind.name == "pyro":
            return {"fired": int(self.fired[device] is not None)}
        if device in ("primary_check", "secondary_check"):
            ok = self._leak_check_passed(device.split("_")[0])
            return {"present": int(ok), "tube_id": p.os_id if ok else 0}
        if device == "eev_slot":
            ok = self.in_eev and self.eev_gap_m < p.eev_clear_m
            return {"present": int(ok), "tube_id": p.os_id if ok else 0}
        if device == "btc_heater":
            return {"power_W": self.heater_W}
        if device == "btc_temp":
            return {"temp_C": self.temp_C}
        # transfer_arm
        return {"position_m": tuple(self.arm),
                "at_target": int(math.dist(self.arm, self.arm_target) <= 1e-3)}

    def _actuate(self, device: str, kind: DeviceKind, command: dict[str, Any]) -> None:
        if device == "orient_mech":
            self.gimbal_cmd = [float(command.get("pitch_rad", self.gimbal_cmd[0])),
                               float(command.get("yaw_rad", self.gimbal_cmd[1]))]
        elif kind.name == "pyro":
            if command.get("fire") and self.fired[device] is None:
                self.fired[device] = self.t_s
        elif device == "btc_heater":
            self.heater_W = max(0.0, float(command["power_W"]))
        elif device == "transfer_arm":
            self.arm_target = list(command["target_m"])

    def truth_fields(self) -> tuple[str, ...]:
        """The names of `truth_values` (sim.truth): what `truth()` flattens to."""
        return (*short_list("os_axis", 3), "os_axis_error_deg",
                *(f"sealed.{k}" for k in self.sealed), *(f"leak_rate_per_s.{k}" for k in self.leak_rate),
                "temp_C", "max_temp_C", "in_eev", "eev_released", *(f"fired.{k}" for k in self.fired))

    def truth_values(self) -> list[float]:
        """`truth()` as one row of numbers in `truth_fields()` order. The mechanisms rest for
        most of a run: the last row is given again while what it is made of is unchanged."""
        key = (*self.gimbal, self.temp_C, self.max_temp_C, self.in_eev, self.eev_gap_m >= self.p.eev_clear_m,
               *self.sealed.values(), *self.leak_rate.values(), *self.fired.values())
        if key != self._truth_key:
            axis = self.os_axis()
            self._truth_row = [*axis, math.degrees(_angle(axis, STOW_AXIS)),
                               *(float(v) for v in self.sealed.values()), *self.leak_rate.values(),
                               self.temp_C, self.max_temp_C, float(self.in_eev),
                               float(self.eev_gap_m >= self.p.eev_clear_m), *(number(v) for v in self.fired.values())]
            self._truth_key = key
        return self._truth_row

    def truth(self) -> dict[str, Any]:
        return {
            "os_axis": self.os_axis(), "os_axis_error_deg": math.degrees(_angle(self.os_axis(), STOW_AXIS)),
            "sealed": dict(self.sealed), "leak_rate_per_s": dict(self.leak_rate),
            "temp_C": self.temp_C, "max_temp_C": self.max_temp_C, "in_eev": self.in_eev,
            "eev_released": self.eev_gap_m >= self.p.eev_clear_m, "fired": dict(self.fired),
        }


__all__ = ["CcrsParams", "CcrsPlant", "EEV_SEAT_M", "STOW_AXIS"]

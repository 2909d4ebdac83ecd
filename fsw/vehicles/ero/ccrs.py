"""Containment steps of the CCRS, each one commanded and then *verified* from sensors.

A step is a small generator-free state holder: `start()` sends its commands, `poll(t)`
returns RUNNING, VERIFIED or FAILED (the reason in `reason`). The capture manager only moves
on when a step reports VERIFIED; a FAILED or timed-out step leads to CONTAINMENT_HOLD.
"""
from __future__ import annotations

import math

from hal.errors import DeviceFault

from .devices import EroDevices
from fsw.numerics import fixed_sum

RUNNING, VERIFIED, FAILED = "running", "verified", "failed"

TRANSFER_TARGET_M = (0.0, 0.6, 0.0)          # container seated in the EEV
ORIENT_TOL_RAD = math.radians(2.0)
EXPECTED_OS_AXIS = (0.0, 0.0, 1.0)           # OS lid axis wanted by the containment (stowing axis)
# roller positions (pitch, yaw) tried in turn while neither camera sees the lid: every yaw
# quarter at pitch 0, 90 and 180 deg brings any lid axis into the cameras' view
SEARCH_PATTERN = tuple((math.radians(p), math.radians(y)) for p in (0.0, 90.0, 180.0)
                       for y in (90.0, 180.0, 270.0, 0.0))


def orient_angles(axis: tuple[float, float, float], pitch: float, yaw: float) -> tuple[float, float]:
    """Gimbal (pitch, yaw) that turns the OS lid axis onto +z, given the axis seen now (unit,
    enclosure frame) with the rollers at (pitch, yaw); the rollers apply Rx(pitch) Rz(yaw) to
    the axis the OS had at capture. Yaw first puts the axis in the y-z plane, pitch lifts it."""
    cp, sp = math.cos(pitch), math.sin(pitch)
    x, y, z = axis[0], axis[1] * cp + axis[2] * sp, -axis[1] * sp + axis[2] * cp   # Rx(-pitch)
    cy, sy = math.cos(yaw), math.sin(yaw)
    x, y = x * cy + y * sy, -x * sy + y * cy                                       # Rz(-yaw)
    return math.atan2(math.hypot(x, y), z), math.atan2(x, y)


class Step:
    name = "step"

    def __init__(self, dev: EroDevices, timeout_s: float) -> None:
        self.dev = dev
        self.timeout_s = timeout_s
        self.t0: float | None = None
        self.reason = ""

    def start(self, t: float) -> None:
        self.t0 = t
        self.reason = ""
        try:
            self._start()
        except DeviceFault as exc:
            self.reason = f"device fault: {exc}"

    def poll(self, t: float) -> str:
        if self.reason:
            return FAILED
        try:
            state = self._poll(t)
        except DeviceFault as exc:
            self.reason = f"device fault: {exc}"
            return FAILED
        if state == RUNNING and self.t0 is not None and t - self.t0 > self.timeout_s:
            self.reason = f"{self.name} not verified within {self.timeout_s:.0f} s"
            return FAILED
        return state

    def _start(self) -> None: ...

    def _poll(self, t: float) -> str:
        return VERIFIED


class Orient(Step):
    """Turn the OS to its stowing attitude with the rollers, closed loop on the two cameras;
    verified when both cameras see its lid axis within tolerance of the stowing axis and the
    rollers have stopped. While neither camera sees the lid, the rollers step through
    `SEARCH_PATTERN`."""

    name = "orient"

    def __init__(self, dev: EroDevices, timeout_s: float) -> None:
        super().__init__(dev, timeout_s)
        self.commanded: tuple[float, float] | None = None
        self.searches = 0

    def _start(self) -> None:
        g = self.dev.orient_mech.read()
        self.commanded = (g.pitch_rad, g.yaw_rad)
        # hold them where they are: after a warm restart they may still be turning towards
        # a command this step never gave, and would never come to rest where it expects
        self.dev.orient_mech.point(*self.commanded)

    def _poll(self, t: float) -> str:
        g = self.dev.orient_mech.read()
        cmd = self.commanded
        if cmd is not None and (abs(g.pitch_rad - cmd[0]) > 1e-3 or abs(g.yaw_rad - cmd[1]) > 1e-3):
            return RUNNING                                     # rollers still turning
        seen = [r.los_unit for r in (cam.read() for cam in self.dev.orient_cams) if r.detected]
        if not seen:
            self.commanded = SEARCH_PATTERN[self.searches % len(SEARCH_PATTERN)]
            self.searches += 1
            self.dev.orient_mech.point(*self.commanded)
            return RUNNING
        errs = [_angle(a, EXPECTED_OS_AXIS) for a in seen]
        if len(seen) == 2 and max(errs) <= ORIENT_TOL_RAD:
            return VERIFIED
        a = tuple(fixed_sum(v[i] for v in seen) for i in range(3))
        n = math.sqrt(fixed_sum(c * c for c in a))
        target = orient_angles(tuple(c / n for c in a), g.pitch_rad, g.yaw_rad)
        if self.commanded is not None and max(abs(target[0] - g.pitch_rad), abs(target[1] - g.yaw_rad)) < 1e-4:
            return RUNNING                                     # nothing left to turn: wait
        self.commanded = target
        self.dev.orient_mech.point(*target)
        return RUNNING


def _angle(a, b) -> float:
    n = math.sqrt(fixed_sum(c * c for c in a)) or 1.0
    return math.acos(max(-1.0, min(1.0, fixed_sum(a[i] * b[i] for i in range(3)) / n)))


class Contain(Step):
    """Close the primary then the secondary containment; each seal's leak check must pass
    and must read the OS id."""

    name = "contain"

    def __init__(self, dev: EroDevices, timeout_s: float, os_id: int) -> None:
        super().__init__(dev, timeout_s)
        self.os_id = os_id
        self.stage = 0

    def _start(self) -> None:
        self.stage = 0
        self.dev.seal_primary.fire()

    def _poll(self, t: float) -> str:
        d = self.dev
        if self.stage == 0:
            r = d.primary_check.read()
            if r.present and r.tube_id == self.os_id:
                d.seal_secondary.fire()
                self.stage = 1
            return RUNNING
        r = d.secondary_check.read()
        return VERIFIED if r.present and r.tube_id == self.os_id else RUNNING


class BreakTheChain(Step):
    """Sterilise the exterior of the secondary container: hold it above the sterilisation
    temperature for the dwell time, then switch the heater off."""

    name = "break_the_chain"

    def __init__(self, dev: EroDevices, timeout_s: float, temp_C: float, dwell_s: float,
                 power_W: float) -> None:
        super().__init__(dev, timeout_s)
        self.temp_C = temp_C
        self.dwell_s = dwell_s
        self.power_W = power_W
        self.hot_since: float | None = None

    def _start(self) -> None:
        self.hot_since = None
        self.dev.btc_heater.set_power(self.power_W)

    def _poll(self, t: float) -> str:
        if self.dev.btc_temp.read().temp_C >= self.temp_C:
            if self.hot_since is None:
                self.hot_since = t
            if t - self.hot_since >= self.dwell_s:
                self.dev.btc_heater.set_power(0.0)
                return VERIFIED
        else:
            self.hot_since = None
        return RUNNING


class TransferToEev(Step):
    """Move the contained OS into the EEV; the EEV slot must read the OS id."""

    name = "eev_transfer"

    def __init__(self, dev: EroDevices, timeout_s: float, os_id: int) -> None:
        super().__init__(dev, timeout_s)
        self.os_id = os_id

    def _start(self) -> None:
        self.dev.transfer_arm.move_to(TRANSFER_TARGET_M)

    def _poll(self, t: float) -> str:
        if not self.dev.transfer_arm.read().at_target:
            return RUNNING
        r = self.dev.eev_slot.read()
        return VERIFIED if r.present and r.tube_id == self.os_id else RUNNING


class ReleaseEev(Step):
    """Fire the EEV release; verified when the pyro reports fired and the EEV seat reads
    empty (the EEV has left)."""

    name = "eev_release"

    def _start(self) -> None:
        self.dev.eev_sep.fire()

    def _poll(self, t: float) -> str:
        if not self.dev.eev_sep.read().fired:
            return RUNNING
        return VERIFIED if not self.dev.eev_slot.read().present else RUNNING


__all__ = ["RUNNING", "VERIFIED", "FAILED", "Step", "Orient", "Contain", "BreakTheChain",
           "TransferToEev", "ReleaseEev", "TRANSFER_TARGET_M", "EXPECTED_OS_AXIS",
           "orient_angles"]

"""Containment steps of the CCRS, each one commanded and then *verified* from sensors.

A step is a small generator-free state holder: `start()` sends its commands, `poll(t)`
returns RUNNING, VERIFIED or FAILED (the reason in `reason`). The capture manager only moves
on when a step reports VERIFIED; a FAILED or timed-out step leads to CONTAINMENT_HOLD.
"""
from __future__ import annotations

import math

from hal.errors import DeviceFault

from .devices import EroDevices

RUNNING, VERIFIED, FAILED = "running", "verified", "failed"

ORIENT_TARGET_M = (0.0, 0.0, 0.15)           # orienting mechanism set point (arm frame)
TRANSFER_TARGET_M = (0.0, 0.6, 0.0)          # OS seated in the EEV
ORIENT_TOL_RAD = math.radians(2.0)
EXPECTED_OS_AXIS = (0.0, 0.0, 1.0)           # OS lid axis seen by both orientation cameras


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
    """Turn the OS to its stowing attitude, then both cameras must see its lid axis."""

    name = "orient"

    def _start(self) -> None:
        self.dev.orient_arm.move_to(ORIENT_TARGET_M)

    def _poll(self, t: float) -> str:
        if not self.dev.orient_arm.read().at_target:
            return RUNNING
        for cam in self.dev.orient_cams:
            r = cam.read()
            if not r.detected:
                return RUNNING
            c = sum(a * b for a, b in zip(r.los_unit, EXPECTED_OS_AXIS))
            if math.acos(max(-1.0, min(1.0, c))) > ORIENT_TOL_RAD:
                return RUNNING
        return VERIFIED


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
    name = "eev_release"

    def _start(self) -> None:
        self.dev.eev_sep.fire()

    def _poll(self, t: float) -> str:
        return VERIFIED if self.dev.eev_sep.read().fired else RUNNING


__all__ = ["RUNNING", "VERIFIED", "FAILED", "Step", "Orient", "Contain", "BreakTheChain",
           "TransferToEev", "ReleaseEev", "ORIENT_TARGET_M", "TRANSFER_TARGET_M",
           "EXPECTED_OS_AXIS"]

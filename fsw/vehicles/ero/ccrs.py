"""Containment steps of the CCRS, each one commanded and then *verified* from sensors, run as
one declared sub-step table (`CCRS_STEPS`, the core's `SubSteps`; requirements ERO-CON-007..009
in DESIGN.md).

Containment (`containment.py`) starts the step of the manager's mode (`start`), polls it every
cycle (`poll`: RUNNING, VERIFIED or FAILED, the reason in `reason`) and stops it (`stop`) once
verified, failed or held. Each step is a sub-step of the table (the containment has two: the
primary seal, then the secondary); a move the table does not have is refused (and counted in
`steps.rejected`), never made. A step not verified within `step_timeout_s` of its start fails;
so does a device that faults in it (the reason names the device: the step fails whole, so a
fault anywhere in it is caught once, here). Parameters are read when the step starts.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from fsw.core.modes import ANY, ModeTable, T
from fsw.core.substeps import SubSteps
from fsw.numerics import fixed_sum
from hal.errors import DeviceFault

from .devices import EroDevices

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


# the sub-steps; a step is started by the trigger of its name, "stop" ends any of them
CCRS_STEPS = ModeTable(
    modes=("idle", "orient", "seal_primary", "seal_secondary", "sterilise", "eev_transfer", "eev_release"),
    initial="idle",
    transitions=(
        T("orient", "idle", "orient"),
        T("contain", "idle", "seal_primary"),
        T("primary_sealed", "seal_primary", "seal_secondary"),
        T("break_the_chain", "idle", "sterilise"),
        T("eev_transfer", "idle", "eev_transfer"),
        T("eev_release", "idle", "eev_release"),
        T("stop", ANY, "idle"),
    ),
)
# the step (telemetry `step`, the verified set) each sub-step belongs to
STEP_OF_SUBSTEP = {"idle": "", "orient": "orient", "seal_primary": "contain", "seal_secondary": "contain",
                   "sterilise": "break_the_chain", "eev_transfer": "eev_transfer", "eev_release": "eev_release"}
STEP_NAMES = ("orient", "contain", "break_the_chain", "eev_transfer", "eev_release")


class CcrsSteps:
    """The verified containment steps on the devices of the CCRS; `params` is containment's
    parameter table (os_id, sterilisation, step_timeout_s)."""

    def __init__(self, dev: EroDevices, params: Mapping[str, Any]) -> None:
        self.dev = dev
        self.params = params
        self.steps = SubSteps(CCRS_STEPS, self)
        self.p: dict[str, Any] = {}
        self.t0 = 0.0
        self.reason = ""
        self.commanded: tuple[float, float] | None = None     # orient: rollers' last command
        self.searches = 0                                     # orient: search positions tried
        self.hot_since: float | None = None                   # sterilise: above temperature since

    @property
    def name(self) -> str:
        """The step under way ('' when none)."""
        return STEP_OF_SUBSTEP[self.steps.state]

    @property
    def active(self) -> bool:
        return not self.steps.idle

    def stop(self) -> None:
        if self.active:
            self.steps.go("stop")

    def start(self, step: str, t: float) -> None:
        """Start `step` (a name of STEP_NAMES) from its beginning, whatever ran before."""
        self.stop()
        self.steps.go(step)
        self.p, self.t0, self.reason = dict(self.params), t, ""
        self.commanded, self.searches, self.hot_since = None, 0, None
        self._guarded(self.START[self.steps.state], self)

    def poll(self, t: float) -> str:
        if not self.active:
            return RUNNING                  # no step: nothing to verify, nothing to time out
        if self.reason:
            return FAILED
        state = self._guarded(self.POLL[self.steps.state], self, t)
        if state == RUNNING and t - self.t0 > self.p["step_timeout_s"]:
            self.reason = f"{self.name} not verified within {self.p['step_timeout_s']:.0f} s"
            return FAILED
        return state

    def _guarded(self, fn: Callable[..., str | None], *args: Any) -> str:
        try:
            return fn(*args) or RUNNING
        except DeviceFault as exc:
            self.reason = f"device fault: {exc}"
            return FAILED

    # ------------------------------------------------------------ orient
    def _start_orient(self) -> None:
        g = self.dev.orient_mech.read()
        self.commanded = (g.pitch_rad, g.yaw_rad)
        # hold them where they are: after a warm restart they may still be turning towards
        # a command this step never gave, and would never come to rest where it expects
        self.dev.orient_mech.point(*self.commanded)

    def _poll_orient(self, t: float) -> str:
        """Turn the OS to its stowing attitude with the rollers, closed loop on the two
        cameras; verified when both see its lid axis within tolerance of the stowing axis and
        the rollers have stopped. While neither camera sees the lid, the rollers step through
        `SEARCH_PATTERN`."""
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

    # ------------------------------------------------------------ contain: primary, then secondary
    def _start_seal_primary(self) -> None:
        self.dev.seal_primary.fire()

    def _reads_os(self, check) -> bool:
        r = check.read()
        return r.present and r.tube_id == self.p["os_id"]

    def _poll_seal_primary(self, t: float) -> str:
        """The primary seal's leak check must read the OS id before the secondary is closed."""
        if self._reads_os(self.dev.primary_check):
            self.dev.seal_secondary.fire()
            self.steps.go("primary_sealed")
        return RUNNING

    def _poll_seal_secondary(self, t: float) -> str:
        return VERIFIED if self._reads_os(self.dev.secondary_check) else RUNNING

    # ------------------------------------------------------------ break the chain
    def _start_sterilise(self) -> None:
        self.dev.btc_heater.set_power(self.p["sterilise_power_W"])

    def _poll_sterilise(self, t: float) -> str:
        """Hold the secondary container above the sterilisation temperature for the dwell
        time, then switch the heater off."""
        if self.dev.btc_temp.read().temp_C >= self.p["sterilise_C"]:
            if self.hot_since is None:
                self.hot_since = t
            if t - self.hot_since >= self.p["sterilise_dwell_s"]:
                self.dev.btc_heater.set_power(0.0)
                return VERIFIED
        else:
            self.hot_since = None
        return RUNNING

    # ------------------------------------------------------------ EEV
    def _start_eev_transfer(self) -> None:
        self.dev.transfer_arm.move_to(TRANSFER_TARGET_M)

    def _poll_eev_transfer(self, t: float) -> str:
        """Move the contained OS into the EEV; the EEV slot must read the OS id."""
        if not self.dev.transfer_arm.read().at_target:
            return RUNNING
        return VERIFIED if self._reads_os(self.dev.eev_slot) else RUNNING

    def _start_eev_release(self) -> None:
        self.dev.eev_sep.fire()

    def _poll_eev_release(self, t: float) -> str:
        """Verified when the pyro reports fired and the EEV seat reads empty (it has left)."""
        if not self.dev.eev_sep.read().fired:
            return RUNNING
        return VERIFIED if not self.dev.eev_slot.read().present else RUNNING

    START = {"orient": _start_orient, "seal_primary": _start_seal_primary, "sterilise": _start_sterilise,
             "eev_transfer": _start_eev_transfer, "eev_release": _start_eev_release}
    POLL = {"orient": _poll_orient, "seal_primary": _poll_seal_primary,
            "seal_secondary": _poll_seal_secondary, "sterilise": _poll_sterilise,
            "eev_transfer": _poll_eev_transfer, "eev_release": _poll_eev_release}


def _angle(a, b) -> float:
    n = math.sqrt(fixed_sum(c * c for c in a)) or 1.0
    return math.acos(max(-1.0, min(1.0, fixed_sum(a[i] * b[i] for i in range(3)) / n)))


__all__ = ["RUNNING", "VERIFIED", "FAILED", "CCRS_STEPS", "CcrsSteps", "STEP_NAMES", "STEP_OF_SUBSTEP",
           "TRANSFER_TARGET_M", "EXPECTED_OS_AXIS", "orient_angles"]

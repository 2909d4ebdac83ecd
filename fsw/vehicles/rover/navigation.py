"""Rover navigation: dead reckoning, the position-error bound, fixes, tilt and stall watch.

Dead reckoning integrates the wheels' odometer along the IMU-integrated heading (or the
wheels' own heading, `heading_source`). Safety does not rest on it being good: the
`PositionBound` grows per metre driven and is reset by fixes; a fix further off than the
bound allowed raises the bound's growth rate (BOUND_RAISED): the bound learns from its
misses. Fixes arrive on `rover.fix` (the lander's cameras and landmark sightings, which the
manager sees, and the ground's FIX command) and are applied with `NavState.after_fix`, the
function the manager uses on its own copy. Requirements: fsw/vehicles/rover/DESIGN.md (ROV-NAV-*).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.devices import DEVICE_FAULT, failed
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.gnc.dead_reckoning import DeadReckoning, PositionBound, wrap

from .topics import DRIVE_SPEED, NAV_STATE, ROVER_FIX, NavState, PositionFix


def initial_state(start_pose: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> NavState:
    """The estimate before navigation's first step (its default bound): a reader's starting copy."""
    defaults = {p.name: p.default for p in RoverNavigation.PARAMS}
    return NavState(float(start_pose[0]), float(start_pose[1]), float(start_pose[2]), 0.0,
                    defaults["pos_bound_start_m"], defaults["pos_bound_per_m"], 0.0, 0.0, None)


class RoverNavigation(Component):
    PUBLISHES = (NAV_STATE,)
    SUBSCRIBES = (Sub(ROVER_FIX, "_on_fix"), DRIVE_SPEED)
    CHANNELS = (
        Channel("dr_x_m", float, "m"), Channel("dr_y_m", float, "m"), Channel("dr_heading_rad", float, "rad"),
        Channel("odometer_m", float, "m"), Channel("pos_bound_m", float, "m"),
        Channel("bound_growth_per_m", float, ""), Channel("stalled_s", float, "s"),
        Channel("landmark_fixes", int, ""), Channel("lander_fixes", int, ""), Channel("device_faults", int, ""),
    )
    EVENTS = (
        EventDef("RELOCALISED", Severity.ACTIVITY_LO, "{source}: moved {shift_m} m, bound {bound_m} m",
                 source=str, shift_m=float, bound_m=float),
        EventDef("BOUND_RAISED", Severity.WARNING_HI,
                 "a fix {shift_m} m off a {bound_m} m bound: growth now {growth} per m",
                 shift_m=float, bound_m=float, growth=float),
        DEVICE_FAULT,
    )
    PARAMS = (
        Param("max_tilt_deg", float, 5.0, 40.0, default=22.0),
        Param("heading_source", str, choices=("imu", "wheels"), default="imu",
              doc="dead-reckoning heading: integrated IMU yaw rate, or the wheels' odometry heading"),
        Param("pos_bound_start_m", float, 0.0, 10.0, default=0.1, doc="position-error bound on the deck"),
        Param("pos_bound_per_m", float, 0.0, 0.5, default=0.03,
              doc="growth of the position-error bound per metre driven without a fix"),
        Param("ground_fix_bound_m", float, 0.0, 5.0, default=0.1, doc="bound after a FIX command"),
        Param("lost_bound_m", float, 1.0, 50.0, default=8.0,
              doc="localisation lost beyond this bound: the lander's stereo tracker (15 m reach) may no "
                  "longer see the rover where it believes the hand-off run-in starts (~6 m out)"),
        Param("min_drive_speed_mps", float, 0.001, 0.1, default=0.01,
              doc="a commanded speed at or above this must turn the wheels"),
        Param("no_progress_s", float, 0.5, 60.0, default=2.0,
              doc="commanded to drive this long without the odometer advancing: the drive is stuck"),
    )
    TLM_KEPT = ("landmark_fixes", "lander_fixes", "device_faults")

    def __init__(self, name: str = "rover_nav", *, wheels=None, imu=None,
                 start_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), control_rate_hz: int = 10) -> None:
        super().__init__(name)
        self.wheels, self.imu = wheels, imu
        self.dt = 1.0 / control_rate_hz
        self.dr = DeadReckoning(*start_pose)
        self.bound = PositionBound(self.params["pos_bound_start_m"], self.params["pos_bound_per_m"])
        self.imu_heading = start_pose[2]
        self._wheel_heading = start_pose[2]
        self._heading_offset = 0.0
        self._wheel_speed = 0.0
        self._accel: tuple[float, float, float] | None = None
        self._tilt = ""                       # this step's tilt hazard ("" = none)
        self._last_odo: float | None = None   # odometer at the last read (no-progress check)
        self._stalled = 0                     # cycles commanded to drive with the odometer still
        self._restored = False                # a warm restart: bridge the reboot gap with the wheels' heading

    def state(self) -> NavState:
        b, d = self.bound, self.dr
        return NavState(d.x, d.y, d.heading, d.distance_m, b.bound_m, b.growth_per_m, b.since_fix_m,
                        self._wheel_speed, self._accel, self._tilt)

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        self._tilt = ""
        if self.wheels is not None:
            self._read_wheels()
        if self.imu is not None:
            self._read_imu()
        self._restored = False
        tl = self.tlm
        tl["dr_x_m"], tl["dr_y_m"], tl["dr_heading_rad"] = self.dr.x, self.dr.y, self.dr.heading
        tl["odometer_m"] = self.dr.distance_m
        tl["pos_bound_m"] = self.bound.bound_m
        tl["bound_growth_per_m"] = self.bound.growth_per_m
        tl["stalled_s"] = self._stalled * self.dt
        self.publish(NAV_STATE, self.state())

    def _read_wheels(self) -> None:
        w = self.device_call(self.wheels.read)
        ok = not failed(w)
        if ok:
            self._wheel_speed = float(w.speed_mps)
            if self._restored:
                # The reboot gap: the gyro was not integrated, the wheels' odometry heading was.
                self.imu_heading = wrap(self.imu_heading + wrap(float(w.heading_rad) - self._wheel_heading))
            use_imu = self.imu is not None and self.params["heading_source"] == "imu"
            self._wheel_heading = float(w.heading_rad)
            heading = self.imu_heading if use_imu else wrap(self._wheel_heading + self._heading_offset)
            before = self.dr.distance_m
            self.dr.update(float(w.odometer_m), heading)
            self.bound.drive(self.dr.distance_m - before)
        moved = ok and self._last_odo is not None and float(w.odometer_m) != self._last_odo
        if ok:
            self._last_odo = float(w.odometer_m)
        # Commanded to drive (last cycle's command) and the wheels' odometer did not move:
        # a stuck or stalled drive, or a frozen wheel sensor. Nominally it advances every cycle.
        speed = self.received(DRIVE_SPEED) or 0.0
        driving = abs(speed) >= self.params["min_drive_speed_mps"]
        self._stalled = self._stalled + 1 if driving and not moved else 0

    def _read_imu(self) -> None:
        r = self.device_call(self.imu.read)
        if failed(r):
            return
        self.imu_heading = wrap(self.imu_heading + float(r.rate_radps[2]) * self.dt)
        ax, ay, az = r.accel_mps2
        self._accel = (float(ax), float(ay), float(az))
        tilt = math.degrees(math.atan2(math.hypot(ax, ay), az)) if az > 0 else 90.0
        if tilt > self.params["max_tilt_deg"]:
            self._tilt = f"tilt {tilt:.1f} deg"

    # ------------------------------------------------------------ fixes
    def _on_fix(self, fix: PositionFix) -> None:
        """Apply a fix: a ground fix (heading too) as given; the rover's own fixes teach the bound."""
        before = self.state()
        after = before.after_fix(fix)
        if not fix.learns:
            self.dr.fix(fix.x_m, fix.y_m, fix.heading_rad)
            self.imu_heading = self.dr.heading
            self._heading_offset = wrap(self.dr.heading - self._wheel_heading)
            self.bound.fix(fix.bound_m)
        else:
            self.tlm["landmark_fixes" if fix.kind == "landmark" else "lander_fixes"] += 1
            shift = math.hypot(fix.x_m - before.x_m, fix.y_m - before.y_m)
            if after.growth_per_m != before.growth_per_m:
                self.emit("BOUND_RAISED", shift_m=round(shift, 3), bound_m=round(before.bound_m, 3),
                          growth=round(after.growth_per_m, 4))
                self.bound.growth_per_m = after.growth_per_m
            self.dr.fix(fix.x_m, fix.y_m)
            self.bound.fix(fix.bound_m)
            self.emit("RELOCALISED", source=fix.source, shift_m=round(shift, 3), bound_m=round(fix.bound_m, 3))
        self.publish(NAV_STATE, self.state())

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        """The pose, the odometer latch, both headings, the error bound and the fix counters."""
        b = self.bound
        return super().checkpoint_state() | {
            "pose": (self.dr.x, self.dr.y, self.dr.heading),
            "nav": {"distance_m": self.dr.distance_m, "odo_latch_m": self.dr._odo, "imu_heading": self.imu_heading,
                    "wheel_heading": self._wheel_heading, "heading_offset": self._heading_offset,
                    "bound_m": b.bound_m, "growth_per_m": b.growth_per_m, "since_fix_m": b.since_fix_m},
            "tlm": {k: self.tlm[k] for k in self.TLM_KEPT},
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put the estimate back; the first step bridges the reboot gap in the gyro heading with
        the wheels' odometry heading."""
        super().restore_state(state)
        if state.get("pose") is not None:
            self.dr.x, self.dr.y, self.dr.heading = (float(c) for c in state["pose"])
        nav = state.get("nav", {})
        if nav:
            self.dr.distance_m = float(nav["distance_m"])
            self.dr._odo = None if nav["odo_latch_m"] is None else float(nav["odo_latch_m"])
            self.imu_heading = float(nav["imu_heading"])
            self._wheel_heading = float(nav["wheel_heading"])
            self._heading_offset = float(nav["heading_offset"])
            self.bound.bound_m, self.bound.growth_per_m = float(nav["bound_m"]), float(nav["growth_per_m"])
            self.bound.since_fix_m = float(nav["since_fix_m"])
            self._last_odo = self.dr._odo
        for k, v in state.get("tlm", {}).items():
            if k in self.TLM_KEPT and isinstance(v, int):
                self.tlm[k] = v
        self._restored = True

"""Rover tracker: the lander's stereo cameras fix the delivering rover's position near the lander.

Each camera gives a line of sight to the rover's mast target (camera frames aligned with the
local axes by calibration). The fix is the midpoint of the shortest segment between the two
rays; its 1-sigma error is the line-of-sight noise times the range, divided (along the line
of sight) by the sine of the angle between the rays, which is small far away and when the
rover lies near the baseline's direction; fixes worse than `max_sigma_m` are not sent. A fix is sent
over the hand-off link (FIX) every `fix_period_cycles` while both cameras see the rover and
it has moved since the last fix (run it at ~1 Hz); the rover uses it to re-localise (see fsw.vehicles.rover).
"""
from __future__ import annotations

import math
from typing import Sequence

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.modes import ModeTable, T
from hal.errors import DeviceFault

from ..handoff import HandoffEndpoint

TRACKER_MODES = ModeTable(
    modes=("IDLE", "TRACKING"), initial="IDLE",
    transitions=(T("acquire", "IDLE", "TRACKING"), T("lose", "TRACKING", "IDLE")),
)


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


MIN_SIN_GAMMA = 1e-6
"""Rays closer to parallel than this (rad) give no fix: the depth would be noise."""


def triangulate(p1: Sequence[float], u1: Sequence[float], p2: Sequence[float], u2: Sequence[float]
                ) -> tuple[float, float, float] | None:
    """Midpoint of the shortest segment between rays p1 + s u1 and p2 + t u2 (s, t >= 0).

    None when the rays are parallel to within MIN_SIN_GAMMA or the point lies behind a camera.
    The rays' parameters come from the common normal n = u1 x u2 (s = ((p2 - p1) x u2) . n / |n|^2),
    never from 1 - cos^2 (which cancels), so for rays that meet at X the rounding error is a few
    ulps of the range divided by the sine of the angle between the rays: |result - X| <=
    32 eps max(|X - p1|, |X - p2|) / sin(gamma), the conditioning of the geometry itself (a
    unit vector rounded to eps already moves X that much). tests/vehicles/test_lander_tracker.py
    checks the bound.
    """
    n = _cross(u1, u2)
    nn = n[0] * n[0] + n[1] * n[1] + n[2] * n[2]
    a = u1[0] * u1[0] + u1[1] * u1[1] + u1[2] * u1[2]
    c = u2[0] * u2[0] + u2[1] * u2[1] + u2[2] * u2[2]
    if not nn > MIN_SIN_GAMMA * MIN_SIN_GAMMA * a * c:
        return None
    w = (p2[0] - p1[0], p2[1] - p1[1], p2[2] - p1[2])
    wu2, wu1 = _cross(w, u2), _cross(w, u1)
    s = (wu2[0] * n[0] + wu2[1] * n[1] + wu2[2] * n[2]) / nn
    t = (wu1[0] * n[0] + wu1[1] * n[1] + wu1[2] * n[2]) / nn
    if s <= 0.0 or t <= 0.0:
        return None
    return tuple(0.5 * (p1[k] + s * u1[k] + p2[k] + t * u2[k]) for k in range(3))


class RoverTracker(Component):
    MODES = TRACKER_MODES
    CHANNELS = (Channel("rover_x_m", float, "m"), Channel("rover_y_m", float, "m"),
                Channel("range_m", float, "m"), Channel("fixes_sent", int, ""), Channel("device_faults", int, ""))
    EVENTS = (EventDef("ROVER_ACQUIRED", Severity.ACTIVITY_LO, "rover in view at {range_m} m", range_m=float),
              EventDef("ROVER_LOST", Severity.ACTIVITY_LO, "rover out of view"),
              EventDef("DEVICE_FAULT", Severity.WARNING_HI, "{device}: {error}", device=str, error=str))
    PARAMS = (Param("los_sigma_rad", float, 0.0, 0.1, default=5e-4, doc="camera line-of-sight noise"),
              Param("fix_period_cycles", int, 1, 10_000, default=5),
              Param("min_move_m", float, 0.0, 10.0, default=0.05, doc="no new fix for a rover that has not moved"),
              Param("max_range_m", float, 1.0, 100.0, default=15.0,
                    doc="stereo depth error grows with range squared: 5 cm (1 sigma) at 15 m"),
              Param("max_sigma_m", float, 0.001, 5.0, default=0.1, doc="worse fixes are not sent"),
              Param("lose_after_cycles", int, 1, 10_000, default=5, doc="misses in a row before ROVER_LOST"))

    def __init__(self, name: str = "tracker", *, cameras: Sequence = (), camera_xyz_m: Sequence = (),
                 handoff: HandoffEndpoint | None = None) -> None:
        super().__init__(name)
        self.cameras = list(cameras)
        self.camera_xyz = [tuple(float(c) for c in p) for p in camera_xyz_m]
        self.handoff = handoff
        self.last_fix: tuple[float, float] | None = None
        self.cycles = 0
        self.misses = 0

    def _read(self, cam):
        try:
            return cam.read()
        except DeviceFault as exc:
            self.tlm["device_faults"] += 1
            self.emit("DEVICE_FAULT", device=cam.name, error=str(exc))
            return None

    def measure(self) -> tuple[tuple[float, float, float], float] | None:
        """The rover's target position and the fix's 1-sigma horizontal error, or None."""
        if len(self.cameras) < 2 or len(self.camera_xyz) < 2:
            return None
        r1, r2 = self._read(self.cameras[0]), self._read(self.cameras[1])
        if r1 is None or r2 is None or not (r1.detected and r2.detected):
            return None
        p1, p2 = self.camera_xyz[0], self.camera_xyz[1]
        xyz = triangulate(p1, r1.los_unit, p2, r2.los_unit)
        if xyz is None:
            return None
        rng = math.dist(xyz, p1)
        if rng > self.params["max_range_m"]:
            return None
        u1, u2 = r1.los_unit, r2.los_unit
        sin_gamma = math.sqrt(sum(c * c for c in _cross(u1, u2)))
        sigma = self.params["los_sigma_rad"] * rng * max(1.0, math.sqrt(2.0) / max(sin_gamma, 1e-9))
        if sigma > self.params["max_sigma_m"]:
            return None
        return xyz, sigma

    def step(self, t_ns: int) -> None:
        self.cycles += 1
        m = self.measure()
        if m is None:
            self.misses += 1
            if self.mode == "TRACKING" and self.misses >= self.params["lose_after_cycles"] and self.trigger("lose"):
                self.emit("ROVER_LOST")
            return
        self.misses = 0
        (x, y, _), sigma = m
        rng = math.dist((x, y), self.camera_xyz[0][:2])
        if self.mode == "IDLE" and self.trigger("acquire"):
            self.emit("ROVER_ACQUIRED", range_m=round(rng, 2))
            self.cycles = self.params["fix_period_cycles"]
        self.tlm["rover_x_m"], self.tlm["rover_y_m"], self.tlm["range_m"] = x, y, rng
        moved = self.last_fix is None or math.dist((x, y), self.last_fix) >= self.params["min_move_m"]
        if self.cycles >= self.params["fix_period_cycles"] and moved and self.handoff is not None:
            self.handoff.send("FIX", 0, (x, y, 0.0), sigma)
            self.last_fix = (x, y)
            self.tlm["fixes_sent"] += 1
            self.cycles = 0

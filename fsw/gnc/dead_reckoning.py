"""Rover dead reckoning: position from wheel odometry increments along the measured heading.

Heading comes from whichever source the rover trusts (IMU yaw integration, a sun-sensor fix,
or the wheels); distance from the odometer. The midpoint heading of each step is used, so a
constant-curvature arc is followed exactly. Position fixes (e.g. from localisation against
the lander or a map) reset the estimate.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


def wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


@dataclass
class DeadReckoning:
    x: float = 0.0
    y: float = 0.0
    heading: float = 0.0
    distance_m: float = 0.0
    _odo: float | None = None

    def update(self, odometer_m: float, heading_rad: float) -> None:
        """Advance by the odometer increment since the last call (the first call only latches)."""
        if self._odo is None or not math.isfinite(odometer_m) or not math.isfinite(heading_rad):
            if math.isfinite(odometer_m):
                self._odo = odometer_m
            if math.isfinite(heading_rad):
                self.heading = wrap(heading_rad)
            return
        ds = odometer_m - self._odo
        self._odo = odometer_m
        mid = self.heading + 0.5 * wrap(heading_rad - self.heading)
        self.x += ds * math.cos(mid)
        self.y += ds * math.sin(mid)
        self.heading = wrap(heading_rad)
        self.distance_m += abs(ds)

    def fix(self, x: float, y: float, heading: float | None = None) -> None:
        self.x, self.y = x, y
        if heading is not None:
            self.heading = wrap(heading)


@dataclass
class PositionBound:
    """A bound on the dead-reckoning position error: set by a fix, grown per metre driven.

    The rover plans on hazards inflated by this bound, so its true path stays clear of them
    as long as the real error is inside it. The growth rate covers heading error and the slip
    the odometer cannot see (a flight parameter, checked against the simulator's truth).
    """

    bound_m: float = 0.1
    growth_per_m: float = 0.03
    since_fix_m: float = 0.0

    def drive(self, ds_m: float) -> None:
        d = abs(ds_m)
        if math.isfinite(d):
            self.bound_m += self.growth_per_m * d
            self.since_fix_m += d

    def fix(self, bound_m: float) -> None:
        self.bound_m = max(0.0, float(bound_m))
        self.since_fix_m = 0.0

    def predicted(self, distance_m: float) -> float:
        """The bound after driving `distance_m` more without a fix."""
        return self.bound_m + self.growth_per_m * max(0.0, distance_m)


def associate_landmark(seen_xy: tuple[float, float], landmarks: dict[int, tuple[float, float]],
                       gate_m: float) -> int | None:
    """The landmark a sighting belongs to, or None when it is not unambiguous.

    The nearest known landmark must lie within `gate_m` of where the sighting puts it, and
    every other landmark more than twice the gate away (so a sighting can never be taken
    for the wrong tube while the position error is inside the gate). Ties go to the lower id.
    """
    ranked = sorted((math.dist(seen_xy, xy), k) for k, xy in landmarks.items())
    if not ranked or ranked[0][0] > gate_m:
        return None
    if len(ranked) > 1 and ranked[1][0] <= 2.0 * gate_m:
        return None
    return ranked[0][1]

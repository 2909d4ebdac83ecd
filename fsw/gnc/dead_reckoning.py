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

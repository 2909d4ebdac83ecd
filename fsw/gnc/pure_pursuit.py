"""Pure pursuit path following for the rover's control rate group.

Steer toward the point of the path one lookahead distance ahead: curvature = 2 sin(alpha) / L,
alpha the bearing of that point from the heading, L growing with speed (L = L0 + k v).
Progress along the path only moves forward, so a loop in the path is never short-cut. A
lookahead point behind the rover (|alpha| > 90 deg) would give almost no curvature and the
rover would drive away from it, so it turns as hard as for a point abeam instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from fsw.numerics import hypot2


@dataclass
class PurePursuit:
    path: list[tuple[float, float]]
    lookahead_min_m: float = 1.0
    lookahead_gain_s: float = 10.0      # extra lookahead per m/s of speed
    max_curvature_1pm: float = 2.0
    goal_tolerance_m: float = 0.25
    _seg: int = field(default=0, init=False)
    _last: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.path) < 2:
            self.path = list(self.path) * 2 if self.path else [(0.0, 0.0), (0.0, 0.0)]
        # plain floats (docs/determinism.md): a 2-element `d @ d` went through BLAS, whose
        # kernels differ by CPU in their last bit
        self._pts = [(float(x), float(y)) for x, y in self.path]
        cum = [0.0]
        for (ax, ay), (bx, by) in zip(self._pts, self._pts[1:]):
            cum.append(cum[-1] + hypot2(bx - ax, by - ay))
        self._cum = cum

    def progress(self, x: float, y: float) -> float:
        """Distance along the path to the point closest to (x, y) (never behind the last one)."""
        k, t = self._closest(x, y)
        return self._cum[k] + t * (self._cum[k + 1] - self._cum[k])

    @property
    def goal(self) -> tuple[float, float]:
        return self.path[-1]

    def distance_to_goal(self, x: float, y: float) -> float:
        gx, gy = self.goal
        return hypot2(gx - x, gy - y)

    def done(self, x: float, y: float) -> bool:
        return self.distance_to_goal(x, y) <= self.goal_tolerance_m

    def _closest(self, x: float, y: float) -> tuple[int, float]:
        """Segment index and parameter of the closest point, searching from the current segment on.
        Asked again at the very same floats from the same segment (a control step asks for the
        progress, then for the curvature, at one estimate), it returns its last answer."""
        last = self._last
        if last is not None and last[0] is x and last[1] is y and last[2] == self._seg:
            return last[3]
        got = self._search(x, y)
        self._last = (x, y, self._seg, got)
        return got

    def _search(self, x: float, y: float) -> tuple[int, float]:
        best = (self._seg, 0.0, math.inf)
        p = self._pts
        for k in range(self._seg, len(p) - 1):
            (ax, ay), (bx, by) = p[k], p[k + 1]
            dx, dy = bx - ax, by - ay
            L2 = dx * dx + dy * dy
            t = 0.0 if L2 == 0.0 else min(max(((x - ax) * dx + (y - ay) * dy) / L2, 0.0), 1.0)
            dist = hypot2(ax + t * dx - x, ay + t * dy - y)
            if dist < best[2] - 1e-9:
                best = (k, t, dist)
        return best[0], best[1]

    def lookahead_point(self, x: float, y: float, lookahead: float) -> tuple[float, float]:
        k, t = self._closest(x, y)
        self._seg = k
        p = self._pts
        px, py = p[k][0] + t * (p[k + 1][0] - p[k][0]), p[k][1] + t * (p[k + 1][1] - p[k][1])
        remaining = lookahead
        while k < len(p) - 1:
            ex, ey = p[k + 1]
            L = hypot2(ex - px, ey - py)
            if L >= remaining:
                f = remaining / L
                return px + (ex - px) * f, py + (ey - py) * f
            remaining -= L
            px, py = ex, ey
            k += 1
        return p[-1]

    def curvature(self, x: float, y: float, heading: float, speed: float) -> float:
        L = self.lookahead_min_m + self.lookahead_gain_s * abs(speed)
        tx, ty = self.lookahead_point(x, y, L)
        alpha = math.atan2(ty - y, tx - x) - heading
        alpha = (alpha + math.pi) % (2 * math.pi) - math.pi
        dist = max(hypot2(tx - x, ty - y), 1e-6)
        if abs(alpha) > 0.5 * math.pi:
            alpha = math.copysign(0.5 * math.pi, alpha)   # behind: turn towards it, do not run away
        kappa = 2.0 * math.sin(alpha) / dist   # dist == L except near the end of the path
        return max(-self.max_curvature_1pm, min(self.max_curvature_1pm, kappa))

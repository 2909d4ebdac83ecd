"""Glideslope approach (Hablani, Tapper and Dana-Bashian, JGCD 2002) with N CW pulses.

The chaser closes along a straight line from rho0 to rhoT with a range rate that falls in
proportion to the range, rhodot = a rho + rhodotT (a = (rhodot0 - rhodotT) / rho0 < 0 when
closing), so it arrives slowly however far it starts. N waypoints on the line at equal time
steps follow from the closed form; each hop between waypoints is a CW two-impulse transfer,
so the impulse at a waypoint is the next departure minus the last arrival.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

from fsw.gnc.cw_targeting import cw_stm
from fsw.numerics import fixed_sum, matvec, norm, scale, solve, sub, vadd


@dataclass(frozen=True)
class Glideslope:
    times_s: tuple[float, ...]                        # waypoint times from the start
    waypoints: tuple[tuple[float, float, float], ...]  # Hill-frame positions, m
    pulses: tuple[tuple[float, float, float], ...]     # impulse at each waypoint (last = stop)

    @property
    def total_dv(self) -> float:
        return fixed_sum(norm(p) for p in self.pulses)

    @property
    def duration_s(self) -> float:
        return self.times_s[-1]


def glideslope(start: Sequence[float], end: Sequence[float], rate0: float, rate_end: float,
               n_pulses: int, n: float, start_velocity: Sequence[float] = (0.0, 0.0, 0.0)
               ) -> Glideslope:
    """Plan a glideslope from position `start` to `end` (Hill frame, m); `rate0` and
    `rate_end` are the range rates (negative: closing) at the start and at the end."""
    p0 = [float(c) for c in start]
    pt = [float(c) for c in end]
    line = sub(p0, pt)
    rho0 = norm(line)
    if rho0 <= 0.0 or n_pulses < 1:
        raise ValueError("glideslope needs a distinct start and at least one pulse")
    if not (rate0 < rate_end <= 0.0):
        raise ValueError("rates must close and slow down: rate0 < rate_end <= 0")
    u = [c / rho0 for c in line]
    a = (rate0 - rate_end) / rho0
    duration = math.log(rate_end / rate0) / a if rate_end < 0.0 else math.inf
    if not math.isfinite(duration):
        raise ValueError("rate_end = 0 never arrives; use a small negative rate")
    dt = duration / n_pulses
    times = [k * dt for k in range(n_pulses + 1)]
    rhos = [rho0 * math.exp(a * t) + (rate_end / a) * (math.exp(a * t) - 1.0) for t in times]
    rhos[-1] = 0.0
    pts = [vadd(pt, scale(r, u)) for r in rhos]
    phi = cw_stm(n, dt)
    prr, prv, pvr, pvv = phi[:3, :3], phi[:3, 3:], phi[3:, :3], phi[3:, 3:]
    pulses = []
    v_arr = [float(c) for c in start_velocity]
    for k in range(n_pulses):
        v_dep = solve(prv, sub(pts[k + 1], matvec(prr, pts[k])))
        pulses.append(sub(v_dep, v_arr))
        v_arr = vadd(matvec(pvr, pts[k]), matvec(pvv, v_dep))
    pulses.append([-c for c in v_arr])  # stop at the end point (a hold point, or the capture)
    return Glideslope(tuple(times), tuple(tuple(float(c) for c in p) for p in pts),
                      tuple(tuple(float(c) for c in p) for p in pulses))


__all__ = ["Glideslope", "glideslope"]

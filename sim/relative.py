"""Relative motion of two spacecraft: Clohessy-Wiltshire closed form and the LVLH (Hill) frame.

Hill frame of the chief (MSR_FACTS.md convention): x radial (out), y along-track, z cross-track
(along the orbit angular momentum). The CW solution is the linearised reference; the
nonlinear truth is both spacecraft propagated in inertial space (`sim.orbit`) and differenced
with `inertial_to_lvlh`.
"""
from __future__ import annotations

import math
from typing import Sequence

from sim.orbit import State, _cross, _dot, _norm


def cw_state(rel0: Sequence[float], n: float, t: float) -> State:
    """CW closed-form relative state (x, y, z, vx, vy, vz) after t seconds, mean motion n."""
    x0, y0, z0, vx0, vy0, vz0 = rel0
    s, c = math.sin(n * t), math.cos(n * t)
    nt = n * t
    x = (4.0 - 3.0 * c) * x0 + (s / n) * vx0 + (2.0 / n) * (1.0 - c) * vy0
    y = 6.0 * (s - nt) * x0 + y0 + (2.0 / n) * (c - 1.0) * vx0 + ((4.0 * s - 3.0 * nt) / n) * vy0
    z = c * z0 + (s / n) * vz0
    vx = 3.0 * n * s * x0 + c * vx0 + 2.0 * s * vy0
    vy = 6.0 * n * (c - 1.0) * x0 - 2.0 * s * vx0 + (4.0 * c - 3.0) * vy0
    vz = -n * s * z0 + c * vz0
    return x, y, z, vx, vy, vz


def _hill_axes(chief: Sequence[float]):
    r, v = chief[:3], chief[3:6]
    rn = _norm(r)
    h = _cross(r, v)
    hn = _norm(h)
    xh = tuple(c / rn for c in r)
    zh = tuple(c / hn for c in h)
    yh = _cross(zh, xh)
    omega = hn / (rn * rn)  # frame rate about z (exact for the osculating chief orbit)
    return xh, yh, zh, omega


def inertial_to_lvlh(chief: Sequence[float], deputy: Sequence[float]) -> State:
    """Deputy state relative to the chief, in the chief's rotating Hill frame."""
    xh, yh, zh, w = _hill_axes(chief)
    dr = tuple(deputy[i] - chief[i] for i in range(3))
    dv = tuple(deputy[3 + i] - chief[3 + i] for i in range(3))
    # Velocity seen in the rotating frame: dv - omega x dr, omega = w * zh.
    wxr = _cross(tuple(w * c for c in zh), dr)
    dvr = tuple(dv[i] - wxr[i] for i in range(3))
    return (_dot(dr, xh), _dot(dr, yh), _dot(dr, zh), _dot(dvr, xh), _dot(dvr, yh), _dot(dvr, zh))


def lvlh_to_inertial(chief: Sequence[float], rel: Sequence[float]) -> State:
    """Inertial deputy state from a Hill-frame relative state (inverse of `inertial_to_lvlh`)."""
    xh, yh, zh, w = _hill_axes(chief)
    dr = tuple(rel[0] * xh[i] + rel[1] * yh[i] + rel[2] * zh[i] for i in range(3))
    dvr = tuple(rel[3] * xh[i] + rel[4] * yh[i] + rel[5] * zh[i] for i in range(3))
    wxr = _cross(tuple(w * c for c in zh), dr)
    return tuple(chief[i] + dr[i] for i in range(3)) + tuple(chief[3 + i] + dvr[i] + wxr[i] for i in range(3))


def lvlh_vector_to_inertial(chief: Sequence[float], vec: Sequence[float]) -> tuple[float, float, float]:
    """Rotate a free vector (a force, a direction) from the chief's Hill frame to inertial."""
    xh, yh, zh, _ = _hill_axes(chief)
    return tuple(vec[0] * xh[i] + vec[1] * yh[i] + vec[2] * zh[i] for i in range(3))

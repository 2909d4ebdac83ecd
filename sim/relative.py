"""Relative motion of two spacecraft: Clohessy-Wiltshire closed form and the LVLH (Hill) frame.

Hill frame of the chief (MSR_FACTS.md convention): x radial (out), y along-track, z cross-track
(along the orbit angular momentum). The CW solution is the linearised reference; the
nonlinear truth is both spacecraft propagated in inertial space (`sim.orbit`) and differenced
with `inertial_to_lvlh`.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from sim.orbit import State, _cross


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
    """(x, y, z unit axes, frame rate) of the chief's Hill frame, in plain floats (called for
    every truth sample and physics step, so written out; the operations and their order are
    those of `_norm`, `_cross` and `_dot`)."""
    r0, r1, r2, v0, v1, v2 = chief[0], chief[1], chief[2], chief[3], chief[4], chief[5]
    rn = math.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
    h0, h1, h2 = r1 * v2 - r2 * v1, r2 * v0 - r0 * v2, r0 * v1 - r1 * v0
    hn = math.sqrt(h0 * h0 + h1 * h1 + h2 * h2)
    x0, x1, x2 = r0 / rn, r1 / rn, r2 / rn
    z0, z1, z2 = h0 / hn, h1 / hn, h2 / hn
    yh = (z1 * x2 - z2 * x1, z2 * x0 - z0 * x2, z0 * x1 - z1 * x0)
    omega = hn / (rn * rn)  # frame rate about z (exact for the osculating chief orbit)
    return (x0, x1, x2), yh, (z0, z1, z2), omega


def inertial_to_lvlh(chief: Sequence[float], deputy: Sequence[float]) -> State:
    """Deputy state relative to the chief, in the chief's rotating Hill frame."""
    (x0, x1, x2), (y0, y1, y2), (z0, z1, z2), w = _hill_axes(chief)
    d0, d1, d2 = deputy[0] - chief[0], deputy[1] - chief[1], deputy[2] - chief[2]
    # Velocity seen in the rotating frame: dv - omega x dr, omega = w * zh.
    w0, w1, w2 = w * z0, w * z1, w * z2
    u0 = deputy[3] - chief[3] - (w1 * d2 - w2 * d1)
    u1 = deputy[4] - chief[4] - (w2 * d0 - w0 * d2)
    u2 = deputy[5] - chief[5] - (w0 * d1 - w1 * d0)
    return (d0 * x0 + d1 * x1 + d2 * x2, d0 * y0 + d1 * y1 + d2 * y2, d0 * z0 + d1 * z1 + d2 * z2,
            u0 * x0 + u1 * x1 + u2 * x2, u0 * y0 + u1 * y1 + u2 * y2, u0 * z0 + u1 * z1 + u2 * z2)


def inertial_to_lvlh_arrays(chief: Sequence[np.ndarray], deputy: Sequence[np.ndarray]) -> tuple[np.ndarray, ...]:
    """`inertial_to_lvlh` over many samples at once: chief and deputy are six arrays each
    (x, y, z, vx, vy, vz). numpy's elementwise + - * / and sqrt in the scalar version's
    order, so every element has the very bits the scalar function gives (for truth series
    derived after a run)."""
    r0, r1, r2, v0, v1, v2 = (np.asarray(c, dtype=np.float64) for c in chief)
    rn = np.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
    h0, h1, h2 = r1 * v2 - r2 * v1, r2 * v0 - r0 * v2, r0 * v1 - r1 * v0
    hn = np.sqrt(h0 * h0 + h1 * h1 + h2 * h2)
    x0, x1, x2 = r0 / rn, r1 / rn, r2 / rn
    z0, z1, z2 = h0 / hn, h1 / hn, h2 / hn
    y0, y1, y2 = z1 * x2 - z2 * x1, z2 * x0 - z0 * x2, z0 * x1 - z1 * x0
    w = hn / (rn * rn)
    d = [np.asarray(c, dtype=np.float64) for c in deputy]
    d0, d1, d2 = d[0] - r0, d[1] - r1, d[2] - r2
    w0, w1, w2 = w * z0, w * z1, w * z2
    u0 = d[3] - v0 - (w1 * d2 - w2 * d1)
    u1 = d[4] - v1 - (w2 * d0 - w0 * d2)
    u2 = d[5] - v2 - (w0 * d1 - w1 * d0)
    return (d0 * x0 + d1 * x1 + d2 * x2, d0 * y0 + d1 * y1 + d2 * y2, d0 * z0 + d1 * z1 + d2 * z2,
            u0 * x0 + u1 * x1 + u2 * x2, u0 * y0 + u1 * y1 + u2 * y2, u0 * z0 + u1 * z1 + u2 * z2)


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

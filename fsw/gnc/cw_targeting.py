"""Clohessy-Wiltshire relative motion and two-impulse targeting (MSR_FACTS.md convention).

Hill frame of the target (the OS): x radial out, y along-track, z cross-track; the state is
the chaser's position and velocity relative to the target, mean motion n of the target orbit.
The closed form is linear, so targeting is a 3x3 solve: the first impulse puts the chaser on
the arc that reaches the aim point after the transfer time, the second cancels the arrival
velocity (or sets a wanted one). Products and the solve are fsw.numerics' fixed-order
routines, not BLAS/LAPACK (docs/determinism.md).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from fsw.numerics import SingularMatrixError, det, matvec, norm, solve, sub, vadd

State = tuple[float, float, float, float, float, float]


def cw_stm(n: float, t: float) -> np.ndarray:
    """6x6 state transition matrix of the CW equations over `t` seconds."""
    s, c = math.sin(n * t), math.cos(n * t)
    nt = n * t
    return np.array([
        [4 - 3 * c, 0, 0, s / n, 2 * (1 - c) / n, 0],
        [6 * (s - nt), 1, 0, 2 * (c - 1) / n, (4 * s - 3 * nt) / n, 0],
        [0, 0, c, 0, 0, s / n],
        [3 * n * s, 0, 0, c, 2 * s, 0],
        [6 * n * (c - 1), 0, 0, -2 * s, 4 * c - 3, 0],
        [0, 0, -n * s, 0, 0, c],
    ])


def cw_propagate(state: Sequence[float], n: float, t: float) -> State:
    return tuple(matvec(cw_stm(n, t), [float(v) for v in state]))


@dataclass(frozen=True)
class TwoImpulse:
    dv1: tuple[float, float, float]   # at departure, m/s (Hill frame)
    dv2: tuple[float, float, float]   # at arrival, m/s
    transfer_s: float

    @property
    def total(self) -> float:
        return norm(self.dv1) + norm(self.dv2)


class TargetingError(ValueError):
    """The transfer cannot be solved (a transfer time at a CW singularity, e.g. n t = 2 pi)."""


def two_impulse(state: Sequence[float], aim: Sequence[float], n: float, transfer_s: float,
                arrive_velocity: Sequence[float] = (0.0, 0.0, 0.0)) -> TwoImpulse:
    """Impulses that move the chaser from `state` to position `aim` in `transfer_s` seconds
    and leave it with `arrive_velocity` there."""
    if transfer_s <= 0.0:
        raise TargetingError("transfer time must be positive")
    phi = cw_stm(n, transfer_s)
    r0 = [float(c) for c in state[:3]]
    v0 = [float(c) for c in state[3:6]]
    prv = phi[:3, 3:]
    if abs(det(prv)) < 1e-9 * (transfer_s ** 3):
        raise TargetingError(f"singular transfer of {transfer_s} s (n t = {n * transfer_s:.3f})")
    try:
        v_dep = solve(prv, sub([float(c) for c in aim], matvec(phi[:3, :3], r0)))
    except SingularMatrixError:
        raise TargetingError(f"singular transfer of {transfer_s} s (n t = {n * transfer_s:.3f})") from None
    v_arr = vadd(matvec(phi[3:, :3], r0), matvec(phi[3:, 3:], v_dep))
    dv1 = sub(v_dep, v0)
    dv2 = sub([float(c) for c in arrive_velocity], v_arr)
    return TwoImpulse(tuple(dv1), tuple(dv2), float(transfer_s))


__all__ = ["cw_stm", "cw_propagate", "two_impulse", "TwoImpulse", "TargetingError"]

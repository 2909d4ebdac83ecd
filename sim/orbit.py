"""Orbit dynamics: fixed-step RK4 two-body (+J2), Kepler's equation and analytic propagation.

The RK4 loops are written out with plain Python floats: a 6-state orbit is far too small for
numpy (each array operation costs about a microsecond of call overhead, an RK4 step needs
dozens). `propagate_batch` is the numpy path, which wins when many orbits (a Monte Carlo)
are stepped together. The analytic Kepler propagation exists to validate the integrators.
States are 6-tuples (x, y, z, vx, vy, vz) in an inertial frame, SI units.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from sim.mars import MARS, MarsParams

if TYPE_CHECKING:   # numpy only for the batch propagator: the MAV's flight side never loads it
    import numpy as np

State = tuple[float, float, float, float, float, float]


class KeplerError(ValueError):
    """Raised for orbits the elliptic Kepler routines cannot handle (e >= 1, bad input)."""


def propagate_two_body(state: Sequence[float], dt: float, n_steps: int, gm: float,
                       accel: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> State:
    """Classic RK4, point-mass gravity plus an optional constant extra acceleration.

    The derivative is inlined: this loop is the one `bench/propagation.py` times.
    """
    x, y, z, vx, vy, vz = (float(s) for s in state)
    ax0, ay0, az0 = accel
    h = float(dt)
    h2 = 0.5 * h
    h6 = h / 6.0
    sqrt = math.sqrt
    for _ in range(n_steps):
        r2 = x * x + y * y + z * z
        k = -gm / (r2 * sqrt(r2))
        a1x = k * x + ax0; a1y = k * y + ay0; a1z = k * z + az0
        x2 = x + h2 * vx; y2 = y + h2 * vy; z2 = z + h2 * vz
        vx2 = vx + h2 * a1x; vy2 = vy + h2 * a1y; vz2 = vz + h2 * a1z
        r2 = x2 * x2 + y2 * y2 + z2 * z2
        k = -gm / (r2 * sqrt(r2))
        a2x = k * x2 + ax0; a2y = k * y2 + ay0; a2z = k * z2 + az0
        x3 = x + h2 * vx2; y3 = y + h2 * vy2; z3 = z + h2 * vz2
        vx3 = vx + h2 * a2x; vy3 = vy + h2 * a2y; vz3 = vz + h2 * a2z
        r2 = x3 * x3 + y3 * y3 + z3 * z3
        k = -gm / (r2 * sqrt(r2))
        a3x = k * x3 + ax0; a3y = k * y3 + ay0; a3z = k * z3 + az0
        x4 = x + h * vx3; y4 = y + h * vy3; z4 = z + h * vz3
        vx4 = vx + h * a3x; vy4 = vy + h * a3y; vz4 = vz + h * a3z
        r2 = x4 * x4 + y4 * y4 + z4 * z4
        k = -gm / (r2 * sqrt(r2))
        a4x = k * x4 + ax0; a4y = k * y4 + ay0; a4z = k * z4 + az0
        x += h6 * (vx + 2.0 * (vx2 + vx3) + vx4)
        y += h6 * (vy + 2.0 * (vy2 + vy3) + vy4)
        z += h6 * (vz + 2.0 * (vz2 + vz3) + vz4)
        vx += h6 * (a1x + 2.0 * (a2x + a3x) + a4x)
        vy += h6 * (a1y + 2.0 * (a2y + a3y) + a4y)
        vz += h6 * (a1z + 2.0 * (a2z + a3z) + a4z)
    return x, y, z, vx, vy, vz


def propagate_j2(state: Sequence[float], dt: float, n_steps: int, mars: MarsParams = MARS,
                 accel: tuple[float, float, float] = (0.0, 0.0, 0.0)) -> State:
    """RK4 with point mass + J2 gravity (spin axis z) and an optional constant extra acceleration.

    The gravity evaluation is written out four times per step rather than called (this loop
    runs for every physics step of the rendezvous plant); each is, in this order,
    r2 = x x + y y + z z; k = -gm / (r2 sqrt(r2)); f = c15 / r2; zz = 5 z z / r2;
    kxy = k (1 + f (1 - zz)); a = (kxy x + ax0, kxy y + ay0, k (1 + f (3 - zz)) z + az0)."""
    gm, j2, re = mars.gm_m3ps2, mars.j2, mars.radius_eq_m
    c15 = 1.5 * j2 * re * re
    ax0, ay0, az0 = accel
    sqrt = math.sqrt
    x, y, z, vx, vy, vz = map(float, state)
    h = float(dt)
    h2 = 0.5 * h
    h6 = h / 6.0
    for _ in range(n_steps):
        r2 = x * x + y * y + z * z
        k = -gm / (r2 * sqrt(r2)); f = c15 / r2; zz = 5.0 * z * z / r2
        kxy = k * (1.0 + f * (1.0 - zz))
        a1x = kxy * x + ax0; a1y = kxy * y + ay0; a1z = k * (1.0 + f * (3.0 - zz)) * z + az0
        vx2 = vx + h2 * a1x; vy2 = vy + h2 * a1y; vz2 = vz + h2 * a1z
        px = x + h2 * vx; py = y + h2 * vy; pz = z + h2 * vz
        r2 = px * px + py * py + pz * pz
        k = -gm / (r2 * sqrt(r2)); f = c15 / r2; zz = 5.0 * pz * pz / r2
        kxy = k * (1.0 + f * (1.0 - zz))
        a2x = kxy * px + ax0; a2y = kxy * py + ay0; a2z = k * (1.0 + f * (3.0 - zz)) * pz + az0
        vx3 = vx + h2 * a2x; vy3 = vy + h2 * a2y; vz3 = vz + h2 * a2z
        px = x + h2 * vx2; py = y + h2 * vy2; pz = z + h2 * vz2
        r2 = px * px + py * py + pz * pz
        k = -gm / (r2 * sqrt(r2)); f = c15 / r2; zz = 5.0 * pz * pz / r2
        kxy = k * (1.0 + f * (1.0 - zz))
        a3x = kxy * px + ax0; a3y = kxy * py + ay0; a3z = k * (1.0 + f * (3.0 - zz)) * pz + az0
        vx4 = vx + h * a3x; vy4 = vy + h * a3y; vz4 = vz + h * a3z
        px = x + h * vx3; py = y + h * vy3; pz = z + h * vz3
        r2 = px * px + py * py + pz * pz
        k = -gm / (r2 * sqrt(r2)); f = c15 / r2; zz = 5.0 * pz * pz / r2
        kxy = k * (1.0 + f * (1.0 - zz))
        a4x = kxy * px + ax0; a4y = kxy * py + ay0; a4z = k * (1.0 + f * (3.0 - zz)) * pz + az0
        x += h6 * (vx + 2.0 * (vx2 + vx3) + vx4)
        y += h6 * (vy + 2.0 * (vy2 + vy3) + vy4)
        z += h6 * (vz + 2.0 * (vz2 + vz3) + vz4)
        vx += h6 * (a1x + 2.0 * (a2x + a3x) + a4x)
        vy += h6 * (a1y + 2.0 * (a2y + a3y) + a4y)
        vz += h6 * (a1z + 2.0 * (a2z + a3z) + a4z)
    return x, y, z, vx, vy, vz


def propagate_batch(states: np.ndarray, dt: float, n_steps: int, mars: MarsParams = MARS,
                    with_j2: bool = False) -> np.ndarray:
    """Vectorised RK4 for an (N, 6) array of orbits (Monte Carlo); returns a new array.

    Off the deterministic stream (benchmarks, validation): its einsum may sum in another
    order on another CPU. Scenario code uses the scalar loops above (docs/determinism.md)."""
    import numpy as np
    s = np.array(states, dtype=np.float64, copy=True)
    if s.ndim != 2 or s.shape[1] != 6:
        raise ValueError(f"states must have shape (N, 6), got {s.shape}")
    gm, j2, re = mars.gm_m3ps2, mars.j2, mars.radius_eq_m

    def deriv(u: np.ndarray) -> np.ndarray:
        r = u[:, :3]
        r2 = np.einsum("ij,ij->i", r, r)
        k = -gm / (r2 * np.sqrt(r2))
        a = r * k[:, None]
        if with_j2:
            f = 1.5 * j2 * re * re / r2
            zz = 5.0 * r[:, 2] ** 2 / r2
            a[:, 0:2] *= (1.0 + f * (1.0 - zz))[:, None]
            a[:, 2] *= 1.0 + f * (3.0 - zz)
        return np.concatenate((u[:, 3:], a), axis=1)

    h = float(dt)
    for _ in range(n_steps):
        k1 = deriv(s)
        k2 = deriv(s + 0.5 * h * k1)
        k3 = deriv(s + 0.5 * h * k2)
        k4 = deriv(s + h * k3)
        s += (h / 6.0) * (k1 + 2.0 * (k2 + k3) + k4)
    return s


# --- Kepler's equation and analytic two-body motion ------------------------------------------

def solve_kepler(mean_anomaly_rad: float, ecc: float, tol: float = 1e-14, max_iter: int = 50) -> float:
    """Eccentric anomaly E from M = E - e sin E (elliptic), Newton's method, E in [0, 2 pi)."""
    if not (0.0 <= ecc < 1.0) or not math.isfinite(mean_anomaly_rad):
        raise KeplerError(f"elliptic Kepler equation needs 0 <= e < 1 and finite M, got e={ecc}, M={mean_anomaly_rad}")
    m = math.fmod(mean_anomaly_rad, 2.0 * math.pi)
    if m < 0.0:
        m += 2.0 * math.pi
    e_anom = m + ecc * math.sin(m) if ecc < 0.8 else math.pi
    for _ in range(max_iter):
        step = (e_anom - ecc * math.sin(e_anom) - m) / (1.0 - ecc * math.cos(e_anom))
        e_anom -= step
        if abs(step) < tol:
            break
    return e_anom


@dataclass(frozen=True)
class Elements:
    """Classical orbit elements (m, rad). Angles undefined for circular/equatorial orbits are 0."""

    sma_m: float
    ecc: float
    inc_rad: float
    raan_rad: float
    argp_rad: float
    true_anomaly_rad: float

    @property
    def periapsis_radius_m(self) -> float:
        return self.sma_m * (1.0 - self.ecc)

    @property
    def apoapsis_radius_m(self) -> float:
        return self.sma_m * (1.0 + self.ecc)


def _cross(a: Sequence[float], b: Sequence[float]) -> tuple[float, float, float]:
    return a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _norm(a: Sequence[float]) -> float:
    return math.sqrt(_dot(a, a))


def state_to_elements(state: Sequence[float], gm: float = MARS.gm_m3ps2) -> Elements:
    """Classical elements of an inertial state (any conic; sma is negative for hyperbolae)."""
    r, v = state[:3], state[3:6]
    rn, v2 = _norm(r), _dot(v, v)
    h = _cross(r, v)
    hn = _norm(h)
    if rn == 0.0 or hn == 0.0:
        raise KeplerError("degenerate state (zero radius or rectilinear motion)")
    rv = _dot(r, v)
    evec = tuple(((v2 - gm / rn) * r[i] - rv * v[i]) / gm for i in range(3))
    ecc = _norm(evec)
    energy = 0.5 * v2 - gm / rn
    sma = -gm / (2.0 * energy) if energy != 0.0 else math.inf
    inc = math.acos(max(-1.0, min(1.0, h[2] / hn)))
    node = (-h[1], h[0], 0.0)
    nn = _norm(node)
    raan = math.atan2(node[1], node[0]) % (2 * math.pi) if nn > 1e-12 * hn else 0.0
    # Reference direction for the in-plane angles: the node, or x for equatorial orbits.
    p_hat = tuple(c / nn for c in node) if nn > 1e-12 * hn else (1.0, 0.0, 0.0)
    q_hat = _cross(tuple(c / hn for c in h), p_hat)
    if ecc > 1e-11:
        argp = math.atan2(_dot(evec, q_hat), _dot(evec, p_hat)) % (2 * math.pi)
        e_hat = tuple(c / ecc for c in evec)
        nu = math.atan2(_dot(_cross(e_hat, r), h) / hn, _dot(e_hat, r)) % (2 * math.pi)
    else:
        argp = 0.0
        nu = math.atan2(_dot(r, q_hat), _dot(r, p_hat)) % (2 * math.pi)
    return Elements(sma, ecc, inc, raan, argp, nu)


def elements_to_state(el: Elements, gm: float = MARS.gm_m3ps2) -> State:
    """Inertial state of classical elements (elliptic or circular)."""
    p = el.sma_m * (1.0 - el.ecc * el.ecc)
    cnu, snu = math.cos(el.true_anomaly_rad), math.sin(el.true_anomaly_rad)
    rpf = p / (1.0 + el.ecc * cnu)
    rp = (rpf * cnu, rpf * snu)
    k = math.sqrt(gm / p)
    vp = (-k * snu, k * (el.ecc + cnu))
    cO, sO = math.cos(el.raan_rad), math.sin(el.raan_rad)
    co, so = math.cos(el.argp_rad), math.sin(el.argp_rad)
    ci, si = math.cos(el.inc_rad), math.sin(el.inc_rad)
    p_vec = (cO * co - sO * so * ci, sO * co + cO * so * ci, so * si)
    q_vec = (-cO * so - sO * co * ci, -sO * so + cO * co * ci, co * si)
    r = tuple(rp[0] * p_vec[i] + rp[1] * q_vec[i] for i in range(3))
    v = tuple(vp[0] * p_vec[i] + vp[1] * q_vec[i] for i in range(3))
    return r[0], r[1], r[2], v[0], v[1], v[2]


def propagate_kepler(state: Sequence[float], dt: float, gm: float) -> State:
    """Exact elliptic two-body propagation by Lagrange f and g in the eccentric-anomaly change."""
    r0v, v0v = state[:3], state[3:6]
    r0 = _norm(r0v)
    v2 = _dot(v0v, v0v)
    energy = 0.5 * v2 - gm / r0
    if energy >= 0.0:
        raise KeplerError("analytic propagation here is elliptic only")
    a = -gm / (2.0 * energy)
    n = math.sqrt(gm / a**3)
    ecos = 1.0 - r0 / a
    esin = _dot(r0v, v0v) / math.sqrt(gm * a)
    ecc = math.hypot(ecos, esin)
    e0 = math.atan2(esin, ecos)
    m0 = e0 - esin
    e1 = solve_kepler(m0 + n * dt, ecc) if ecc > 0.0 else (m0 + n * dt)
    de = e1 - e0
    # Unwrap so de matches the mean-anomaly advance (any number of revolutions).
    de += 2.0 * math.pi * round((n * dt - (de - ecc * (math.sin(e1) - math.sin(e0)))) / (2.0 * math.pi))
    cde, sde = math.cos(de), math.sin(de)
    f = 1.0 - a / r0 * (1.0 - cde)
    g = dt - (de - sde) / n
    r = tuple(f * r0v[i] + g * v0v[i] for i in range(3))
    rn = _norm(r)
    fd = -math.sqrt(gm * a) / (rn * r0) * sde
    gd = 1.0 - a / rn * (1.0 - cde)
    v = tuple(fd * r0v[i] + gd * v0v[i] for i in range(3))
    return r[0], r[1], r[2], v[0], v[1], v[2]


def energy_and_momentum(state: Sequence[float], gm: float) -> tuple[float, tuple[float, float, float]]:
    """Specific orbital energy (J/kg) and angular momentum vector (m^2/s), the two-body invariants."""
    r, v = state[:3], state[3:6]
    return 0.5 * _dot(v, v) - gm / _norm(r), _cross(r, v)

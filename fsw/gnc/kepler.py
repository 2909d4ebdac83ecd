"""Onboard two-body orbit tools: apsides, inclination, Kepler propagation, target planes.

Flight guidance needs a cheap, exact-enough model of the coasting orbit; it never imports the
simulator. Everything works on plain 3-tuples of floats (a numpy call per 3-vector costs more
than the arithmetic) and takes GM as an argument, so the onboard constants are parameters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

Vec = tuple[float, float, float]


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a: Sequence[float], b: Sequence[float]) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a: Sequence[float]) -> float:
    return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])


def unit(a: Sequence[float]) -> Vec:
    n = norm(a)
    if n == 0.0:
        raise ValueError("zero vector has no direction")
    return (a[0] / n, a[1] / n, a[2] / n)


def add_scaled(a: Sequence[float], k: float, b: Sequence[float]) -> Vec:
    return (a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2])


@dataclass(frozen=True)
class Apsides:
    """Shape of an osculating orbit: apsis radii (m), inclination (rad), energy, momentum."""

    periapsis_m: float
    apoapsis_m: float     # inf for an escape orbit
    inclination_rad: float
    energy: float         # specific orbital energy, m^2/s^2
    h: float              # specific angular momentum magnitude, m^2/s
    sma_m: float          # inf for a parabola, negative for a hyperbola


def apsides(r: Sequence[float], v: Sequence[float], gm: float) -> Apsides:
    """Apsis radii and inclination of the osculating orbit through (r, v)."""
    rn = norm(r)
    hv = cross(r, v)
    h = norm(hv)
    energy = 0.5 * dot(v, v) - gm / rn
    ecc = math.sqrt(max(0.0, 1.0 + 2.0 * energy * h * h / (gm * gm)))
    p = h * h / gm
    rp = p / (1.0 + ecc)
    ra = p / (1.0 - ecc) if ecc < 1.0 else math.inf
    sma = -gm / (2.0 * energy) if energy != 0.0 else math.inf
    inc = math.acos(max(-1.0, min(1.0, hv[2] / h))) if h > 0.0 else 0.0
    return Apsides(rp, ra, inc, energy, h, sma)


def _stumpff(z: float) -> tuple[float, float]:
    if z > 1e-6:
        s = math.sqrt(z)
        return (1.0 - math.cos(s)) / z, (s - math.sin(s)) / (s * z)
    if z < -1e-6:
        s = math.sqrt(-z)
        return (math.cosh(s) - 1.0) / (-z), (math.sinh(s) - s) / (s * -z)
    return 0.5 - z / 24.0 + z * z / 720.0, 1.0 / 6.0 - z / 120.0 + z * z / 5040.0


def propagate(r: Sequence[float], v: Sequence[float], dt: float, gm: float,
              tol: float = 1e-10, max_iter: int = 50) -> tuple[Vec, Vec]:
    """Two-body state after `dt` seconds (universal variables, Lagrange f and g)."""
    if dt == 0.0:
        return tuple(r), tuple(v)
    sqmu = math.sqrt(gm)
    r0 = norm(r)
    vr0 = dot(r, v) / r0
    alpha = 2.0 / r0 - dot(v, v) / gm
    chi = sqmu * abs(alpha) * dt if alpha > 1e-12 else sqmu * dt / r0
    for _ in range(max_iter):
        z = alpha * chi * chi
        c, s = _stumpff(z)
        chi2 = chi * chi
        f_val = (r0 * vr0 / sqmu) * chi2 * c + (1.0 - alpha * r0) * chi2 * chi * s + r0 * chi - sqmu * dt
        df = (r0 * vr0 / sqmu) * chi * (1.0 - z * s) + (1.0 - alpha * r0) * chi2 * c + r0
        step = f_val / df
        chi -= step
        if abs(step) < tol * max(1.0, abs(chi)):
            break
    z = alpha * chi * chi
    c, s = _stumpff(z)
    chi2 = chi * chi
    f = 1.0 - chi2 / r0 * c
    g = dt - chi2 * chi / sqmu * s
    rv = (f * r[0] + g * v[0], f * r[1] + g * v[1], f * r[2] + g * v[2])
    rn = norm(rv)
    fdot = sqmu / (rn * r0) * (alpha * chi2 * chi * s - chi)
    gdot = 1.0 - chi2 / rn * c
    vv = (fdot * r[0] + gdot * v[0], fdot * r[1] + gdot * v[1], fdot * r[2] + gdot * v[2])
    return rv, vv


def time_to_apoapsis(r: Sequence[float], v: Sequence[float], gm: float) -> float:
    """Seconds until the next apoapsis of an elliptic orbit (0 if exactly there)."""
    rn = norm(r)
    energy = 0.5 * dot(v, v) - gm / rn
    if energy >= 0.0:
        raise ValueError("no apoapsis on an escape orbit")
    a = -gm / (2.0 * energy)
    ecc_vec = tuple(((dot(v, v) - gm / rn) * r[i] - dot(r, v) * v[i]) / gm for i in range(3))
    e = norm(ecc_vec)
    n = math.sqrt(gm / a ** 3)
    if e < 1e-9:
        return 0.0
    cos_nu = max(-1.0, min(1.0, dot(ecc_vec, r) / (e * rn)))
    nu = math.acos(cos_nu)
    if dot(r, v) < 0.0:
        nu = 2.0 * math.pi - nu
    ecc_anom = 2.0 * math.atan2(math.sqrt(1.0 - e) * math.sin(nu / 2.0), math.sqrt(1.0 + e) * math.cos(nu / 2.0))
    mean = ecc_anom - e * math.sin(ecc_anom)
    return ((math.pi - mean) % (2.0 * math.pi)) / n


def plane_normal(r: Sequence[float], inclination_rad: float, near: Sequence[float]) -> Vec:
    """Unit normal of the orbit plane of inclination `inclination_rad` that contains `r`,
    choosing of the two such planes the one whose normal is closer to `near`.

    The MAV targets an inclination, not a node: the node is set by the launch time. If the
    position's latitude exceeds the inclination, the nearest reachable plane is returned.
    """
    rh = unit(r)
    cz = math.cos(inclination_rad)
    # n = alpha * z_perp + beta * w + cz * k with n . r = 0, |n| = 1, w = r x k direction.
    rxy = math.hypot(rh[0], rh[1])
    if rxy < 1e-12:
        raise ValueError("position over a pole: plane is undefined")
    e_r_xy = (rh[0] / rxy, rh[1] / rxy, 0.0)     # horizontal unit towards r
    e_w = (-e_r_xy[1], e_r_xy[0], 0.0)            # horizontal, perpendicular to r's meridian
    # n = p * e_r_xy + q * e_w + cz * z;  n . rh = p * rxy + cz * rh[2] = 0
    p = -cz * rh[2] / rxy
    q2 = 1.0 - cz * cz - p * p
    q = math.sqrt(q2) if q2 > 0.0 else 0.0
    best = None
    for sgn in (1.0, -1.0):
        n = unit((p * e_r_xy[0] + sgn * q * e_w[0], p * e_r_xy[1] + sgn * q * e_w[1], cz))
        score = dot(n, near)
        if best is None or score > best[0]:
            best = (score, n)
    return best[1]


__all__ = ["Vec", "dot", "cross", "norm", "unit", "add_scaled", "Apsides", "apsides",
           "propagate", "time_to_apoapsis", "plane_normal"]


def gravity_j2(r: Sequence[float], gm: float, j2: float, re: float) -> Vec:
    """Point-mass plus J2 gravity (spin axis z): the onboard model for navigation."""
    x, y, z = r
    r2 = x * x + y * y + z * z
    k = -gm / (r2 * math.sqrt(r2))
    f = 1.5 * j2 * re * re / r2
    zz = 5.0 * z * z / r2
    kxy = k * (1.0 + f * (1.0 - zz))
    return kxy * x, kxy * y, k * (1.0 + f * (3.0 - zz)) * z


__all__ += ["gravity_j2"]

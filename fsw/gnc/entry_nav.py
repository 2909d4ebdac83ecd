"""Entry navigation math (plain floats, fixed operation order): the propagation step, the
velocity-aligned frame the aero forces live in, and the velocimeter's 3x3 solve. The
component that uses them is fsw.vehicles.lander.edl_nav."""
from __future__ import annotations

import math

from .entry_guidance import EntryModel, gravity_rotating
from .kepler import Vec, norm


def propagate(r: Vec, v: Vec, f0: Vec, f1: Vec, dt: float, m: EntryModel) -> tuple[Vec, Vec]:
    """One Heun step in the Mars-fixed frame: gravity (J2), Coriolis and centrifugal terms,
    the specific force going linearly from `f0` to `f1` over the step."""
    (x, y, z), (vx, vy, vz) = r, v
    g0 = gravity_rotating(x, y, z, vx, vy, m)
    a0 = (g0[0] + f0[0], g0[1] + f0[1], g0[2] + f0[2])
    px, py, pz = x + dt * vx, y + dt * vy, z + dt * vz
    pvx, pvy, pvz = vx + dt * a0[0], vy + dt * a0[1], vz + dt * a0[2]
    g1 = gravity_rotating(px, py, pz, pvx, pvy, m)
    a1 = (g1[0] + f1[0], g1[1] + f1[1], g1[2] + f1[2])
    nv = (vx + 0.5 * dt * (a0[0] + a1[0]), vy + 0.5 * dt * (a0[1] + a1[1]), vz + 0.5 * dt * (a0[2] + a1[2]))
    return (x + 0.5 * dt * (vx + nv[0]), y + 0.5 * dt * (vy + nv[1]), z + 0.5 * dt * (vz + nv[2])), nv


def velocity_frame(r: Vec, v: Vec) -> tuple[Vec, Vec, Vec]:
    """Unit vectors along -v (drag), lift-up (up made normal to v) and right (v x up)."""
    x, y, z = r
    rn, vn = norm(r), norm(v)
    dx, dy, dz = v[0] / vn, v[1] / vn, v[2] / vn
    p = (x * dx + y * dy + z * dz) / rn
    lx, ly, lz = x / rn - p * dx, y / rn - p * dy, z / rn - p * dz
    ln = math.sqrt(lx * lx + ly * ly + lz * lz)
    lx, ly, lz = lx / ln, ly / ln, lz / ln
    return (-dx, -dy, -dz), (lx, ly, lz), (dy * lz - dz * ly, dz * lx - dx * lz, dx * ly - dy * lx)


def to_frame(f: Vec, frame: tuple[Vec, Vec, Vec]) -> Vec:
    (a, b, c), (d, e, g), (h, i, j) = frame      # written out: a generator's tuple was 3x the time
    x, y, z = f
    return (x * a + y * b + z * c, x * d + y * e + z * g, x * h + y * i + z * j)


def from_frame(c: Vec, frame: tuple[Vec, Vec, Vec], scale: float = 1.0) -> Vec:
    d, u, r = frame
    return (scale * (c[0] * d[0] + c[1] * u[0] + c[2] * r[0]), scale * (c[0] * d[1] + c[1] * u[1] + c[2] * r[1]),
            scale * (c[0] * d[2] + c[1] * u[2] + c[2] * r[2]))


def solve3(rows: tuple[Vec, Vec, Vec], b: Vec) -> Vec:
    """Cramer's rule for a 3x3 system."""
    (a, bb, c), (d, e, f), (g, h, i) = rows
    det = a * (e * i - f * h) - bb * (d * i - f * g) + c * (d * h - e * g)
    x = (b[0] * (e * i - f * h) - bb * (b[1] * i - f * b[2]) + c * (b[1] * h - e * b[2])) / det
    y = (a * (b[1] * i - f * b[2]) - b[0] * (d * i - f * g) + c * (d * b[2] - b[1] * g)) / det
    z = (a * (e * b[2] - b[1] * h) - bb * (d * b[2] - b[1] * g) + b[0] * (d * h - e * g)) / det
    return x, y, z


__all__ = ["from_frame", "propagate", "solve3", "to_frame", "velocity_frame"]

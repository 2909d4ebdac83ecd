"""Pickup geometry: where a tube seen by the navcam lies, and where a body point is on the ground.

Pure functions of the navigation estimate (`NavState`), so the pickup and the hand-off use
one set of frames: body (x forward, y left, z up, at the rover's ground point), levelled by
the IMU's gravity vector, placed in the local frame by dead reckoning. The tube's line of
sight is intersected with the onboard height map (a few fixed-point iterations), so terrain
relief and rover tilt do not bias the grasp point. Requirements: DESIGN.md (ROV-GEO-*).
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

from .topics import NavState
from fsw.numerics import fixed_sum

Vec = tuple[float, float, float]
HeightAt = Callable[[float, float], float]


def in_reach(body: Sequence[float], arm_base_x_m: float, arm_base_z_m: float, arm_reach_m: float) -> bool:
    """A body-frame point the arm can grasp: ahead of its base and within 95 % of its reach."""
    bx, by, bz = body
    dx = bx - arm_base_x_m
    dz = bz - arm_base_z_m
    return 0.25 <= dx and math.sqrt(dx * dx + by * by + dz * dz) <= 0.95 * arm_reach_m


def level_axes(accel: Sequence[float] | None) -> tuple[Vec, Vec, Vec]:
    """Forward-level, left-level and up unit vectors in body coordinates (from the IMU's gravity)."""
    a = accel
    n = math.sqrt(fixed_sum(c * c for c in a)) if a is not None else 0.0
    up = (0.0, 0.0, 1.0) if n < 1e-6 else tuple(c / n for c in a)
    f = (1.0 - up[0] * up[0], -up[0] * up[1], -up[0] * up[2])
    fn = math.sqrt(fixed_sum(c * c for c in f))
    f = tuple(c / fn for c in f)
    left = (up[1] * f[2] - up[2] * f[1], up[2] * f[0] - up[0] * f[2], up[0] * f[1] - up[1] * f[0])
    return f, left, up


def _dot(u: Sequence[float], v: Sequence[float]) -> float:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def tube_in_body(los: Sequence[float], cam: Sequence[float], tube_z_m: float, nav: NavState,
                 height_at: HeightAt) -> Vec | None:
    """The tube's body-frame position from the camera's line of sight `los` (camera at `cam`,
    body frame), or None when the line of sight does not reach the ground ahead."""
    f, left, up = level_axes(nav.accel_mps2)
    lf, ll, lu = _dot(los, f), _dot(los, left), _dot(los, up)
    cf, cl, cu = _dot(cam, f), _dot(cam, left), _dot(cam, up)
    if lu >= -1e-3:
        return None
    h = nav.heading_rad
    ground = height_at(nav.x_m, nav.y_m)
    dz = tube_z_m                                # tube height above the rover's ground point
    for _ in range(4):
        t = (dz - cu) / lu
        tf, tl = cf + t * lf, cl + t * ll
        wx = nav.x_m + tf * math.cos(h) - tl * math.sin(h)
        wy = nav.y_m + tf * math.sin(h) + tl * math.cos(h)
        dz = height_at(wx, wy) - ground + tube_z_m
    t = (dz - cu) / lu
    tf, tl, tu = cf + t * lf, cl + t * ll, dz
    return tuple(tf * f[k] + tl * left[k] + tu * up[k] for k in range(3))


def world_of_body(b: Sequence[float], nav: NavState, height_at: HeightAt) -> Vec:
    """A body-frame point in the local frame (levelled by the IMU, placed by dead reckoning)."""
    f, left, up = level_axes(nav.accel_mps2)
    bf = fixed_sum(b[k] * f[k] for k in range(3))
    bl = fixed_sum(b[k] * left[k] for k in range(3))
    bu = fixed_sum(b[k] * up[k] for k in range(3))
    h = nav.heading_rad
    return (nav.x_m + bf * math.cos(h) - bl * math.sin(h), nav.y_m + bf * math.sin(h) + bl * math.cos(h),
            height_at(nav.x_m, nav.y_m) + bu)


__all__ = ["in_reach", "level_axes", "tube_in_body", "world_of_body"]

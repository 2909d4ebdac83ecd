"""The landing site's frame and the Mars-fixed frame it hangs in.

Entry navigation and guidance work in the Mars-centred, Mars-fixed frame (MCMF: z on the spin
axis, turning with Mars), where the air is at rest but for winds. The landing map, the radar,
the camera and powered descent work in the site's local frame: x east, y north, z up at the
targeted landing point, origin on the datum sphere under it (`radius_m`). The local frame is
flat: a point's local coordinates are the east/north/up components of its offset from the
origin, so near the site (a few km) "height above the local plane" and "height above the
sphere" differ by d^2 / 2R (1.3 m at 3 km), and the simulator's ground is the local plane plus
the map's heights, so every sensor agrees with the map.

Plain 3-tuples and `math` only: these are on the navigation hot path and must give the same
bits on any machine.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from .kepler import Vec, cross, dot, norm

# MSR_FACTS.md: Jezero crater, ~2.5 km below the datum (the MAV's launch site too).
JEZERO_LAT_DEG = 18.4446
JEZERO_LON_DEG = 77.4509
MARS_RADIUS_EQ_M = 3396.2e3
JEZERO_DATUM_M = -2500.0


def unit_vec(lat_rad: float, lon_rad: float) -> Vec:
    cl = math.cos(lat_rad)
    return (cl * math.cos(lon_rad), cl * math.sin(lon_rad), math.sin(lat_rad))


@dataclass(frozen=True)
class SiteFrame:
    """The local frame at (lat, lon) on a sphere of `radius_m` (the site's datum)."""

    lat_rad: float
    lon_rad: float
    radius_m: float

    @classmethod
    def from_deg(cls, lat_deg: float = JEZERO_LAT_DEG, lon_deg: float = JEZERO_LON_DEG,
                 radius_m: float = MARS_RADIUS_EQ_M + JEZERO_DATUM_M) -> "SiteFrame":
        return cls(math.radians(lat_deg), math.radians(lon_deg), float(radius_m))

    def __post_init__(self) -> None:
        # The axes are used on every navigation step: computed once.
        up = unit_vec(self.lat_rad, self.lon_rad)
        east = (-math.sin(self.lon_rad), math.cos(self.lon_rad), 0.0)
        object.__setattr__(self, "up", up)
        object.__setattr__(self, "east", east)
        object.__setattr__(self, "north", cross(up, east))
        object.__setattr__(self, "origin", (self.radius_m * up[0], self.radius_m * up[1], self.radius_m * up[2]))

    def vec_to_local(self, v: Vec) -> Vec:
        e, n, u = self.east, self.north, self.up
        return (v[0] * e[0] + v[1] * e[1] + v[2] * e[2], v[0] * n[0] + v[1] * n[1] + v[2] * n[2],
                v[0] * u[0] + v[1] * u[1] + v[2] * u[2])

    def vec_to_mcmf(self, v: Vec) -> Vec:
        e, n, u = self.east, self.north, self.up
        return (v[0] * e[0] + v[1] * n[0] + v[2] * u[0], v[0] * e[1] + v[1] * n[1] + v[2] * u[1],
                v[0] * e[2] + v[1] * n[2] + v[2] * u[2])

    def to_local(self, r: Vec) -> Vec:
        o = self.origin
        return self.vec_to_local((r[0] - o[0], r[1] - o[1], r[2] - o[2]))

    def to_mcmf(self, p: Vec) -> Vec:
        o = self.origin
        d = self.vec_to_mcmf(p)
        return (o[0] + d[0], o[1] + d[1], o[2] + d[2])


def local_axes(r: Vec) -> tuple[Vec, Vec, Vec]:
    """East, north and up unit vectors at a point of the Mars-fixed frame (off the poles)."""
    rn = norm(r)
    up = (r[0] / rn, r[1] / rn, r[2] / rn)
    h = math.sqrt(r[0] * r[0] + r[1] * r[1])
    east = (-r[1] / h, r[0] / h, 0.0)
    return east, cross(up, east), up


def great_circle_m(a: Vec, b: Vec, radius_m: float) -> float:
    """Distance along a sphere of `radius_m` between the directions of two points."""
    c = cross(a, b)
    return radius_m * math.atan2(norm(c), dot(a, b))


def state_from_entry(site: SiteFrame, range_m: float, azimuth_rad: float, radius_m: float,
                     speed_mps: float, fpa_rad: float, crossrange_m: float = 0.0) -> tuple[Vec, Vec]:
    """An entry state `range_m` uprange of the site (along the great circle arriving at the
    site with heading `azimuth_rad`, from north towards east), `crossrange_m` to the right of
    it, at `radius_m`, with Mars-relative speed and flight-path angle. Returns MCMF (r, v)."""
    u0 = site.up
    e0, n0 = site.east, site.north
    head = (math.sin(azimuth_rad) * e0[0] + math.cos(azimuth_rad) * n0[0],
            math.sin(azimuth_rad) * e0[1] + math.cos(azimuth_rad) * n0[1],
            math.sin(azimuth_rad) * e0[2] + math.cos(azimuth_rad) * n0[2])
    right = cross(head, u0)                   # right of the track: heading x up
    ang = range_m / site.radius_m
    c, s = math.cos(ang), math.sin(ang)
    # Back along the great circle: the point and its forward heading there.
    p = (c * u0[0] - s * head[0], c * u0[1] - s * head[1], c * u0[2] - s * head[2])
    fwd = (s * u0[0] + c * head[0], s * u0[1] + c * head[1], s * u0[2] + c * head[2])
    if crossrange_m:
        a = crossrange_m / site.radius_m
        ca, sa = math.cos(a), math.sin(a)
        p = (ca * p[0] + sa * right[0], ca * p[1] + sa * right[1], ca * p[2] + sa * right[2])  # fwd stays normal to p
    r = (radius_m * p[0], radius_m * p[1], radius_m * p[2])
    cg, sg = math.cos(fpa_rad), math.sin(fpa_rad)
    v = (speed_mps * (cg * fwd[0] + sg * p[0]), speed_mps * (cg * fwd[1] + sg * p[1]),
         speed_mps * (cg * fwd[2] + sg * p[2]))
    return r, v


__all__ = ["JEZERO_DATUM_M", "JEZERO_LAT_DEG", "JEZERO_LON_DEG", "MARS_RADIUS_EQ_M", "SiteFrame",
           "great_circle_m", "local_axes", "state_from_entry", "unit_vec"]

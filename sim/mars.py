"""Mars environment: constants, gravity (point mass + J2), rotation and an exponential atmosphere.

Values are the defaults of MSR_FACTS.md; every one is a field of `MarsParams` so a scenario
or a Monte Carlo dispersion can change it. Frames: MCI is Mars-centred inertial with z along
the spin axis; MCMF (body-fixed) coincides with MCI at t = 0 and rotates about z at
`omega_radps`. Units are SI throughout (m, s, kg, rad).
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MarsParams:
    """Physical constants of Mars (MSR_FACTS.md, 'Constants (Mars)')."""

    gm_m3ps2: float = 4.282837e13
    radius_eq_m: float = 3396.2e3
    radius_mean_m: float = 3389.5e3
    j2: float = 1.96045e-3
    omega_radps: float = 7.0882e-5
    surface_gravity_mps2: float = 3.71


@dataclass(frozen=True)
class AtmosphereParams:
    """Exponential atmosphere rho = rho0 exp(-h / H); density and scale height are estimates."""

    rho0_kgpm3: float = 0.020
    scale_height_m: float = 11.1e3


MARS = MarsParams()
ATMOSPHERE = AtmosphereParams()

# Earth two-body constant, used only by the classic Kepler-problem validation case.
EARTH_GM_M3PS2 = 398600.4418e9


def density(altitude_m: float, atmo: AtmosphereParams = ATMOSPHERE) -> float:
    """Air density at an altitude above the reference radius.

    Negative altitudes (Jezero lies ~2.5 km below the datum) are allowed down to -10 km, where
    the exponential is clamped so a bad state cannot overflow it.
    """
    return atmo.rho0_kgpm3 * math.exp(-max(altitude_m, -10e3) / atmo.scale_height_m)


def gravity_point_mass(x: float, y: float, z: float, gm: float) -> tuple[float, float, float]:
    """Inverse-square acceleration; plain floats because this is on the RK4 hot path."""
    r2 = x * x + y * y + z * z
    k = -gm / (r2 * math.sqrt(r2))
    return k * x, k * y, k * z


def gravity_j2(x: float, y: float, z: float, gm: float, j2: float, re: float) -> tuple[float, float, float]:
    """Point mass plus the J2 zonal term (spin axis along z)."""
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    k = -gm / (r2 * r)
    f = 1.5 * j2 * re * re / r2
    zz = 5.0 * z * z / r2
    kxy = k * (1.0 + f * (1.0 - zz))
    kz = k * (1.0 + f * (3.0 - zz))
    return kxy * x, kxy * y, kz * z


def circular_speed(radius_m: float, mars: MarsParams = MARS) -> float:
    return math.sqrt(mars.gm_m3ps2 / radius_m)


def orbital_period(sma_m: float, mars: MarsParams = MARS) -> float:
    return 2.0 * math.pi * math.sqrt(sma_m**3 / mars.gm_m3ps2)


def j2_nodal_rate(sma_m: float, ecc: float, inc_rad: float, mars: MarsParams = MARS) -> float:
    """Secular rate of the ascending node due to J2 (rad/s), the classic first-order result."""
    n = math.sqrt(mars.gm_m3ps2 / sma_m**3)
    p = sma_m * (1.0 - ecc * ecc)
    return -1.5 * n * mars.j2 * (mars.radius_eq_m / p) ** 2 * math.cos(inc_rad)


def rotation_angle(t_s: float, mars: MarsParams = MARS) -> float:
    """Angle of the body-fixed frame from the inertial frame at time t (rad)."""
    return mars.omega_radps * t_s


def fixed_to_inertial(vec: tuple[float, float, float], t_s: float, mars: MarsParams = MARS) -> tuple[float, float, float]:
    """Rotate a body-fixed vector into the inertial frame (position only, no transport term)."""
    th = rotation_angle(t_s, mars)
    c, s = math.cos(th), math.sin(th)
    x, y, z = vec
    return c * x - s * y, s * x + c * y, z


def surface_state_inertial(lat_rad: float, lon_rad: float, alt_m: float, t_s: float = 0.0,
                           mars: MarsParams = MARS) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
    """Inertial position and velocity of a point fixed to the rotating (spherical) surface."""
    r = mars.radius_eq_m + alt_m
    cl = math.cos(lat_rad)
    pos_f = (r * cl * math.cos(lon_rad), r * cl * math.sin(lon_rad), r * math.sin(lat_rad))
    pos = fixed_to_inertial(pos_f, t_s, mars)
    w = mars.omega_radps
    vel = (-w * pos[1], w * pos[0], 0.0)
    return pos, vel


def geodetic_altitude(x: float, y: float, z: float, mars: MarsParams = MARS) -> float:
    """Altitude above the equatorial-radius sphere (the atmosphere and terrain reference)."""
    return math.sqrt(x * x + y * y + z * z) - mars.radius_eq_m

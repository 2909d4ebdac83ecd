"""Lander powered descent: 3-DOF point mass over the terrain, throttle limits, touchdown on legs.

Frame: the terrain's local frame (x east, y north, z up, m), flat Mars with uniform gravity,
non-rotating (a few km of descent: curvature and Coriolis are centimetre effects). The
3-DOF lander has no attitude state: the body frame is the local frame, and the commanded
thrust direction (body = local) is taken as is (attitude assumed to follow instantly).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.ascent import G0
from sim.mars import ATMOSPHERE, AtmosphereParams, density
from sim.terrain import Terrain
from fsw.numerics import fixed_sum


@dataclass(frozen=True)
class DescentParams:
    """Sample Retrieval Lander at powered-descent start (MSR_FACTS.md: up to ~2,275 kg, 12 engines)."""

    gravity_mps2: float = 3.71
    dry_mass_kg: float = 1875.0
    propellant_kg: float = 400.0
    n_engines: int = 12
    engine_max_thrust_N: float = 3100.0
    min_throttle: float = 0.1           # engines run between 10% and 100% when on
    throttle_rate_per_s: float = 4.0    # full range in 0.25 s
    isp_s: float = 220.0
    drag_cd_area_m2: float = 12.0       # Cd * reference area
    site_elevation_m: float = -2500.0   # of the terrain datum, for the air density
    atmosphere: AtmosphereParams = ATMOSPHERE
    leg_radius_m: float = 2.2           # feet on a circle of this radius (4 legs)
    leg_height_m: float = 1.2           # feet below the centre of mass
    initial_position_m: tuple[float, float, float] = (-300.0, 150.0, 2000.0)
    initial_velocity_mps: tuple[float, float, float] = (15.0, -5.0, -75.0)

    @property
    def max_thrust_N(self) -> float:
        return self.n_engines * self.engine_max_thrust_N


@dataclass(frozen=True)
class Touchdown:
    """What the legs met: when, how fast, on what ground."""

    time_s: float
    position_m: tuple[float, float, float]
    velocity_mps: tuple[float, float, float]
    vertical_speed_mps: float
    horizontal_speed_mps: float
    slope_deg: float
    max_rock_m: float


@dataclass
class DescentVehicle:
    params: DescentParams
    terrain: Terrain
    t: float = 0.0
    pos: tuple[float, float, float] = (0.0, 0.0, 0.0)
    vel: tuple[float, float, float] = (0.0, 0.0, 0.0)
    propellant_kg: float = 0.0
    throttle: float = 0.0                # actual collective throttle (0 = off)
    throttle_cmd: float = 0.0
    thrust_dir: tuple[float, float, float] = (0.0, 0.0, 1.0)
    touchdown: Touchdown | None = None
    specific_force: tuple[float, float, float] = (0.0, 0.0, 0.0)
    feet: tuple = field(default=())

    def __post_init__(self) -> None:
        p = self.params
        self.pos, self.vel = tuple(p.initial_position_m), tuple(p.initial_velocity_mps)
        self.propellant_kg = p.propellant_kg
        r = p.leg_radius_m
        self.feet = ((r, 0.0), (0.0, r), (-r, 0.0), (0.0, -r))

    @property
    def mass(self) -> float:
        return self.params.dry_mass_kg + self.propellant_kg

    @property
    def landed(self) -> bool:
        return self.touchdown is not None

    def command(self, throttle: float | None = None, direction: tuple[float, float, float] | None = None) -> None:
        """Throttle 0 is off; otherwise it is clamped to [min_throttle, 1]."""
        if throttle is not None:
            self.throttle_cmd = 0.0 if throttle <= 0.0 else min(1.0, max(self.params.min_throttle, throttle))
        if direction is not None:
            n = math.sqrt(fixed_sum(c * c for c in direction))
            if n > 1e-9:
                self.thrust_dir = tuple(c / n for c in direction)

    def thrust_N(self) -> float:
        return self.throttle * self.params.max_thrust_N if self.propellant_kg > 0.0 else 0.0

    def _accel(self, vel, m, thrust):
        p = self.params
        rho = density(self.pos[2] + p.site_elevation_m, p.atmosphere)
        vn = math.sqrt(vel[0] ** 2 + vel[1] ** 2 + vel[2] ** 2)
        dk = -0.5 * rho * vn * p.drag_cd_area_m2 / m
        d = self.thrust_dir
        sf = (thrust * d[0] / m + dk * vel[0], thrust * d[1] / m + dk * vel[1], thrust * d[2] / m + dk * vel[2])
        return sf, (sf[0], sf[1], sf[2] - p.gravity_mps2)

    def clearance(self, pos=None) -> float:
        """Lowest foot height above the terrain (m)."""
        x, y, z = self.pos if pos is None else pos
        h = self.terrain.height_at
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = self.feet      # four feet, in order
        hmax = max(h(x + ax, y + ay), h(x + bx, y + by), h(x + cx, y + cy), h(x + dx, y + dy))
        return z - self.params.leg_height_m - hmax

    def step(self, dt: float) -> None:
        p = self.params
        self.t += dt
        if self.landed:
            self.specific_force = (0.0, 0.0, p.gravity_mps2)
            self.throttle = 0.0 if self.throttle_cmd == 0.0 else self.throttle
            return
        lim = p.throttle_rate_per_s * dt
        target = self.throttle_cmd
        if target == 0.0 and self.throttle <= p.min_throttle + lim:
            self.throttle = 0.0
        else:
            base = max(self.throttle, p.min_throttle) if target > 0.0 else self.throttle
            self.throttle = base + max(-lim, min(lim, target - base))
        thrust = self.thrust_N()
        m0 = self.mass
        mdot = thrust / (p.isp_s * G0)
        used = min(self.propellant_kg, mdot * dt)
        m_mid = m0 - 0.5 * used
        # Midpoint (RK2) in velocity with the mid-step mass: exact for constant acceleration.
        vel, pos = self.vel, self.pos
        sf1, a1 = self._accel(vel, m0, thrust)
        h = 0.5 * dt                # the tuples written out (generators were most of a step)
        v_mid = (vel[0] + h * a1[0], vel[1] + h * a1[1], vel[2] + h * a1[2])
        sf, a2 = self._accel(v_mid, m_mid, thrust)
        new_pos = (pos[0] + dt * v_mid[0], pos[1] + dt * v_mid[1], pos[2] + dt * v_mid[2])
        new_vel = (vel[0] + dt * a2[0], vel[1] + dt * a2[1], vel[2] + dt * a2[2])
        self.propellant_kg -= used
        self.specific_force = sf
        if self.clearance(new_pos) <= 0.0:
            self._touch(new_pos, new_vel)
        else:
            self.pos, self.vel = new_pos, new_vel

    def _touch(self, new_pos, new_vel) -> None:
        # Interpolate to the instant the lowest foot met the ground.
        c0, c1 = self.clearance(), self.clearance(new_pos)
        f = c0 / (c0 - c1) if c0 > c1 else 1.0
        pos = tuple(self.pos[i] + f * (new_pos[i] - self.pos[i]) for i in range(3))
        vel = tuple(self.vel[i] + f * (new_vel[i] - self.vel[i]) for i in range(3))
        x, y = pos[0], pos[1]
        hs = [self.terrain.height_at(x + fx, y + fy) for fx, fy in self.feet]
        r = self.params.leg_radius_m
        slope = math.degrees(math.atan(math.hypot((hs[0] - hs[2]) / (2 * r), (hs[1] - hs[3]) / (2 * r))))
        self.touchdown = Touchdown(self.t, pos, vel, -vel[2], math.hypot(vel[0], vel[1]), slope,
                                   self.max_rock_under(x, y))
        self.pos = (pos[0], pos[1], max(hs) + self.params.leg_height_m)
        self.vel = (0.0, 0.0, 0.0)
        self.specific_force = (0.0, 0.0, self.params.gravity_mps2)

    def max_rock_under(self, x: float, y: float) -> float:
        """Largest rock within the leg circle (the footprint), from the rock raster."""
        t = self.terrain
        r = self.params.leg_radius_m
        i0, j0 = t.cell_of(x - r, y - r)
        i1, j1 = t.cell_of(x + r, y + r)
        return float(t.max_rock_m[i0:i1 + 1, j0:j1 + 1].max())

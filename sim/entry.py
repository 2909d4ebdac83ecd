"""Entry and parachute descent: a lifting capsule, 3-DOF point mass over rotating Mars.

State: position and Mars-relative velocity in the Mars-fixed frame (MCMF, z on the spin axis),
so the air is at rest but for winds; the frame's rotation gives the Coriolis and centrifugal
terms. Gravity is point mass + J2 (sim.mars). The capsule (MSR_FACTS.md: 4.5 m 70-deg
sphere-cone, L/D ~0.24 from an offset centre of mass, ballistic coefficient ~140 kg/m^2)
flies at its trim angle of attack: drag opposes the air-relative velocity, lift is L/D times
drag, perpendicular to it, in the vertical plane for zero bank and turned about the velocity
by the bank angle (positive: lift to the right of the track). Bank is the one rotational
degree of freedom kept, driven by RCS roll torque with its own acceleration limit (under the
parachute the risers damp the roll).

The disk-gap-band parachute (21.5 m) opens after the mortar fire: line stretch after
`mortar_to_line_stretch_s`, then the drag area grows quadratically over `inflation_s` with an
opening-load overshoot; its drag coefficient depends on Mach. The heatshield and, later, the
backshell (with the parachute) leave as mass steps; after the backshell the lander is handed
to sim.descent (the plant does that).

The integrator is classical RK4 on plain floats; the bank and the parachute's inflation are
functions of time within a step. `specific_force` is what an accelerometer feels (aero and
parachute only), `decel_g` its magnitude in Earth g for the published figures.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from sim.atmosphere import MarsAtmosphere
from sim.mars import MARS, MarsParams

G0 = 9.80665


@dataclass(frozen=True)
class CapsuleParams:
    """Entry system (MSL/Mars 2020-class aeroshell; SRL mass an estimate)."""

    entry_mass_kg: float = 3500.0
    diameter_m: float = 4.5
    cd: float = 1.55                     # hypersonic 70-deg sphere-cone (beta = 142 kg/m^2)
    lift_to_drag: float = 0.24
    heatshield_mass_kg: float = 385.0
    backshell_mass_kg: float = 840.0     # backshell and parachute: what the lander leaves behind
    bank_inertia_kgm2: float = 4500.0
    bank_torque_max_Nm: float = 400.0    # ~5 deg/s^2 of bank acceleration

    @property
    def area_m2(self) -> float:
        return math.pi * 0.25 * self.diameter_m * self.diameter_m

    @property
    def ballistic_coefficient(self) -> float:
        return self.entry_mass_kg / (self.cd * self.area_m2)

    @property
    def lander_mass_kg(self) -> float:
        return self.entry_mass_kg - self.heatshield_mass_kg - self.backshell_mass_kg


@dataclass(frozen=True)
class ParachuteParams:
    """Disk-gap-band parachute (MSL/Mars 2020: 21.5 m); drag coefficients are estimates."""

    diameter_m: float = 21.5
    cd_supersonic: float = 0.60          # Mach >= 1.4
    cd_subsonic: float = 0.52            # Mach <= 0.8
    mortar_to_line_stretch_s: float = 1.0
    inflation_s: float = 0.6
    overshoot: float = 0.25              # opening load above the steady drag, at full inflation

    @property
    def area_m2(self) -> float:
        return math.pi * 0.25 * self.diameter_m * self.diameter_m

    def cd(self, mach: float) -> float:
        f = min(max((mach - 0.8) / 0.6, 0.0), 1.0)
        return self.cd_subsonic + f * (self.cd_supersonic - self.cd_subsonic)

    def area_fraction(self, since_deploy_s: float) -> float:
        """Drag area over the full canopy's, after the mortar fired."""
        t = since_deploy_s - self.mortar_to_line_stretch_s
        if t <= 0.0:
            return 0.0
        tau = t / self.inflation_s
        grow = tau * tau if tau < 1.0 else 1.0
        return grow + self.overshoot * tau * tau * math.exp(2.0 * (1.0 - tau))


class EntryVehicle:
    """The capsule from the entry interface to backshell separation."""

    def __init__(self, r, v, capsule: CapsuleParams = CapsuleParams(), chute: ParachuteParams = ParachuteParams(),
                 atmosphere: MarsAtmosphere = MarsAtmosphere(), mars: MarsParams = MARS, bank_rad: float = 0.0,
                 lift: bool = True) -> None:
        self.r = tuple(float(c) for c in r)
        self.v = tuple(float(c) for c in v)
        self.capsule, self.chute, self.atm, self.mars = capsule, chute, atmosphere, mars
        self.mass = capsule.entry_mass_kg
        self.t = 0.0
        self.bank = bank_rad
        self.bank_rate = 0.0
        self.torque_cmd = 0.0
        self.lift = lift
        self.chute_deploy_t: float | None = None
        self.heatshield_on = True
        self.specific_force = (0.0, 0.0, 0.0)
        self.decel_g = 0.0
        self.peak_decel_g = 0.0
        self.peak_decel_t = 0.0
        self.mach = 0.0
        self.dynamic_pressure = 0.0
        self._windy = any((atmosphere.wind_east_low_mps, atmosphere.wind_north_low_mps,
                           atmosphere.wind_east_high_mps, atmosphere.wind_north_high_mps))
        self._cda = capsule.cd * capsule.area_m2
        self._ld = capsule.lift_to_drag if lift else 0.0
        # _deriv's constants (four calls a step), each the very value its expression gave there
        self._re = mars.radius_eq_m
        self._neg_gm = -mars.gm_m3ps2
        self._j2_rr = 1.5 * mars.j2 * mars.radius_eq_m * mars.radius_eq_m
        self._two_w = 2.0 * mars.omega_radps
        self._ww = mars.omega_radps * mars.omega_radps
        self._chute_area = chute.area_m2
        self._density, self._sound, self._wind = atmosphere.density, atmosphere.speed_of_sound, atmosphere.wind
        self._air_data()

    def _air_data(self) -> None:
        """Mach and dynamic pressure of the current state."""
        _, _, _, va, alt = self._air(self.r, self.v)
        self.mach = va / self.atm.speed_of_sound(alt)
        self.dynamic_pressure = 0.5 * self.atm.density(alt) * va * va

    # --------------------------------------------------------------- events
    def deploy_chute(self) -> None:
        if self.chute_deploy_t is None:
            self.chute_deploy_t = self.t

    def separate_heatshield(self) -> None:
        if self.heatshield_on:
            self.heatshield_on = False
            self.mass -= self.capsule.heatshield_mass_kg

    @property
    def altitude_m(self) -> float:
        x, y, z = self.r
        return math.sqrt(x * x + y * y + z * z) - self.mars.radius_eq_m

    @property
    def air_speed_mps(self) -> float:
        return self._air(self.r, self.v)[3]

    def _air(self, r, v):
        """Air-relative velocity (wind removed) and its magnitude."""
        x, y, z = r
        h = math.sqrt(x * x + y * y + z * z) - self.mars.radius_eq_m
        we, wn = self.atm.wind(h)
        vx, vy, vz = v
        if we or wn:
            rxy = math.sqrt(x * x + y * y)
            rn = math.sqrt(x * x + y * y + z * z)
            ex, ey = -y / rxy, x / rxy                       # east (ez = 0)
            ux, uy, uz = x / rn, y / rn, z / rn
            nx, ny, nz = -uz * ey, uz * ex, ux * ey - uy * ex  # north = up x east
            vx -= we * ex + wn * nx
            vy -= we * ey + wn * ny
            vz -= wn * nz
        return vx, vy, vz, math.sqrt(vx * vx + vy * vy + vz * vz), h

    # --------------------------------------------------------------- dynamics
    def _deriv(self, t: float, bank: float, x: float, y: float, z: float, vx: float, vy: float, vz: float):
        r2 = x * x + y * y + z * z
        rn = math.sqrt(r2)
        k = self._neg_gm / (r2 * rn)
        f = self._j2_rr / r2
        zz = 5.0 * z * z / r2
        kxy = k * (1.0 + f * (1.0 - zz))
        w2, ww = self._two_w, self._ww
        ax = kxy * x + w2 * vy + ww * x
        ay = kxy * y - w2 * vx + ww * y
        az = k * (1.0 + f * (3.0 - zz)) * z
        h = rn - self._re
        we, wn = self._wind(h) if self._windy else (0.0, 0.0)
        ux_, uy_, uz_ = vx, vy, vz
        if we or wn:                                        # air-relative velocity: wind removed
            rxy = math.sqrt(x * x + y * y)
            ex, ey = -y / rxy, x / rxy
            px, py, pz = x / rn, y / rn, z / rn
            nx, ny, nz = -pz * ey, pz * ex, px * ey - py * ex
            ux_ -= we * ex + wn * nx
            uy_ -= we * ey + wn * ny
            uz_ -= wn * nz
        va = math.sqrt(ux_ * ux_ + uy_ * uy_ + uz_ * uz_)
        sx = sy = sz = 0.0
        if va > 1e-6:
            rho = self._density(h)
            q = 0.5 * rho * va * va
            d = q * self._cda / self.mass
            dx, dy, dz = ux_ / va, uy_ / va, uz_ / va       # air-relative velocity direction
            cd_chute = 0.0
            deployed = self.chute_deploy_t
            if deployed is not None:
                frac = self.chute.area_fraction(t - deployed)
                if frac > 0.0:
                    mach = va / self._sound(h)
                    cd_chute = q * self.chute.cd(mach) * self._chute_area * frac / self.mass
            total = d + cd_chute
            sx, sy, sz = -total * dx, -total * dy, -total * dz
            if self._ld and deployed is None:
                # Lift: along "up" made normal to the velocity, turned by the bank about it.
                px, py, pz = x / rn, y / rn, z / rn
                pd = px * dx + py * dy + pz * dz
                lx, ly, lz = px - pd * dx, py - pd * dy, pz - pd * dz
                ln = math.sqrt(lx * lx + ly * ly + lz * lz)
                lx, ly, lz = lx / ln, ly / ln, lz / ln
                rx, ry, rz = dy * lz - dz * ly, dz * lx - dx * lz, dx * ly - dy * lx   # right: v x up
                cb, sb = math.cos(bank), math.sin(bank)
                lift = self._ld * d
                sx += lift * (cb * lx + sb * rx)
                sy += lift * (cb * ly + sb * ry)
                sz += lift * (cb * lz + sb * rz)
        return vx, vy, vz, ax + sx, ay + sy, az + sz, (sx, sy, sz)

    def step(self, dt: float) -> None:
        """One RK4 step; the bank follows the RCS torque (constant acceleration over the step)."""
        c = self.capsule
        if self.chute_deploy_t is None:
            acc = max(-c.bank_torque_max_Nm, min(c.bank_torque_max_Nm, self.torque_cmd)) / c.bank_inertia_kgm2
        else:                       # hanging from the risers: the roll is damped (time constant 3 s)
            acc = -self.bank_rate / max(3.0, dt)
        b0, w0 = self.bank, self.bank_rate
        bh = b0 + 0.5 * dt * w0 + 0.125 * dt * dt * acc
        b1 = b0 + dt * w0 + 0.5 * dt * dt * acc
        t, h = self.t, 0.5 * dt
        x, y, z = self.r
        vx, vy, vz = self.v
        k1 = self._deriv(t, b0, x, y, z, vx, vy, vz)
        k2 = self._deriv(t + h, bh, x + h * k1[0], y + h * k1[1], z + h * k1[2],
                         vx + h * k1[3], vy + h * k1[4], vz + h * k1[5])
        k3 = self._deriv(t + h, bh, x + h * k2[0], y + h * k2[1], z + h * k2[2],
                         vx + h * k2[3], vy + h * k2[4], vz + h * k2[5])
        k4 = self._deriv(t + dt, b1, x + dt * k3[0], y + dt * k3[1], z + dt * k3[2],
                         vx + dt * k3[3], vy + dt * k3[4], vz + dt * k3[5])
        s = dt / 6.0
        self.r = (x + s * (k1[0] + 2.0 * k2[0] + 2.0 * k3[0] + k4[0]),
                  y + s * (k1[1] + 2.0 * k2[1] + 2.0 * k3[1] + k4[1]),
                  z + s * (k1[2] + 2.0 * k2[2] + 2.0 * k3[2] + k4[2]))
        self.v = (vx + s * (k1[3] + 2.0 * k2[3] + 2.0 * k3[3] + k4[3]),
                  vy + s * (k1[4] + 2.0 * k2[4] + 2.0 * k3[4] + k4[4]),
                  vz + s * (k1[5] + 2.0 * k2[5] + 2.0 * k3[5] + k4[5]))
        self.bank = math.remainder(b1, 2.0 * math.pi)
        self.bank_rate = w0 + dt * acc
        self.t = t + dt
        sf = k4[6]
        self.specific_force = sf
        self.decel_g = math.sqrt(sf[0] * sf[0] + sf[1] * sf[1] + sf[2] * sf[2]) / G0
        if self.decel_g > self.peak_decel_g:
            self.peak_decel_g, self.peak_decel_t = self.decel_g, self.t
        self._air_data()


__all__ = ["CapsuleParams", "EntryVehicle", "G0", "ParachuteParams"]

"""Mars Ascent Vehicle dynamics: two solid stages from the rotating surface, 6-DOF rigid body.

Frames: position/velocity in Mars-centred inertial (MCI, `sim.mars`); body axes x = nose,
y = right, z = completing (aircraft-like: z is "down" when the nose is level). Attitude is a
unit quaternion (w, x, y, z) body -> inertial; rates are body rates. Gimbal sign: a positive
pitch (yaw) angle gives a positive torque about body +y (+z), i.e. nose up (nose right).

Mass is not integrated: a solid motor's propellant consumed is the (exact) cumulative
impulse fraction of its thrust curve, so the mass is a function of burn time.

Default propulsion and its delta-v budget (rocket equation, g0 Isp ln(m0/mf)):
    stage 1: m0 = 392 kg (full stack), 215 kg propellant, Isp 285 s  -> 2795 * ln(392/177) = 2222 m/s
    drop stage-1 inert 30 kg
    stage 2: m0 = 147 kg, 76 kg propellant, Isp 295 s                -> 2893 * ln(147/71)  = 2105 m/s
    (stage-2 inert 55 kg incl. avionics and RCS, OS 16 kg) total ideal 4.33 km/s.
MSR_FACTS.md puts the need at ~3.4 km/s ideal to ~350 km, ~3.5 km/s with losses and Mars'
rotation; two solids with a coast lose more than that estimate: stage-1 gravity and drag
losses are ~0.2 km/s, and since neither motor can be cut off, the guided profile lofts
stage 1 and flies a 35 s stage-2 arc rather than an impulse. With a 63 kg upper stage
(2.0 km/s from stage 2) the guided ascent falls ~150 m/s short of a 343 km circular orbit
(the best lofted profile needs ~2.1 km/s from stage 2); the 55 kg stage leaves ~90 m/s for
dispersions, which guidance burns off by lofting. A crude open-loop profile with ideal
attitude reaches a ~250 x 400 km orbit (tests/sim/test_ascent.py). This is the one MAV
every user flies: the SIL scenario, its Monte Carlo and the campaign.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.mars import ATMOSPHERE, MARS, AtmosphereParams, MarsParams, density, surface_state_inertial
from sim.orbit import Elements, state_to_elements

G0 = 9.80665

# Progressive-regressive solid-motor shape (fraction of burn time, thrust / mean thrust before
# normalisation); ignition transient, slow regression, tail-off.
DEFAULT_SHAPE = ((0.0, 0.0), (0.02, 1.1), (0.1, 1.05), (0.6, 1.0), (0.9, 0.9), (0.97, 0.4), (1.0, 0.0))


class ThrustCurve:
    """Piecewise-linear thrust against burn time, scaled to deliver the motor's total impulse."""

    def __init__(self, shape: tuple[tuple[float, float], ...], burn_time_s: float, total_impulse_Ns: float):
        if burn_time_s <= 0 or total_impulse_Ns <= 0:
            raise ValueError("burn time and impulse must be positive")
        xs = [p[0] for p in shape]
        if xs[0] != 0.0 or xs[-1] != 1.0 or any(b <= a for a, b in zip(xs, xs[1:])):
            raise ValueError("thrust shape must start at 0, end at 1 and increase")
        area = sum(0.5 * (a[1] + b[1]) * (b[0] - a[0]) for a, b in zip(shape, shape[1:]))
        scale = total_impulse_Ns / (area * burn_time_s)
        self.t = [x * burn_time_s for x in xs]
        self.f = [p[1] * scale for p in shape]
        self.burn_time_s = burn_time_s
        self.total_impulse_Ns = total_impulse_Ns
        # Cumulative impulse at each knot, for the exact propellant fraction.
        self._cum = [0.0]
        for i in range(1, len(self.t)):
            self._cum.append(self._cum[-1] + 0.5 * (self.f[i - 1] + self.f[i]) * (self.t[i] - self.t[i - 1]))

    def _seg(self, tau: float) -> int:
        t = self.t
        lo, hi = 0, len(t) - 2
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if t[mid] <= tau:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def thrust(self, tau: float) -> float:
        if tau <= 0.0 or tau >= self.burn_time_s:
            return 0.0
        i = self._seg(tau)
        w = (tau - self.t[i]) / (self.t[i + 1] - self.t[i])
        return self.f[i] + w * (self.f[i + 1] - self.f[i])

    def impulse_fraction(self, tau: float) -> float:
        """Share of the total impulse (= of the propellant) delivered by burn time tau."""
        if tau <= 0.0:
            return 0.0
        if tau >= self.burn_time_s:
            return 1.0
        i = self._seg(tau)
        dt = tau - self.t[i]
        f_tau = self.thrust(tau)
        return (self._cum[i] + 0.5 * (self.f[i] + f_tau) * dt) / self.total_impulse_Ns


@dataclass(frozen=True)
class StageParams:
    propellant_kg: float
    inert_kg: float
    isp_s: float
    burn_time_s: float
    nozzle_lever_m: float           # nozzle throat to centre of mass, for TVC torque
    has_tvc: bool
    thrust_shape: tuple[tuple[float, float], ...] = DEFAULT_SHAPE

    def curve(self) -> ThrustCurve:
        return ThrustCurve(self.thrust_shape, self.burn_time_s, self.propellant_kg * self.isp_s * G0)


@dataclass(frozen=True)
class AscentParams:
    """MAV and launch parameters (MSR_FACTS.md estimates; see the module delta-v budget)."""

    stage1: StageParams = StageParams(215.0, 30.0, 285.0, 55.0, 1.6, True)
    stage2: StageParams = StageParams(76.0, 55.0, 295.0, 35.0, 0.5, False)   # inert incl. avionics, RCS
    payload_kg: float = 16.0                      # Orbiting Sample container
    diameter_m: float = 0.5
    drag_cd: float = 0.45
    # Inertia (kg m^2) of the full stack and of the upper composite, scaled with mass in flight.
    inertia_stack: tuple[float, float, float] = (12.5, 290.0, 290.0)
    inertia_upper: tuple[float, float, float] = (5.0, 22.0, 22.0)
    gimbal_limit_rad: float = math.radians(5.0)
    gimbal_rate_radps: float = math.radians(40.0)
    rcs_force_limit_N: float = 20.0               # per body axis
    rcs_torque_limit_Nm: float = 15.0             # per body axis
    # Launch: site (Jezero), the lander's throw (nose elevation, azimuth, speed) and tip-off.
    site_lat_rad: float = math.radians(18.4446)
    site_lon_rad: float = math.radians(77.4509)
    site_elevation_m: float = -2500.0             # below the equatorial-radius sphere
    launch_azimuth_rad: float = math.radians(72.0)
    launch_elevation_rad: float = math.radians(40.0)
    eject_speed_mps: float = 4.0
    eject_height_m: float = 1.5
    tipoff_rate_radps: tuple[float, float, float] = (0.0, 0.08, 0.0)
    os_separation_speed_mps: float = 0.3
    include_j2: bool = True
    mars: MarsParams = MARS
    atmosphere: AtmosphereParams = ATMOSPHERE

    @property
    def gross_mass_kg(self) -> float:
        s1, s2 = self.stage1, self.stage2
        return s1.propellant_kg + s1.inert_kg + s2.propellant_kg + s2.inert_kg + self.payload_kg

    def ideal_delta_v(self) -> tuple[float, float]:
        s1, s2 = self.stage1, self.stage2
        m0 = self.gross_mass_kg
        dv1 = s1.isp_s * G0 * math.log(m0 / (m0 - s1.propellant_kg))
        m2 = m0 - s1.propellant_kg - s1.inert_kg
        dv2 = s2.isp_s * G0 * math.log(m2 / (m2 - s2.propellant_kg))
        return dv1, dv2


# --- quaternion helpers (w, x, y, z), plain floats ------------------------------------------------

def qrot(q, v):
    """Rotate body vector v into the inertial frame by unit quaternion q (body -> inertial)."""
    w, x, y, z = q
    vx, vy, vz = v
    tx = 2.0 * (y * vz - z * vy)
    ty = 2.0 * (z * vx - x * vz)
    tz = 2.0 * (x * vy - y * vx)
    return (vx + w * tx + (y * tz - z * ty), vy + w * ty + (z * tx - x * tz), vz + w * tz + (x * ty - y * tx))


def qrot_inv(q, v):
    """Rotate an inertial vector into the body frame."""
    return qrot((q[0], -q[1], -q[2], -q[3]), v)


def quat_from_axes(xb, yb, zb):
    """Quaternion body -> inertial from the body axes written in the inertial frame."""
    m00, m11, m22 = xb[0], yb[1], zb[2]   # R = [xb yb zb] as columns
    tr = m00 + m11 + m22
    if tr > 0:
        s = math.sqrt(tr + 1.0) * 2
        return (0.25 * s, (yb[2] - zb[1]) / s, (zb[0] - xb[2]) / s, (xb[1] - yb[0]) / s)
    if m00 > m11 and m00 > m22:
        s = math.sqrt(1.0 + m00 - m11 - m22) * 2
        return ((yb[2] - zb[1]) / s, 0.25 * s, (yb[0] + xb[1]) / s, (zb[0] + xb[2]) / s)
    if m11 > m22:
        s = math.sqrt(1.0 + m11 - m00 - m22) * 2
        return ((zb[0] - xb[2]) / s, (yb[0] + xb[1]) / s, 0.25 * s, (zb[1] + yb[2]) / s)
    s = math.sqrt(1.0 + m22 - m00 - m11) * 2
    return ((xb[1] - yb[0]) / s, (zb[0] + xb[2]) / s, (zb[1] + yb[2]) / s, 0.25 * s)


def _cross(a, b):
    return a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]


def _unit(a):
    n = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
    return a[0] / n, a[1] / n, a[2] / n


# --- the vehicle ------------------------------------------------------------------------------------

@dataclass
class _Motor:
    params: StageParams
    curve: ThrustCurve
    ignited_at_s: float | None = None
    cut: bool = False                      # separated while burning (thrust stops)

    def burn_time(self, t: float) -> float:
        return 0.0 if self.ignited_at_s is None else t - self.ignited_at_s

    def thrust(self, t: float) -> float:
        if self.ignited_at_s is None or self.cut:
            return 0.0
        return self.curve.thrust(t - self.ignited_at_s)

    def propellant_left(self, t: float) -> float:
        if self.ignited_at_s is None:
            return self.params.propellant_kg
        return self.params.propellant_kg * (1.0 - self.curve.impulse_fraction(t - self.ignited_at_s))


@dataclass
class AscentEvents:
    ejected_s: float | None = None
    ignition_s: list[float | None] = field(default_factory=lambda: [None, None])
    staged_s: float | None = None
    os_released_s: float | None = None
    crashed_s: float | None = None
    max_dynamic_pressure_Pa: float = 0.0


class AscentVehicle:
    """MAV 6-DOF state and its RK4 step. Controls are held constant over a physics step."""

    def __init__(self, params: AscentParams = AscentParams()):
        self.p = params
        self.motors = [_Motor(params.stage1, params.stage1.curve()), _Motor(params.stage2, params.stage2.curve())]
        self.stage1_attached = True
        self.os_attached = True
        self.stowed = True
        self.t = 0.0
        self.gimbal = [0.0, 0.0]          # actual pitch, yaw (rad)
        self.gimbal_cmd = [0.0, 0.0]
        self.rcs_force = (0.0, 0.0, 0.0)
        self.rcs_torque = (0.0, 0.0, 0.0)
        self.events = AscentEvents()
        self.os_state: tuple[float, ...] | None = None
        self.last_specific_force_body = (0.0, 0.0, 0.0)
        self._set_stowed_state(0.0)

    # --- geometry of the launch site ---------------------------------------------------------
    def _launch_axes(self, t: float):
        p = self.p
        r, v = surface_state_inertial(p.site_lat_rad, p.site_lon_rad, p.site_elevation_m + p.eject_height_m, t, p.mars)
        up = _unit(r)
        east = _unit(_cross((0.0, 0.0, 1.0), up))
        north = _cross(up, east)
        ca, sa = math.cos(p.launch_azimuth_rad), math.sin(p.launch_azimuth_rad)
        ce, se = math.cos(p.launch_elevation_rad), math.sin(p.launch_elevation_rad)
        horiz = tuple(ca * north[i] + sa * east[i] for i in range(3))
        xb = tuple(ce * horiz[i] + se * up[i] for i in range(3))
        yb = _unit(_cross(xb, up))
        zb = _cross(xb, yb)
        return r, v, xb, yb, zb

    def _set_stowed_state(self, t: float) -> None:
        r, v, xb, yb, zb = self._launch_axes(t)
        self.r, self.v = r, v
        self.q = quat_from_axes(xb, yb, zb)
        self.w = qrot_inv(self.q, (0.0, 0.0, self.p.mars.omega_radps))

    def eject(self) -> None:
        """The lander throws the MAV: velocity along the nose plus the surface velocity, tip-off rate."""
        if not self.stowed:
            return
        self.stowed = False
        xb = qrot(self.q, (1.0, 0.0, 0.0))
        s = self.p.eject_speed_mps
        self.v = tuple(self.v[i] + s * xb[i] for i in range(3))
        tip = self.p.tipoff_rate_radps
        self.w = tuple(self.w[i] + tip[i] for i in range(3))
        self.events.ejected_s = self.t

    def ignite(self, stage: int) -> bool:
        m = self.motors[stage]
        if self.stowed or m.ignited_at_s is not None or (stage == 0 and not self.stage1_attached):
            return False
        m.ignited_at_s = self.t
        self.events.ignition_s[stage] = self.t
        return True

    def separate_stage1(self) -> None:
        if self.stage1_attached:
            self.stage1_attached = False
            self.motors[0].cut = True
            self.events.staged_s = self.t

    def release_os(self) -> None:
        if self.os_attached and not self.stowed:
            self.os_attached = False
            xb = qrot(self.q, (1.0, 0.0, 0.0))
            s = self.p.os_separation_speed_mps
            self.os_state = tuple(self.r) + tuple(self.v[i] + s * xb[i] for i in range(3))
            self.events.os_released_s = self.t

    # --- mass properties ----------------------------------------------------------------------
    def mass(self, t: float | None = None) -> float:
        t = self.t if t is None else t
        p = self.p
        m = p.stage2.inert_kg + self.motors[1].propellant_left(t)
        if self.stage1_attached:
            m += p.stage1.inert_kg + self.motors[0].propellant_left(t)
        if self.os_attached:
            m += p.payload_kg
        return m

    def _inertia(self, m: float):
        p = self.p
        if self.stage1_attached:
            ref, m_ref = p.inertia_stack, p.gross_mass_kg
        else:
            ref, m_ref = p.inertia_upper, p.stage2.propellant_kg + p.stage2.inert_kg + p.payload_kg
        k = m / m_ref
        return ref[0] * k, ref[1] * k, ref[2] * k

    # --- dynamics -----------------------------------------------------------------------------
    def _thrust_body(self, t: float):
        """Thrust force (body) and its torque from the active motor(s)."""
        fx = fy = fz = 0.0
        ty = tz = 0.0
        for k, m in enumerate(self.motors):
            f = m.thrust(t)
            if f == 0.0:
                continue
            if m.params.has_tvc and self.stage1_attached:
                cp, sp = math.cos(self.gimbal[0]), math.sin(self.gimbal[0])
                cy, sy = math.cos(self.gimbal[1]), math.sin(self.gimbal[1])
                bx, by, bz = cp * cy, -sy, sp * cy
            else:
                bx, by, bz = 1.0, 0.0, 0.0
            fx += f * bx; fy += f * by; fz += f * bz
            lever = m.params.nozzle_lever_m
            ty += lever * f * bz
            tz += -lever * f * by
        return (fx, fy, fz), (0.0, ty, tz)

    def _deriv(self, t, r, v, q, w):
        p = self.p
        mars = p.mars
        x, y, z = r
        r2 = x * x + y * y + z * z
        rn = math.sqrt(r2)
        k = -mars.gm_m3ps2 / (r2 * rn)
        if p.include_j2:
            f = 1.5 * mars.j2 * mars.radius_eq_m ** 2 / r2
            zz = 5.0 * z * z / r2
            kxy, kz = k * (1.0 + f * (1.0 - zz)), k * (1.0 + f * (3.0 - zz))
        else:
            kxy = kz = k
        g = (kxy * x, kxy * y, kz * z)
        m = self.mass(t)
        fb, tb = self._thrust_body(t)
        fb = (fb[0] + self.rcs_force[0], fb[1] + self.rcs_force[1], fb[2] + self.rcs_force[2])
        fi = qrot(q, fb)
        # Drag against the air, which co-rotates with Mars.
        om = mars.omega_radps
        vr = (v[0] + om * y, v[1] - om * x, v[2])
        vrn = math.sqrt(vr[0] ** 2 + vr[1] ** 2 + vr[2] ** 2)
        qdyn = 0.5 * density(rn - mars.radius_eq_m, p.atmosphere) * vrn * vrn
        area = 0.25 * math.pi * p.diameter_m ** 2
        dk = -qdyn * p.drag_cd * area / (m * vrn) if vrn > 0 else 0.0
        a_ng = (fi[0] / m + dk * vr[0], fi[1] / m + dk * vr[1], fi[2] / m + dk * vr[2])
        acc = (g[0] + a_ng[0], g[1] + a_ng[1], g[2] + a_ng[2])
        # Attitude: quaternion kinematics and Euler's equations.
        qw, qx, qy, qz = q
        wx, wy, wz = w
        dq = (0.5 * (-qx * wx - qy * wy - qz * wz), 0.5 * (qw * wx + qy * wz - qz * wy),
              0.5 * (qw * wy + qz * wx - qx * wz), 0.5 * (qw * wz + qx * wy - qy * wx))
        ix, iy, iz = self._inertia(m)
        tq = (tb[0] + self.rcs_torque[0], tb[1] + self.rcs_torque[1], tb[2] + self.rcs_torque[2])
        dw = ((tq[0] - (iz - iy) * wy * wz) / ix, (tq[1] - (ix - iz) * wz * wx) / iy, (tq[2] - (iy - ix) * wx * wy) / iz)
        return v, acc, dq, dw, a_ng, qdyn

    def step(self, dt: float) -> None:
        # Gimbal actuator: rate-limited toward the (already clamped) command.
        lim = self.p.gimbal_rate_radps * dt
        for i in range(2):
            d = self.gimbal_cmd[i] - self.gimbal[i]
            self.gimbal[i] += max(-lim, min(lim, d))
        t0 = self.t
        if self.stowed:
            self.t = t0 + dt
            self._set_stowed_state(self.t)
            g = self._deriv(self.t, self.r, self.v, self.q, self.w)[1]
            om = self.p.mars.omega_radps
            a_surf = (-om * om * self.r[0], -om * om * self.r[1], 0.0)
            self.last_specific_force_body = qrot_inv(self.q, tuple(a_surf[i] - g[i] for i in range(3)))
            return
        if self.events.crashed_s is not None:
            self.t = t0 + dt
            return
        r, v, q, w = self.r, self.v, self.q, self.w

        def add(a, b, h):
            return tuple(a[i] + h * b[i] for i in range(len(a)))

        k1 = self._deriv(t0, r, v, q, w)
        h2 = 0.5 * dt
        k2 = self._deriv(t0 + h2, add(r, k1[0], h2), add(v, k1[1], h2), add(q, k1[2], h2), add(w, k1[3], h2))
        k3 = self._deriv(t0 + h2, add(r, k2[0], h2), add(v, k2[1], h2), add(q, k2[2], h2), add(w, k2[3], h2))
        k4 = self._deriv(t0 + dt, add(r, k3[0], dt), add(v, k3[1], dt), add(q, k3[2], dt), add(w, k3[3], dt))

        def comb(x, j):
            return tuple(x[i] + dt / 6.0 * (k1[j][i] + 2.0 * (k2[j][i] + k3[j][i]) + k4[j][i]) for i in range(len(x)))

        self.r, self.v, q, self.w = comb(r, 0), comb(v, 1), comb(q, 2), comb(w, 3)
        qn = math.sqrt(sum(c * c for c in q))
        self.q = tuple(c / qn for c in q)
        self.t = t0 + dt
        self.last_specific_force_body = qrot_inv(self.q, k4[4])
        self.events.max_dynamic_pressure_Pa = max(self.events.max_dynamic_pressure_Pa, k4[5])
        if self.altitude_above_site() < 0.0 and self.events.crashed_s is None:
            self.events.crashed_s = self.t

    # --- outputs ------------------------------------------------------------------------------
    def altitude_above_site(self) -> float:
        rn = math.sqrt(sum(c * c for c in self.r))
        return rn - (self.p.mars.radius_eq_m + self.p.site_elevation_m)

    def state(self) -> tuple[float, ...]:
        return tuple(self.r) + tuple(self.v)

    def elements(self) -> Elements:
        return state_to_elements(self.state(), self.p.mars.gm_m3ps2)

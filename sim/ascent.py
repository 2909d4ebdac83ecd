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

from sim.mars import ATMOSPHERE, MARS, AtmosphereParams, MarsParams, surface_state_inertial
from sim.orbit import Elements, state_to_elements
from fsw.numerics import fixed_sum

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
        area = fixed_sum(0.5 * (a[1] + b[1]) * (b[0] - a[0]) for a, b in zip(shape, shape[1:]))
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
    """Rotate body vector v into the inertial frame by unit quaternion q (body -> inertial).

    Kept apart from fsw.gnc.attitude.qrot on purpose: the truth model must not share the
    flight code's maths, or a bug there would be invisible in SIL."""
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

    coast_step_s: float = 1.0      # longest RK4 step without thrust (orbit: error ~1e-8 m)
    coast_turn_rad: float = 0.1    # ... and the most the body may turn in one such step
    coast_min_alt_m: float = 60e3  # ... and only this high above the site (drag, the ground)
    burn_turn_rad: float = 0.1     # the most the thrust axis may turn in one RK4 step of a burn
    spin_turn_rad: float = 0.2     # ... and the body about any axis (a spin about the thrust axis
                                   # moves no force: 35 s at 10 rad/s in 0.2 rad steps is 0.25 mrad
                                   # of attitude against a 0.5 ms reference)
    gimbal_merge_frac: float = 1.0 / 3.0   # a gimbal slew ending this early in a step is not split

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
        # constants of the hot path
        mars, atmo = params.mars, params.atmosphere
        self._mgm = -mars.gm_m3ps2
        self._j2f = 1.5 * mars.j2 * mars.radius_eq_m ** 2 if params.include_j2 else 0.0
        self._omega = mars.omega_radps
        self._re = mars.radius_eq_m
        self._rho0, self._hscale = atmo.rho0_kgpm3, atmo.scale_height_m
        self._cda = params.drag_cd * 0.25 * math.pi * params.diameter_m ** 2
        self._m_ref_stack = params.gross_mass_kg
        self._m_ref_upper = params.stage2.propellant_kg + params.stage2.inert_kg + params.payload_kg
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

    def _forcing(self, t: float, gimbal=None) -> tuple[float, ...]:
        """What drives the body at time t with the controls held: mass, body force (thrust +
        RCS), body torque, principal inertia. (The same as mass(), _thrust_body() and
        _inertia(), with one thrust-curve lookup per burning motor: this is the hot path.)"""
        p = self.p
        m = p.stage2.inert_kg + (p.payload_kg if self.os_attached else 0.0)
        s1 = self.stage1_attached
        if s1:
            m += p.stage1.inert_kg
        fx = fy = fz = ty = tz = 0.0
        for k, mot in enumerate(self.motors):
            if k == 0 and not s1:
                continue
            mp = mot.params
            ign = mot.ignited_at_s
            if ign is None:
                m += mp.propellant_kg
                continue
            c = mot.curve
            tau = t - ign
            if tau >= c.burn_time_s:
                continue
            if tau <= 0.0:
                m += mp.propellant_kg
                continue
            i = c._seg(tau)
            w = (tau - c.t[i]) / (c.t[i + 1] - c.t[i])
            f = c.f[i] + w * (c.f[i + 1] - c.f[i])
            m += mp.propellant_kg * (1.0 - (c._cum[i] + 0.5 * (c.f[i] + f) * (tau - c.t[i])) / c.total_impulse_Ns)
            if mot.cut:
                continue
            if mp.has_tvc and s1:
                g0, g1 = self.gimbal if gimbal is None else gimbal
                cp, sp, cy, sy = math.cos(g0), math.sin(g0), math.cos(g1), math.sin(g1)
                bx, by, bz = cp * cy, -sy, sp * cy
                fx += f * bx; fy += f * by; fz += f * bz
                lever = mp.nozzle_lever_m
                ty += lever * f * bz
                tz -= lever * f * by
            else:
                fx += f
        rf, rt = self.rcs_force, self.rcs_torque
        if s1:
            ref, m_ref = p.inertia_stack, self._m_ref_stack
        else:
            ref, m_ref = p.inertia_upper, self._m_ref_upper
        k = m / m_ref
        return (m, fx + rf[0], fy + rf[1], fz + rf[2], rt[0], ty + rt[1], tz + rt[2],
                ref[0] * k, ref[1] * k, ref[2] * k)

    def _deriv(self, s, f):
        """Derivative of the state s = (x, y, z, vx, vy, vz, qw, qx, qy, qz, wx, wy, wz) under
        the forcing f (`_forcing`); also the inertial non-gravitational acceleration and the
        dynamic pressure. Plain float arithmetic: this is the hot path of the simulator."""
        x, y, z, vx, vy, vz, qw, qx, qy, qz, wx, wy, wz = s
        m, fbx, fby, fbz, tqx, tqy, tqz, ix, iy, iz = f
        # gravity: point mass + J2
        r2 = x * x + y * y + z * z
        rn = math.sqrt(r2)
        k = self._mgm / (r2 * rn)
        if self._j2f:
            fj = self._j2f / r2
            zz = 5.0 * z * z / r2
            kxy, kz = k * (1.0 + fj * (1.0 - zz)), k * (1.0 + fj * (3.0 - zz))
        else:
            kxy = kz = k
        # body force to inertial (q rotates body -> inertial)
        tx = 2.0 * (qy * fbz - qz * fby)
        ty = 2.0 * (qz * fbx - qx * fbz)
        tz = 2.0 * (qx * fby - qy * fbx)
        fix = fbx + qw * tx + (qy * tz - qz * ty)
        fiy = fby + qw * ty + (qz * tx - qx * tz)
        fiz = fbz + qw * tz + (qx * ty - qy * tx)
        # drag against the air, which co-rotates with Mars
        om = self._omega
        vrx, vry = vx + om * y, vy - om * x
        vrn = math.sqrt(vrx * vrx + vry * vry + vz * vz)
        alt = rn - self._re
        qdyn = 0.5 * self._rho0 * math.exp(-(alt if alt > -10e3 else -10e3) / self._hscale) * vrn * vrn
        dk = -qdyn * self._cda / (m * vrn) if vrn > 0.0 else 0.0
        inv_m = 1.0 / m
        angx = fix * inv_m + dk * vrx
        angy = fiy * inv_m + dk * vry
        angz = fiz * inv_m + dk * vz
        return ((vx, vy, vz, kxy * x + angx, kxy * y + angy, kz * z + angz,
                 0.5 * (-qx * wx - qy * wy - qz * wz), 0.5 * (qw * wx + qy * wz - qz * wy),
                 0.5 * (qw * wy + qz * wx - qx * wz), 0.5 * (qw * wz + qx * wy - qy * wx),
                 (tqx - (iz - iy) * wy * wz) / ix, (tqy - (ix - iz) * wz * wx) / iy,
                 (tqz - (iy - ix) * wx * wy) / iz),
                (angx, angy, angz), qdyn)

    def _rk4(self, h: float, g0: list[float] | None = None) -> None:
        """One RK4 step of h seconds with the commands (gimbal, RCS) held; the gimbal slews
        toward its command at its rate limit during the step (a ramp, not a jump). `g0`: the
        gimbal the first node sees instead of the actual one (`step`: a slew that ends early
        in the step, folded into the step rather than split off)."""
        t0 = self.t
        s = (*self.r, *self.v, *self.q, *self.w)
        if self.burning():
            g = self.gimbal if g0 is None else g0
            gm = self._gimbal_after(0.5 * h)
            self._move_gimbal(h)
            f0 = self._forcing(t0, g)
            fm = self._forcing(t0 + 0.5 * h, gm)
            f1 = self._forcing(t0 + h)
        else:   # no thrust: mass and forces are constant over the step
            self._move_gimbal(h)
            f0 = fm = f1 = self._forcing(t0)
        h2 = 0.5 * h
        deriv = self._deriv
        k1 = deriv(s, f0)[0]
        k2 = deriv([a + h2 * b for a, b in zip(s, k1)], fm)[0]
        k3 = deriv([a + h2 * b for a, b in zip(s, k2)], fm)[0]
        k4, a_ng, qdyn = deriv([a + h * b for a, b in zip(s, k3)], f1)
        h6 = h / 6.0
        n = [a + h6 * (b1 + 2.0 * (b2 + b3) + b4) for a, b1, b2, b3, b4 in zip(s, k1, k2, k3, k4)]
        self.r, self.v, self.w = (n[0], n[1], n[2]), (n[3], n[4], n[5]), (n[10], n[11], n[12])
        qn = 1.0 / math.sqrt(n[6] * n[6] + n[7] * n[7] + n[8] * n[8] + n[9] * n[9])
        self.q = (n[6] * qn, n[7] * qn, n[8] * qn, n[9] * qn)
        self.t = t0 + h
        self.last_specific_force_body = qrot_inv(self.q, a_ng)
        if qdyn > self.events.max_dynamic_pressure_Pa:
            self.events.max_dynamic_pressure_Pa = qdyn
        if self.altitude_above_site() < 0.0 and self.events.crashed_s is None:
            self.events.crashed_s = self.t

    def _gimbal_after(self, dt: float) -> list[float]:
        """Gimbal angles dt from now: rate-limited toward the (already clamped) command."""
        lim = self.p.gimbal_rate_radps * dt
        out = []
        for g, c in zip(self.gimbal, self.gimbal_cmd):
            d = c - g
            out.append(g + (lim if d > lim else (-lim if d < -lim else d)))
        return out

    def _move_gimbal(self, dt: float) -> None:
        self.gimbal = self._gimbal_after(dt)

    def _stowed_until(self, t: float) -> None:
        """On the lander: the state is the site's, turning with Mars; the IMU feels the
        reaction of the deck (minus gravity, plus the centripetal acceleration)."""
        self.t = t
        self._set_stowed_state(t)
        x, y, z = self.r
        r2 = x * x + y * y + z * z
        k = self._mgm / (r2 * math.sqrt(r2))
        fj = self._j2f / r2
        zz = 5.0 * z * z / r2
        g = (k * (1.0 + fj * (1.0 - zz)) * x, k * (1.0 + fj * (1.0 - zz)) * y, k * (1.0 + fj * (3.0 - zz)) * z)
        om = self.p.mars.omega_radps
        a_surf = (-om * om * x, -om * om * y, 0.0)
        self.last_specific_force_body = qrot_inv(self.q, tuple(a_surf[i] - g[i] for i in range(3)))

    def step(self, dt: float) -> None:
        """One physics step of dt seconds (RK4 on the 6-DOF state), commands held."""
        if self.stowed or self.events.crashed_s is not None:
            self._move_gimbal(dt)
        if self.stowed:
            self._stowed_until(self.t + dt)
            return
        if self.events.crashed_s is not None:
            self.t += dt
            return
        if not self.burning():
            self._rk4(dt)
            return
        knots = self._knots(dt)
        arrive = self._gimbal_arrival() if self.stage1_attached else 0.0   # TVC: stage 1 only
        h = knots[0] if knots else dt   # the first smooth piece
        if 0.0 < arrive <= self.gimbal_merge_frac * h:
            # a slew that ends early in the piece (the usual small correction each tick): fold
            # it in. RK4 weighs its first node by h/6; the ramp's impulse is that of the old
            # gimbal held arrive/2, so the first node sees the command plus 3*arrive/h of the
            # old offset (exact to first order in the slew; one RK4 step, not two)
            g, c = self.gimbal, self.gimbal_cmd
            w = 3.0 * arrive / h
            self._rk4(h, [c[0] + w * (g[0] - c[0]), c[1] + w * (g[1] - c[1])])
            t = h
        else:
            t = 0.0
            if arrive > 1e-9:
                knots = sorted(knots + [arrive])
        for e in knots:
            if e - t > 1e-9 and e < dt - 1e-9:
                self._rk4(e - t)
                t = e
        if dt - t > 1e-9:
            self._rk4(dt - t)

    def _gimbal_arrival(self) -> float:
        """Seconds until the gimbal meets its command, slewing at its rate limit (the axis
        that arrives last); 0 when it is there."""
        return max(abs(c - g) for c, g in zip(self.gimbal_cmd, self.gimbal)) / self.p.gimbal_rate_radps

    def _knots(self, dt: float) -> list[float]:
        """Times within the next dt where a burning motor's thrust curve has a knot. Splitting
        the step there (and where a long gimbal slew ends) gives RK4 smooth forcing on each
        piece: at a 20 ms step, 3 mm/s after the stage-1 burn against a 2.5 ms reference,
        where a gimbal held over each 10 ms step was 35 mm/s off."""
        out: list[float] = []
        t = self.t
        for m in self.motors:
            if m.ignited_at_s is not None and not m.cut:
                tau = t - m.ignited_at_s
                out.extend(k - tau for k in m.curve.t if 0.0 < k - tau < dt)
        out.sort()
        return out

    def burning(self) -> bool:
        """A motor is producing thrust now (ignited, not cut, not burnt out)."""
        t = self.t
        for m in self.motors:
            if m.ignited_at_s is not None and not m.cut and t - m.ignited_at_s < m.curve.burn_time_s:
                return True
        return False

    def advance(self, n: int, dt: float) -> None:
        """Advance n physics steps of dt with the controls held (what a plant does between two
        flight-software ticks). While a motor burns: n RK4 steps of dt, split where the forcing
        bends (`step`) and while spinning fast (`burn_turn_rad`). Otherwise the forces
        are smooth (gravity, drag, constant RCS): the same equations take RK4 steps as long as
        `coast_step_s` allows, short enough that the body turns by at most `coast_turn_rad`
        per step (never shorter than 1 ms). On the lander or after a crash the state is set
        directly."""
        total = n * dt
        if self.stowed or self.events.crashed_s is not None:
            self._move_gimbal(total)
            if self.stowed:
                self._stowed_until(self.t + total)
            else:
                self.t += total
            return
        if self.burning():
            # grid steps, split further while the thrust axis (body x) turns fast or the body
            # spins very fast (the 10 rad/s spin of stage 2 is one 0.2 rad step per 20 ms)
            wx, wy, wz = self.w
            k = max(1, math.ceil(dt * math.sqrt(wy * wy + wz * wz) / self.burn_turn_rad - 1e-9),
                    math.ceil(dt * math.sqrt(wx * wx + wy * wy + wz * wz) / self.spin_turn_rad - 1e-3))
            h = dt / k
            for _ in range(n * k):
                self.step(h)
            return
        if self.altitude_above_site() < self.coast_min_alt_m:
            for _ in range(n):
                self._rk4(dt)
            return
        left = total
        while left > 1e-12:
            h = max(1e-3, self._coast_step())
            k = math.ceil(left / h - 1e-9)
            h = left / k
            self._rk4(h)
            left = 0.0 if k == 1 else left - h

    def _coast_step(self) -> float:
        """Longest RK4 step (<= coast_step_s) in which the RCS force's direction turns by at
        most coast_turn_rad and the body by at most spin_turn_rad, given the body rate and
        the RCS angular acceleration (with no RCS force the orbit does not feel the attitude)."""
        wx, wy, wz = self.w
        ix, iy, iz = self._inertia(self.mass())
        tq, fb = self.rcs_torque, self.rcs_force
        ax, ay, az = tq[0] / ix, tq[1] / iy, tq[2] / iz
        h = min(self.coast_step_s,
                _turn_limited_step(math.sqrt(wx * wx + wy * wy + wz * wz),
                                   math.sqrt(ax * ax + ay * ay + az * az), self.spin_turn_rad))
        fn = math.sqrt(fb[0] * fb[0] + fb[1] * fb[1] + fb[2] * fb[2])
        if fn > 0.0:   # |w x f|/|f|: how fast the force's direction turns
            ux, uy, uz = fb[0] / fn, fb[1] / fn, fb[2] / fn
            w_f = math.sqrt((wy * uz - wz * uy) ** 2 + (wz * ux - wx * uz) ** 2 + (wx * uy - wy * ux) ** 2)
            a_f = math.sqrt((ay * uz - az * uy) ** 2 + (az * ux - ax * uz) ** 2 + (ax * uy - ay * ux) ** 2)
            h = min(h, _turn_limited_step(w_f, a_f, self.coast_turn_rad))
        return h

    # --- outputs ------------------------------------------------------------------------------
    def altitude_above_site(self) -> float:
        x, y, z = self.r
        return math.sqrt(x * x + y * y + z * z) - (self._re + self.p.site_elevation_m)

    def state(self) -> tuple[float, ...]:
        return tuple(self.r) + tuple(self.v)

    def elements(self) -> Elements:
        return state_to_elements(self.state(), self.p.mars.gm_m3ps2)


def _turn_limited_step(w: float, a: float, turn: float) -> float:
    """Longest step in which an angle starting at rate w with acceleration a grows by turn."""
    if a > 0.0:
        return (math.sqrt(w * w + 2.0 * a * turn) - w) / a
    return turn / w if w > 0.0 else math.inf

"""MAV ascent guidance for two solid stages that burn to depletion.

The problem: neither motor can be throttled or cut off, so the orbit is set by *where the
thrust points* and *when stage 2 lights*, and the guidance must spend exactly the energy
the orbit needs and waste the rest. The approach, in three phases:

1. **Stage 1 (TVC, closed loop).** After the tip-off and an open-loop pitch program through
   the dense lower atmosphere (`pitch_program`), the thrust direction follows a linear
   tangent law, tan(theta) = A + B tau (theta is the elevation above a horizontal fixed at the
   solve, tau the time from now), plus a constant out-of-plane component C. `Stage1Solver`
   finds (A, B, C) by Newton iteration on an onboard predictor (RK2 point-mass gravity,
   the motor's nominal thrust curve rescaled to the *measured* acceleration, in the manner
   of Powered Explicit Guidance) so that at burnout the coast orbit has
   - apoapsis exactly at the target radius, with
   - the apoapsis speed that stage 2's known delta-v turns into a circular orbit
     (targets: specific energy and angular momentum of that transfer ellipse), and
   - the target inclination.
   Two in-plane targets for two steering parameters of a fixed-impulse burn: surplus energy
   (a hot motor, a light vehicle) is burnt off by lofting, which the solver picks on its
   own. Solved at 1-2 Hz, warm-started from the previous solution.
2. **Guided coast and spin-up.** The spin-stabilised stage 2 holds the attitude set at
   spin-up, so its free variables are that inertial direction (elevation alpha, out-of-plane
   beta) and the ignition time. `Stage2Planner` solves all three from the navigated coast
   state (Kepler-propagated to ignition, then the burn integrated), targeting at burnout the
   target radius, zero radial velocity and the target inclination: the burnout point becomes
   an apsis at the target radius. What remains is the energy error (stage 2's delta-v
   against the speed it finds there), which stage 1's targeting kept small and the trim
   removes. It is re-solved during the coast and frozen at spin-up.
3. **Orbit insertion trims (RCS).** Stage 2's delta-v carries the motor's dispersion (mass,
   specific impulse) and the burnout radius carries stage 1's apoapsis error. After
   burnout and despin, `insertion_trim` makes the current point an apsis whose far side
   is at the target radius (in the target-inclination plane); half an orbit later a second
   trim circularises there. Both are flown closed loop on the navigated velocity by the
   RCS within a budget; a few m/s per km of error, so dispersions cost little.

All arithmetic is on float tuples; onboard constants (GM, stage models) are parameters.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

from fsw.gnc.kepler import (Vec, apsides, cross, dot, norm, plane_normal, propagate,
                            time_to_apoapsis, unit)
from fsw.numerics import fixed_sum


# Nominal solid-motor thrust shape (fraction of burn time, relative thrust); the flight copy
# of the motor's qualification curve. Parameters, not physics: the simulator has its own.
DEFAULT_THRUST_SHAPE = ((0.0, 0.0), (0.02, 1.1), (0.1, 1.05), (0.6, 1.0), (0.9, 0.9),
                        (0.97, 0.4), (1.0, 0.0))


@dataclass(frozen=True)
class StageModel:
    """Onboard model of a solid stage: exhaust velocity, nominal burn time, masses and the
    nominal thrust shape. A motor running hot (scale k > 1) is modelled as the same impulse
    delivered k times faster: F(t) = k F_nom(k t)."""

    ve_mps: float
    burn_time_s: float
    mass_ignition_kg: float   # whole vehicle at ignition of this stage
    mass_burnout_kg: float    # whole vehicle at burnout of this stage
    shape: tuple[tuple[float, float], ...] = DEFAULT_THRUST_SHAPE

    @property
    def delta_v(self) -> float:
        return self.ve_mps * math.log(self.mass_ignition_kg / self.mass_burnout_kg)

    @property
    def propellant_kg(self) -> float:
        return self.mass_ignition_kg - self.mass_burnout_kg

    def _tables(self):
        cache = self.__dict__.get("_cache")
        if cache is None:
            xs = [p[0] for p in self.shape]
            fs = [p[1] for p in self.shape]
            area = fixed_sum(0.5 * (fs[i] + fs[i + 1]) * (xs[i + 1] - xs[i]) for i in range(len(xs) - 1))
            f_scale = self.propellant_kg * self.ve_mps / (area * self.burn_time_s)
            ts = [x * self.burn_time_s for x in xs]
            fn = [f * f_scale for f in fs]
            cum = [0.0]
            for i in range(1, len(ts)):
                cum.append(cum[-1] + 0.5 * (fn[i - 1] + fn[i]) * (ts[i] - ts[i - 1]))
            cache = (ts, fn, cum, cum[-1])
            object.__setattr__(self, "_cache", cache)
        return cache

    def thrust_and_mass(self, t: float, k: float = 1.0) -> tuple[float, float]:
        """Nominal thrust (N) and vehicle mass (kg) at burn time t for a motor scale k."""
        ts, fn, cum, total = self._tables()
        tau = t * k
        if tau <= 0.0:
            return 0.0, self.mass_ignition_kg
        if tau >= ts[-1]:
            return 0.0, self.mass_burnout_kg
        i = 0
        while ts[i + 1] < tau:
            i += 1
        w = (tau - ts[i]) / (ts[i + 1] - ts[i])
        f = fn[i] + w * (fn[i + 1] - fn[i])
        imp = cum[i] + 0.5 * (fn[i] + f) * (tau - ts[i])
        return k * f, self.mass_ignition_kg - self.propellant_kg * imp / total

    def knots(self, k: float = 1.0) -> list[float]:
        """Burn times where the thrust curve bends (integration steps must not straddle them)."""
        return [t / k for t in self._tables()[0]]

    def accel(self, t: float, k: float = 1.0) -> float:
        f, m = self.thrust_and_mass(t, k)
        return f / m

    def accel_ignition(self, k: float = 1.0) -> float:
        return self.accel(0.1 * self.burn_time_s / k, k)


@dataclass(frozen=True)
class AscentTarget:
    radius_m: float
    inclination_rad: float
    gm: float

    @property
    def circular_speed(self) -> float:
        return math.sqrt(self.gm / self.radius_m)

    def transfer_targets(self, dv2: float) -> tuple[float, float]:
        """Energy and angular momentum of the coast ellipse whose apoapsis is the target
        radius and whose apoapsis speed stage 2's delta-v raises to circular."""
        va = self.circular_speed - dv2
        return 0.5 * va * va - self.gm / self.radius_m, self.radius_m * va


def pitch_program(t_s: float, table: Sequence[tuple[float, float]]) -> float:
    """Elevation above the local horizontal (rad) at time `t_s` after stage-1 ignition,
    linearly interpolated in a table of (time s, elevation deg) points."""
    if t_s <= table[0][0]:
        return math.radians(table[0][1])
    for (t0, e0), (t1, e1) in zip(table, table[1:]):
        if t_s <= t1:
            return math.radians(e0 + (e1 - e0) * (t_s - t0) / (t1 - t0))
    return math.radians(table[-1][1])


def guidance_frame(r: Sequence[float], v: Sequence[float], inclination_rad: float) -> tuple[Vec, Vec, Vec]:
    """(e_r up, e_t downrange, n plane normal): the target-inclination plane through r."""
    n = plane_normal(r, inclination_rad, unit(cross(r, v)))
    e_r = unit(r)
    e_t = cross(n, e_r)
    return e_r, e_t, n


def steering_direction(e_r: Vec, e_t: Vec, n: Vec, tan_theta: float, c: float) -> Vec:
    """Unit thrust direction at elevation atan(tan_theta) in the (e_t, e_r) plane plus c * n."""
    ct = 1.0 / math.sqrt(1.0 + tan_theta * tan_theta)
    st = tan_theta * ct
    x = ct * e_t[0] + st * e_r[0] + c * n[0]
    y = ct * e_t[1] + st * e_r[1] + c * n[1]
    z = ct * e_t[2] + st * e_r[2] + c * n[2]
    k = 1.0 / math.sqrt(x * x + y * y + z * z)
    return x * k, y * k, z * k


def predict_burn(r: Sequence[float], v: Sequence[float], gm: float, stage: StageModel,
                 k: float, t0: float, t_burn: float, frame: tuple[Vec, Vec, Vec], a: float,
                 b: float, c: float, max_step_s: float = 2.0) -> tuple[Vec, Vec]:
    """State after `t_burn` more seconds of a burn that has run `t0` s: point-mass gravity,
    thrust acceleration from the stage model at motor scale k, direction from the linear
    tangent (a + b t, t from now) plus out-of-plane c. Midpoint (RK2) steps <= max_step_s."""
    if t_burn <= 0.0:
        return tuple(r), tuple(v)
    e_r, e_t, n = frame
    acc = stage.accel
    # steps end on the thrust-curve knots: midpoint steps across a kink lose ~1 % of delta-v
    edges = [0.0] + [kt - t0 for kt in stage.knots(k) if 0.0 < kt - t0 < t_burn] + [t_burn]
    hs: list[float] = []
    for a0, a1 in zip(edges, edges[1:]):
        m = max(1, int(math.ceil((a1 - a0) / max_step_s)))
        hs.extend([(a1 - a0) / m] * m)
    x, y, z = r
    vx, vy, vz = v
    sqrt = math.sqrt
    t = 0.0
    for h in hs:
        r2 = x * x + y * y + z * z
        kg = -gm / (r2 * sqrt(r2))
        at = acc(t0 + t, k)
        u = steering_direction(e_r, e_t, n, a + b * t, c)
        ax = kg * x + at * u[0]; ay = kg * y + at * u[1]; az = kg * z + at * u[2]
        hh = 0.5 * h
        xm = x + hh * vx; ym = y + hh * vy; zm = z + hh * vz
        vxm = vx + hh * ax; vym = vy + hh * ay; vzm = vz + hh * az
        tm = t + hh
        r2 = xm * xm + ym * ym + zm * zm
        kg = -gm / (r2 * sqrt(r2))
        at = acc(t0 + tm, k)
        u = steering_direction(e_r, e_t, n, a + b * tm, c)
        x += h * vxm; y += h * vym; z += h * vzm
        vx += h * (kg * xm + at * u[0]); vy += h * (kg * ym + at * u[1]); vz += h * (kg * zm + at * u[2])
        t += h
    return (x, y, z), (vx, vy, vz)


def solve_linear(m: list[list[float]], rhs: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting for the small systems guidance solves."""
    n = len(rhs)
    a = [row[:] + [rhs[i]] for i, row in enumerate(m)]
    for col in range(n):
        piv = max(range(col, n), key=lambda i: abs(a[i][col]))
        if abs(a[piv][col]) < 1e-300:
            raise ZeroDivisionError("singular guidance Jacobian")
        a[col], a[piv] = a[piv], a[col]
        for i in range(col + 1, n):
            f = a[i][col] / a[col][col]
            for j in range(col, n + 1):
                a[i][j] -= f * a[col][j]
    out = [0.0] * n
    for i in range(n - 1, -1, -1):
        out[i] = (a[i][n] - fixed_sum(a[i][j] * out[j] for j in range(i + 1, n))) / a[i][i]
    return out


def newton(residual: Callable[[list[float]], list[float]], x0: Sequence[float],
           steps: Sequence[float], max_step: Sequence[float], iterations: int,
           tol: Sequence[float]) -> tuple[list[float], list[float], bool]:
    """Damped Newton with forward-difference Jacobian; returns (x, residual, converged).

    Each update is clipped to `max_step` per variable so a poor first guess cannot throw the
    solution off; a singular Jacobian ends the iteration with the best point so far."""
    x = list(x0)
    f = residual(x)
    n = len(x)
    for _ in range(iterations):
        if all(abs(fi) <= ti for fi, ti in zip(f, tol)):
            return x, f, True
        jac = [[0.0] * n for _ in range(n)]
        for j in range(n):
            xp = x[:]
            xp[j] += steps[j]
            fp = residual(xp)
            for i in range(n):
                jac[i][j] = (fp[i] - f[i]) / steps[j]
        try:
            dx = solve_linear(jac, [-fi for fi in f])
        except ZeroDivisionError:
            break
        scale = 1.0
        for j in range(n):
            if abs(dx[j]) * scale > max_step[j]:
                scale = max_step[j] / abs(dx[j])
        x = [x[j] + scale * dx[j] for j in range(n)]
        f = residual(x)
    return x, f, all(abs(fi) <= ti for fi, ti in zip(f, tol))


@dataclass
class Stage1Solution:
    a: float
    b: float
    c: float
    converged: bool
    residual: tuple[float, ...]
    frame: tuple[Vec, Vec, Vec]

    def direction(self, tau: float = 0.0) -> Vec:
        return steering_direction(*self.frame, self.a + self.b * tau, self.c)


class Stage1Solver:
    """Linear-tangent steering for the TVC stage; keep one instance and call `solve` at a
    low rate: it warm-starts from its previous solution (shifted to the new time)."""

    def __init__(self, target: AscentTarget, stage1: StageModel, stage2_dv: float) -> None:
        self.target = target
        self.stage1 = stage1
        self.e_star, self.h_star = target.transfer_targets(stage2_dv)
        self.cos_i = math.cos(target.inclination_rad)
        self.last: Stage1Solution | None = None
        self._last_t: float | None = None

    def residual_at(self, r: Vec, v: Vec, t_burn: float, k: float, frame, x) -> list[float]:
        t_rem = self.stage1.burn_time_s / k - t_burn
        rb, vb = predict_burn(r, v, self.target.gm, self.stage1, k, t_burn, t_rem, frame,
                              x[0], x[1], x[2])
        hv = cross(rb, vb)
        h = norm(hv)
        energy = 0.5 * dot(vb, vb) - self.target.gm / norm(rb)
        return [(energy - self.e_star) / 1e4, (h - self.h_star) / 1e8, (hv[2] / h - self.cos_i) * 100.0]

    def solve(self, t_s: float, r: Vec, v: Vec, t_burn: float, k: float = 1.0,
              initial_elevation: float = 0.3, iterations: int = 4) -> Stage1Solution:
        """Solve at onboard time t_s from the navigated state, `t_burn` s after ignition,
        for a motor running at scale k (measured acceleration / nominal)."""
        frame = guidance_frame(r, v, self.target.inclination_rad)
        if self.last is not None and self._last_t is not None:
            x0 = [self.last.a + self.last.b * (t_s - self._last_t), self.last.b, self.last.c]
        else:
            x0 = [math.tan(initial_elevation), -0.005, 0.0]
        x, f, ok = newton(lambda x: self.residual_at(r, v, t_burn, k, frame, x), x0,
                          steps=(1e-3, 1e-5, 1e-4), max_step=(0.5, 0.02, 0.1),
                          iterations=iterations, tol=(0.05, 0.05, 0.01))
        x[2] = max(-0.5, min(0.5, x[2]))
        sol = Stage1Solution(x[0], x[1], x[2], ok, tuple(f), frame)
        self.last, self._last_t = sol, t_s
        return sol


@dataclass
class Stage2Plan:
    t_ignition_s: float      # absolute onboard time of stage-2 ignition
    direction: Vec           # inertial thrust direction held by the spinning stage
    elevation_rad: float
    out_of_plane_rad: float
    converged: bool
    predicted_periapsis_m: float
    predicted_apoapsis_m: float


class Stage2Planner:
    """Ignition time and fixed attitude of the spin-stabilised stage 2 (see module doc)."""

    def __init__(self, target: AscentTarget, stage2: StageModel) -> None:
        self.target = target
        self.stage2 = stage2
        self.last: Stage2Plan | None = None

    def _burn(self, r: Vec, v: Vec, dt_ig: float, x: Sequence[float]):
        gm = self.target.gm
        ri, vi = propagate(r, v, dt_ig, gm)
        frame = guidance_frame(ri, vi, self.target.inclination_rad)
        e_r, e_t, n = frame
        ca = math.cos(x[0])
        sa = math.sin(x[0])
        cb = math.cos(x[1])
        sb = math.sin(x[1])
        u = tuple(cb * (ca * e_t[i] + sa * e_r[i]) + sb * n[i] for i in range(3))
        # constant direction: express as elevation-free frame (e_t := u, b = 0, c = 0)
        s2 = self.stage2
        rb, vb = predict_burn(ri, vi, gm, s2, 1.0, 0.0, s2.burn_time_s, (e_r, u, n), 0.0, 0.0, 0.0)
        return rb, vb, u

    def _residual(self, r: Vec, v: Vec, x: Sequence[float]) -> list[float]:
        gm = self.target.gm
        rb, vb, _ = self._burn(r, v, x[2], x)
        rn = norm(rb)
        energy = 0.5 * dot(vb, vb) - gm / rn
        hv = cross(rb, vb)
        return [(rn - self.target.radius_m) / 100.0,
                dot(rb, vb) / rn,
                (hv[2] / norm(hv) - math.cos(self.target.inclination_rad)) * 100.0]

    def plan(self, t_s: float, r: Vec, v: Vec, iterations: int = 6) -> Stage2Plan:
        """Plan from the navigated coast state (r, v) at onboard time t_s."""
        if self.last is not None:
            x0 = [self.last.elevation_rad, self.last.out_of_plane_rad,
                  max(0.0, self.last.t_ignition_s - t_s)]
        else:
            t_apo = time_to_apoapsis_or_zero(r, v, self.target.gm)
            x0 = [0.0, 0.0, max(0.0, t_apo - 0.5 * self.stage2.burn_time_s)]
        x, f, ok = newton(lambda x: self._residual(r, v, x), x0, steps=(1e-4, 1e-4, 0.05),
                          max_step=(0.2, 0.05, 60.0), iterations=iterations,
                          tol=(0.5, 0.2, 0.01))
        x[2] = max(0.0, x[2])
        rb, vb, u = self._burn(r, v, x[2], x)
        ap = apsides(rb, vb, self.target.gm)
        plan = Stage2Plan(t_s + x[2], u, x[0], x[1], ok, ap.periapsis_m, ap.apoapsis_m)
        self.last = plan
        return plan


def time_to_apoapsis_or_zero(r: Vec, v: Vec, gm: float) -> float:
    try:
        return time_to_apoapsis(r, v, gm)
    except ValueError:
        return 0.0


def insertion_trim(r: Vec, v: Vec, target: AscentTarget, other_apsis_m: float | None = None) -> Vec:
    """Impulse (inertial, m/s) that makes the current point an apsis of an orbit in the
    target-inclination plane whose other apsis is `other_apsis_m` (default: the target
    radius). Two such trims half an orbit apart (first to raise or lower the far side to
    the target radius, then to circularise there) fix both apsides whatever the burnout
    radius was; a single one suffices when the burnout radius is already on target."""
    rn = norm(r)
    ro = target.radius_m if other_apsis_m is None else other_apsis_m
    speed2 = target.gm * (2.0 / rn - 2.0 / (rn + ro))
    speed = math.sqrt(max(0.0, speed2))
    _, e_t, _ = guidance_frame(r, v, target.inclination_rad)
    return (speed * e_t[0] - v[0], speed * e_t[1] - v[1], speed * e_t[2] - v[2])


__all__ = ["StageModel", "AscentTarget", "pitch_program", "guidance_frame", "steering_direction",
           "predict_burn", "newton", "solve_linear", "Stage1Solver", "Stage1Solution",
           "Stage2Plan", "Stage2Planner", "insertion_trim"]

"""Powered-descent guidance: Apollo-style quadratic-acceleration polynomial, then terminal descent.

Approach phase: each guidance cycle the commanded acceleration is the first term of the
quadratic acceleration profile that meets the target position, velocity and acceleration at
time-to-go `tgo` (Klumpp's lunar-descent guidance):

    a_cmd = a_f - 6 (v_f + v) / tgo + 12 (r_f - r) / tgo^2

The thrust is m (a_cmd - g), its magnitude clipped to the engines' throttle range and its
tilt from vertical limited. `tgo` is chosen once, as the shortest time whose planned profile
stays inside the throttle range, and then counts down. The target is a "low gate" a few tens
of metres above the chosen site, reached at a small descent rate; from there the terminal
phase descends vertically at constant speed, nulling horizontal position and velocity, until
the legs sense contact.

Frames: local, x east, y north, z up (m); g = (0, 0, -g_mars).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

G_MARS = 3.71  # MSR_FACTS.md


@dataclass(frozen=True)
class EngineLimits:
    """Descent-engine cluster: 12 throttleable engines, collective (estimate, MSL-class engines)."""

    max_thrust_N: float = 12 * 3_100.0
    min_throttle: float = 0.10
    max_tilt_deg: float = 40.0

    @property
    def min_thrust_N(self) -> float:
        return self.min_throttle * self.max_thrust_N


@dataclass(frozen=True)
class DescentTarget:
    site_m: tuple[float, float, float]      # chosen site (x, y, terrain height)
    low_gate_alt_m: float = 25.0            # altitude above the site where terminal descent starts
    low_gate_speed_mps: float = 1.0         # descent rate at the low gate and in terminal descent

    @property
    def r_f(self) -> np.ndarray:
        x, y, z = self.site_m
        return np.array([x, y, z + self.low_gate_alt_m])

    @property
    def v_f(self) -> np.ndarray:
        return np.array([0.0, 0.0, -self.low_gate_speed_mps])


@dataclass(frozen=True)
class ThrustCommand:
    thrust_N: float
    direction: tuple[float, float, float]   # unit vector, local frame
    saturated: bool
    phase: str

    def throttle(self, max_thrust_N: float) -> float:
        return self.thrust_N / max_thrust_N


def quadratic_accel(r: np.ndarray, v: np.ndarray, tgo: float, r_f: np.ndarray, v_f: np.ndarray,
                    a_f: np.ndarray) -> np.ndarray:
    """First term of the quadratic acceleration profile meeting (r_f, v_f, a_f) at tgo."""
    return a_f - 6.0 * (v_f + v) / tgo + 12.0 * (r_f - r) / (tgo * tgo)


def _profile_thrust_range(r, v, tgo, r_f, v_f, a_f, g, n: int = 24) -> tuple[float, float, float]:
    """Min and max specific thrust (m/s^2) and largest tilt from vertical (rad) along the
    planned polynomial (no mass change). Scalar arithmetic and math.atan2: numpy's SIMD
    arctan2/hypot differ by CPU (docs/determinism.md)."""
    T = float(tgo)
    c0, c1, c2 = [], [], []
    for k in range(3):
        D = float(r_f[k]) - float(r[k]) - float(v[k]) * T
        W = float(v_f[k]) - float(v[k])
        a = float(a_f[k])
        c0.append(a - 6.0 * W / T + 12.0 * D / (T * T))
        c1.append((-6.0 * a + 30.0 * W / T - 48.0 * D / (T * T)) / T)
        c2.append((6.0 * a - 24.0 * W / T + 36.0 * D / (T * T)) / (T * T))
    gx, gy, gz = float(g[0]), float(g[1]), float(g[2])
    step = T / (n - 1)
    lo, hi, tilt = math.inf, -math.inf, -math.inf
    for i in range(n):
        tau = T if i == n - 1 else i * step
        tt = tau * tau
        ax = c0[0] + c1[0] * tau + c2[0] * tt - gx
        ay = c0[1] + c1[1] * tau + c2[1] * tt - gy
        az = c0[2] + c1[2] * tau + c2[2] * tt - gz
        h2 = ax * ax + ay * ay
        mag = math.sqrt(h2 + az * az)
        lo, hi = min(lo, mag), max(hi, mag)
        tilt = max(tilt, math.atan2(math.sqrt(h2), az))
    return lo, hi, tilt


def clip_thrust(a_thrust: np.ndarray, mass_kg: float, eng: EngineLimits) -> tuple[float, np.ndarray, bool]:
    """Thrust magnitude and unit direction for a wanted specific thrust, within the limits.

    The vertical component has priority (it keeps the lander out of the ground): the
    horizontal part is cut first to the tilt limit, then to what the maximum thrust leaves.
    """
    a_max = eng.max_thrust_N / mass_kg
    a_min = eng.min_thrust_N / mass_kg
    az = float(a_thrust[2])
    ah = np.array([float(a_thrust[0]), float(a_thrust[1])])
    saturated = False
    if az < a_min * math.cos(math.radians(eng.max_tilt_deg)):
        az, saturated = a_min * math.cos(math.radians(eng.max_tilt_deg)), True
    if az > a_max:
        az, ah, saturated = a_max, np.zeros(2), True
    h = math.sqrt(float(ah[0]) * float(ah[0]) + float(ah[1]) * float(ah[1]))
    h_lim = min(az * math.tan(math.radians(eng.max_tilt_deg)), math.sqrt(max(a_max * a_max - az * az, 0.0)))
    if h > h_lim:
        ah, h, saturated = ah * (h_lim / h), h_lim, True
    mag = math.sqrt(h * h + az * az)
    u = np.array([ah[0] / mag, ah[1] / mag, az / mag])
    if mag < a_min:
        mag, saturated = a_min, True
    return mag * mass_kg, u, saturated


class PolynomialGuidance:
    """Guidance state for one descent: call `step` every guidance cycle with the nav state."""

    def __init__(self, target: DescentTarget, eng: EngineLimits = EngineLimits(), g: float = G_MARS,
                 tgo_min_s: float = 3.0, terminal_gain: tuple[float, float] = (0.08, 0.6)) -> None:
        self.target = target
        self.eng = eng
        self.g = np.array([0.0, 0.0, -g])
        self.tgo_min_s = tgo_min_s
        self.kp, self.kv = terminal_gain
        self.tgo: float | None = None
        self.phase = "approach"

    def retarget(self, target: DescentTarget) -> None:
        """New site (hazard divert): time-to-go is chosen again on the next step."""
        self.target = target
        self.tgo = None
        self.phase = "approach"

    def choose_tgo(self, r: np.ndarray, v: np.ndarray, mass_kg: float,
                   candidates: np.ndarray | None = None) -> float:
        """Shortest tgo whose planned profile stays in the throttle range; else the least violation,
        where asking for more than the engines give counts ten times more than asking for less
        (less only means an early coast at minimum throttle, which the re-solved polynomial absorbs)."""
        if candidates is None:
            candidates = np.arange(8.0, 150.5, 0.5)
        best, best_violation = float(candidates[-1]), math.inf
        for T in candidates:
            violation = self.violation(r, v, mass_kg, float(T))
            if violation == 0.0:
                return float(T)
            if violation < best_violation:
                best, best_violation = float(T), violation
        return best

    def violation(self, r, v, mass_kg: float, tgo: float, margin: float = 0.85) -> float:
        """How far the planned profile leaves the engine envelope (0 = flyable)."""
        lo, hi = self.eng.min_thrust_N / mass_kg, margin * self.eng.max_thrust_N / mass_kg
        amin, amax, tilt = _profile_thrust_range(r, v, tgo, self.target.r_f, self.target.v_f, np.zeros(3), self.g)
        return (max(0.0, lo - amin) + max(0.0, amax - hi)
                + 10.0 * max(0.0, tilt - math.radians(self.eng.max_tilt_deg)))

    def step(self, r, v, mass_kg: float, dt: float) -> ThrustCommand:
        r = np.asarray(r, dtype=float)
        v = np.asarray(v, dtype=float)
        tgt = self.target
        if self.phase == "approach":
            if self.tgo is None:
                self.tgo = self.choose_tgo(r, v, mass_kg)
            elif self.tgo > self.tgo_min_s + 2.0 and self.violation(r, v, mass_kg, self.tgo, margin=1.0) > 0.0:
                # The plan left the envelope (a disturbance, a divert): stretch the time to go.
                self.tgo = self.choose_tgo(r, v, mass_kg, np.arange(self.tgo, max(self.tgo, 150.0) + 0.25, 0.5))
            if self.tgo <= self.tgo_min_s:
                self.phase = "terminal"
            else:
                a = quadratic_accel(r, v, self.tgo, tgt.r_f, tgt.v_f, np.zeros(3))
                self.tgo -= dt
                thrust, u, sat = clip_thrust(a - self.g, mass_kg, self.eng)
                return ThrustCommand(thrust, (float(u[0]), float(u[1]), float(u[2])), sat, "approach")
        # Terminal: constant descent rate, horizontal position and velocity nulled.
        sx, sy, _ = tgt.site_m
        a = np.array([-self.kp * (r[0] - sx) - self.kv * v[0],
                      -self.kp * (r[1] - sy) - self.kv * v[1],
                      -1.0 * (v[2] + tgt.low_gate_speed_mps)])
        thrust, u, sat = clip_thrust(a - self.g, mass_kg, self.eng)
        return ThrustCommand(thrust, (float(u[0]), float(u[1]), float(u[2])), sat, "terminal")


def integrate_point_mass(r, v, mass_kg: float, cmd: ThrustCommand, dt: float, g: float = G_MARS,
                         isp_s: float = 225.0) -> tuple[np.ndarray, np.ndarray, float]:
    """One explicit step of a point-mass lander (used by tests and as the flight mass model)."""
    u = np.asarray(cmd.direction)
    a = u * cmd.thrust_N / mass_kg + np.array([0.0, 0.0, -g])
    v2 = np.asarray(v) + a * dt
    r2 = np.asarray(r) + 0.5 * (np.asarray(v) + v2) * dt
    return r2, v2, mass_kg - cmd.thrust_N / (isp_s * 9.80665) * dt

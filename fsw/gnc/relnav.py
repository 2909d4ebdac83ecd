"""Relative navigation filter: an extended Kalman filter on Clohessy-Wiltshire states.

State: the target (OS) relative to the chaser (ERO), in the chaser's Hill frame (x radial,
y along-track, z cross-track), SI units: what the sensors measure, the line of sight being
the unit position. The chaser is the CW chief; its own burns enter as minus their delta-v.
(CW is linear, so the chaser-relative-to-target state guidance works with is minus this.)
Far range gives line-of-sight angles only (narrow-angle camera): range is unobservable
until the chaser manoeuvres, so the filter starts from a ground-supplied prior and the
approach burns make the range observable. Close range adds lidar range and range rate.
Measurements that fail a chi-square gate are refused (counted), never applied; a run of
refusals means the filter has become overconfident, so its covariance is reopened (to a
fraction of the range) and the next measurements pull it back.

Far range (hundreds of km, phasing) uses *curvilinear* coordinates when the config gives a
reference radius R (the target's orbit radius): x is the radial difference, y the arc length
along the orbit (R times the angle between the two radius vectors), z cross-track. CW is far
more accurate in these coordinates (a coelliptic drift is a straight line), and the camera
measurement is mapped through the exact geometry to the rectilinear line of sight the sensor
sees, whose curvature (the target below the local horizontal by half the arc angle) makes
range observable from angles alone at long range. A phasing orbit tens of km below the
target makes the second-order terms of CW (3 n^2 x^2 / R, ~4e-4 m/s^2 at 25 km) far larger
than the process noise, so in curvilinear mode the mean is propagated with the exact planar
two-body equations of the chaser in polar coordinates about the target's (circular)
reference orbit, and only the covariance with the CW transition matrix.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from fsw.gnc.cw_targeting import cw_stm
from fsw.numerics import SingularMatrixError, add, dot, identity, inverse, matmul, matvec, norm, sandwich
from fsw.numerics.matrix import identity_minus, matmul_t

GATE_CHI2_2 = 13.8   # 99.9 % for 2 degrees of freedom
GATE_CHI2_4 = 18.5   # 99.9 % for 4


@dataclass
class RelNavConfig:
    n: float                       # target mean motion, rad/s
    angle_sigma_rad: float = 2e-4
    range_sigma_m: float = 0.05
    range_rate_sigma_mps: float = 0.01
    accel_noise_mps2: float = 2e-5  # process noise: CW linearisation and differential J2 at km
    reinflate_after: int = 10       # consecutive gate refusals before the covariance is reopened
    burn_sigma_fraction: float = 0.02
    radius_m: float | None = None   # curvilinear reference radius (target orbit), None: rectilinear
    accel_noise_per_m: float = 0.0  # extra process noise per metre of range, 1/s^2: the
                                    # unmodelled differential J2 grows with the separation...
    accel_noise_cap_mps2: float = 3e-4   # ...but stays bounded (periodic, not a random walk)


def curvilinear_to_rectilinear(state: Sequence[float], radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Rectilinear Hill-frame state of a curvilinear one (target relative to the chaser, the
    target on the reference radius R), and the 6x6 Jacobian d(rectilinear)/d(curvilinear).

    theta = y / R; x_r = x - R (1 - cos theta); y_r = R sin theta; z_r = z;
    vx_r = vx - sin(theta) vy; vy_r = cos(theta) vy; vz_r = vz.
    """
    x, y, z, vx, vy, vz = (float(c) for c in state)
    R = float(radius_m)
    rect, s, c = _rectilinear(x, y, z, vx, vy, vz, R)
    J = np.array(((1.0, -s, 0.0, 0.0, 0.0, 0.0),
                  (0.0, c, 0.0, 0.0, 0.0, 0.0),
                  (0.0, 0.0, 1.0, 0.0, 0.0, 0.0),
                  (0.0, -c * vy / R, 0.0, 1.0, -s, 0.0),
                  (0.0, -s * vy / R, 0.0, 0.0, c, 0.0),
                  (0.0, 0.0, 0.0, 0.0, 0.0, 1.0)))
    return np.array(rect), J


def _rectilinear(x: float, y: float, z: float, vx: float, vy: float, vz: float, R: float
                 ) -> tuple[tuple[float, ...], float, float]:
    """The rectilinear state of `curvilinear_to_rectilinear` in plain floats, with sin and
    cos of theta (the Jacobian's entries)."""
    th = y / R
    s, c = math.sin(th), math.cos(th)
    return (x - R * (1.0 - c), R * s, z, vx - s * vy, c * vy, vz), s, c


def polar_propagate(state: Sequence[float], n: float, radius_m: float, dt: float,
                    max_step_s: float = 10.0) -> np.ndarray:
    """Propagate a curvilinear state (target relative to chaser) by the exact planar two-body
    motion of the chaser about a circular reference orbit of radius R and mean motion n (the
    target on it): chaser radius r = R - x, angle behind the target th = y / R,
    r'' = r (n + th')^2 - n^2 R^3 / r^2, th'' = -2 r' (n + th') / r (cross-track: CW).
    Fixed-step RK4, steps of at most `max_step_s`."""
    x, y, z, vx, vy, vz = (float(c) for c in state)
    return np.array(_polar(x, y, z, vx, vy, vz, n, float(radius_m), dt, max_step_s))


def _polar(x: float, y: float, z: float, vx: float, vy: float, vz: float, n: float, R: float, dt: float,
           max_step_s: float = 10.0) -> tuple[float, ...]:
    """`polar_propagate` on plain floats, to a tuple (the filter's own state is floats)."""
    mu = n * n * R ** 3
    # chaser polar state: r, r', w = relative angle rate (the chaser's rate minus n)
    r, rd, w = R - x, -vx, -vy / R

    # f(r, rd, w) = (rd, r a a - mu / (r r), -2 rd a / r) with a = n + w, written out at each
    # of the four RK4 stages (this runs every navigation cycle); the same operations in the
    # same order as the function it replaced (tests/numerics/test_same_bits.py)
    steps = max(1, math.ceil(abs(dt) / max_step_s))
    h = dt / steps
    th = -y / R
    for _ in range(steps):
        a = n + w
        k1r, k1d, k1w = rd, r * a * a - mu / (r * r), -2.0 * rd * a / r
        r2, d2, w2 = r + 0.5 * h * k1r, rd + 0.5 * h * k1d, w + 0.5 * h * k1w
        a = n + w2
        k2r, k2d, k2w = d2, r2 * a * a - mu / (r2 * r2), -2.0 * d2 * a / r2
        r3, d3, w3 = r + 0.5 * h * k2r, rd + 0.5 * h * k2d, w + 0.5 * h * k2w
        a = n + w3
        k3r, k3d, k3w = d3, r3 * a * a - mu / (r3 * r3), -2.0 * d3 * a / r3
        r4, d4, w4 = r + h * k3r, rd + h * k3d, w + h * k3w
        a = n + w4
        k4r, k4d, k4w = d4, r4 * a * a - mu / (r4 * r4), -2.0 * d4 * a / r4
        th += h / 6.0 * (w + 2.0 * (w + 0.5 * h * k1w) + 2.0 * (w + 0.5 * h * k2w) + (w + h * k3w))
        r += h / 6.0 * (k1r + 2.0 * k2r + 2.0 * k3r + k4r)
        rd += h / 6.0 * (k1d + 2.0 * k2d + 2.0 * k3d + k4d)
        w += h / 6.0 * (k1w + 2.0 * k2w + 2.0 * k3w + k4w)
    c, s = math.cos(n * dt), math.sin(n * dt)
    return (R - r, -R * th, c * z + s / n * vz, -rd, -R * w, -n * s * z + c * vz)


def rectilinear_to_curvilinear(rect: Sequence[float], radius_m: float) -> tuple[float, ...]:
    """Inverse of `curvilinear_to_rectilinear` (valid for |y_r| < R)."""
    xr, yr, zr, vxr, vyr, vzr = (float(c) for c in rect)
    R = float(radius_m)
    th = math.asin(max(-1.0, min(1.0, yr / R)))
    c, s = math.cos(th), math.sin(th)
    vy = vyr / c
    return (xr + R * (1.0 - c), R * th, zr, vxr + s * vy, vy, vzr)


def los_angles(pos: Sequence[float]) -> tuple[float, float]:
    """Azimuth and elevation of the line of sight from the chaser to the target."""
    lx, ly, lz = pos[0], pos[1], pos[2]
    rho = math.sqrt(lx * lx + ly * ly + lz * lz)
    return math.atan2(ly, lx), math.asin(max(-1.0, min(1.0, lz / rho)))


def los_to_angles(los: Sequence[float]) -> tuple[float, float]:
    n = norm(los)
    return math.atan2(los[1], los[0]), math.asin(max(-1.0, min(1.0, los[2] / n)))


def _angle_rows(x: float, y: float, z: float) -> tuple[list[float], list[list[float]]]:
    """Line-of-sight azimuth and elevation and their rows of H (az = atan2(y, x), el = asin(z / rho))."""
    rho2 = x * x + y * y
    rho = math.sqrt(rho2 + z * z)
    az, el = los_angles((x, y, z))
    rxy = math.sqrt(rho2)
    return [az, el], [[-y / rho2, x / rho2, 0.0, 0.0, 0.0, 0.0],
                      [-x * z / (rho * rho * rxy), -y * z / (rho * rho * rxy), rxy / (rho * rho), 0.0, 0.0, 0.0]]


def _range_rows(px: float, py: float, pz: float, vx: float, vy: float, vz: float, rho: float, rdot: float
                ) -> tuple[None, list[list[float]]]:
    """Rows of H for range and range rate: p / rho; v / rho - rdot p / rho^2, p / rho."""
    rr = rho * rho
    return None, [[px / rho, py / rho, pz / rho, 0.0, 0.0, 0.0],
                  [vx / rho - rdot * px / rr, vy / rho - rdot * py / rr, vz / rho - rdot * pz / rr,
                   px / rho, py / rho, pz / rho]]


def _scalar_rows(rows: Callable, *values: float) -> tuple[Any, list[list[float]]]:
    """`rows(*values)` on Python floats; where one of its divisions is by zero (a line of
    sight straight along z, a vanishing range) on numpy scalars instead, converted back:
    the filter computed these rows on numpy scalars, which give inf or nan there (with a
    warning) where Python floats raise, and it must go on doing what it did."""
    try:
        return rows(*values)
    except ZeroDivisionError:
        h, H = rows(*(np.float64(v) for v in values))
        return (None if h is None else [float(v) for v in h]), [[float(v) for v in row] for row in H]


def _diagonal_add(rows: list[list[float]], start: int, var: float) -> None:
    """rows[start:start+3, start:start+3] += I3 var, in place: the operations of numpy's
    `P[s:s+3, s:s+3] += np.eye(3) * var` (0.0 * var added off the diagonal, signed zeros and all)."""
    zero, one = 0.0 * var, 1.0 * var
    for i in range(start, start + 3):
        row = rows[i]
        for j in range(start, start + 3):
            row[j] += one if i == j else zero


class RelNavFilter:
    """The estimate `x` (6) and covariance `P` (6x6) are kept as plain floats (a tuple, rows
    of lists): the filter runs every navigation cycle, and the numpy arrays it used to hold
    cost a conversion each way around every fixed-order product (fsw.numerics). `x` and `P`
    read as (read-only) arrays; `P` may be set from an array (a restored checkpoint)."""

    def __init__(self, config: RelNavConfig, x0: Sequence[float], p0_diag: Sequence[float]) -> None:
        self.cfg = config
        self._x: tuple[float, ...] = tuple(np.asarray(x0, dtype=float).tolist())
        self._p: list[list[float]] = np.diag(np.asarray(p0_diag, dtype=float) ** 2).tolist()
        self.rejected = 0
        self.accepted = 0
        self._cache: dict[tuple[float, float, float], tuple[list, list]] = {}
        self.reinflations = 0
        self._refused_run = 0

    @property
    def x(self) -> np.ndarray:
        x = np.array(self._x)
        x.flags.writeable = False
        return x

    @property
    def P(self) -> np.ndarray:
        p = np.array(self._p)
        p.flags.writeable = False
        return p

    @P.setter
    def P(self, value) -> None:
        self._p = np.asarray(value, dtype=float).tolist()

    def state_floats(self) -> tuple[float, ...]:
        """The estimate as a tuple of Python floats."""
        return self._x

    def covariance_rows(self) -> list[list[float]]:
        """The covariance as fresh rows of Python floats."""
        return [list(row) for row in self._p]

    @property
    def position(self) -> tuple[float, float, float]:
        return self._x[0], self._x[1], self._x[2]

    @property
    def velocity(self) -> tuple[float, float, float]:
        return self._x[3], self._x[4], self._x[5]

    def rectilinear(self) -> np.ndarray:
        """The estimate as a rectilinear Hill-frame state (what the sensors see)."""
        return np.array(self.rectilinear_floats())

    def rectilinear_floats(self) -> tuple[float, ...]:
        """`rectilinear()` as a tuple of Python floats (the rate-set choice asks every second)."""
        if self.cfg.radius_m is None:
            return self._x
        return _rectilinear(*self._x, float(self.cfg.radius_m))[0]

    def _rect_and_jacobian(self) -> tuple[tuple[float, ...], list[list[float]]]:
        """`curvilinear_to_rectilinear` of the estimate (identity in rectilinear mode), in floats."""
        if self.cfg.radius_m is None:
            return self._x, identity(6)
        R = float(self.cfg.radius_m)
        vy = self._x[4]
        rect, s, c = _rectilinear(*self._x, R)
        J = [[1.0, -s, 0.0, 0.0, 0.0, 0.0],
             [0.0, c, 0.0, 0.0, 0.0, 0.0],
             [0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
             [0.0, -c * vy / R, 0.0, 1.0, -s, 0.0],
             [0.0, -s * vy / R, 0.0, 0.0, c, 0.0],
             [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]]
        return rect, J

    @property
    def range(self) -> float:
        """Straight-line range (rectilinear)."""
        return norm(self.rectilinear_floats()[:3])

    @property
    def position_sigma(self) -> float:
        P = self._p
        return math.sqrt(max(0.0, P[0][0] + P[1][1] + P[2][2]))

    def predict(self, dt: float) -> None:
        if dt <= 0.0:
            return
        cfg = self.cfg
        phi, qd = self._transition(dt)
        if cfg.radius_m is None:
            self._x = tuple(matvec(phi, self._x))
        else:
            self._x = _polar(*self._x, cfg.n, float(cfg.radius_m), dt)
        self._p = sandwich(phi, self._p, plus=qd)   # add(sandwich(phi, P), qd), written out

    def _transition(self, dt: float) -> tuple[list, list]:
        """CW transition matrix and process noise over dt (the loop repeats a few dt values,
        so they are kept)."""
        sigma_a = self.cfg.accel_noise_mps2
        if self.cfg.accel_noise_per_m:
            # quantised (to 1/8 decade) so the cache still hits while the range shrinks
            extra = min(self.cfg.accel_noise_per_m * max(self.range, 1.0), self.cfg.accel_noise_cap_mps2)
            sigma_a += 10.0 ** (math.ceil(8.0 * math.log10(extra)) / 8.0)
        key = (dt, self.cfg.n, sigma_a)
        hit = self._cache.get(key)
        if hit is None:
            q = sigma_a ** 2
            i3 = np.eye(3)
            qd = q * np.block([[dt ** 3 / 3.0 * i3, dt ** 2 / 2.0 * i3], [dt ** 2 / 2.0 * i3, dt * i3]])
            if len(self._cache) > 64:
                self._cache.clear()
            hit = self._cache[key] = (cw_stm(self.cfg.n, dt).tolist(), qd.tolist())
        return hit

    def apply_impulse(self, dv: Sequence[float], sigma_mps: float = 0.0) -> None:
        """A velocity change of the chaser (Hill frame), e.g. a burn measured by the IMU;
        `sigma_mps` its uncertainty. The target's relative velocity changes by -dv."""
        d = np.asarray(dv, dtype=float).tolist()
        x = self._x
        self._x = (x[0], x[1], x[2], x[3] - d[0], x[4] - d[1], x[5] - d[2])
        sigma = max(sigma_mps, self.cfg.burn_sigma_fraction * norm(d))
        if sigma > 0.0:
            _diagonal_add(self._p, 3, sigma ** 2)

    def widen(self, pos_var: float, vel_var: float) -> None:
        """Add `pos_var` to the position variances and `vel_var` to the velocity ones."""
        _diagonal_add(self._p, 3, vel_var)
        _diagonal_add(self._p, 0, pos_var)

    def _update(self, z: Sequence[float], h: Sequence[float], H: list[list[float]], R: list[list[float]],
                gate: float, wrap: Sequence[int] = ()) -> bool:
        y = [zi - hi for zi, hi in zip(z, h)]
        for i in wrap:
            y[i] = (y[i] + math.pi) % (2.0 * math.pi) - math.pi
        P = self._p
        PHt = matmul_t(P, H)                      # P H^T
        S = add(matmul(H, PHt), R)
        try:
            Sinv = inverse(S)
        except SingularMatrixError:
            self.rejected += 1
            return False
        if dot(y, matvec(Sinv, y)) > gate:
            self.rejected += 1
            self._refused_run += 1
            if self._refused_run >= self.cfg.reinflate_after:
                self._reinflate()
            return False
        self._refused_run = 0
        K = matmul(PHt, Sinv)
        self._x = tuple(a + b for a, b in zip(self._x, matvec(K, y)))
        ikh = identity_minus(matmul(K, H))        # I - K H
        # Joseph form keeps P symmetric positive
        self._p = sandwich(ikh, P, plus=sandwich(K, R))
        self.accepted += 1
        return True

    def _reinflate(self) -> None:
        rng = self.range
        _diagonal_add(self._p, 0, (0.05 * rng + 1.0) ** 2)
        _diagonal_add(self._p, 3, (1e-4 * rng + 0.01) ** 2)
        self.reinflations += 1
        self._refused_run = 0

    def update_angles(self, los: Sequence[float]) -> bool:
        """Camera line of sight (unit vector, Hill frame axes)."""
        z = los_to_angles(los)
        rect, J = self._rect_and_jacobian()
        h, H = _scalar_rows(_angle_rows, rect[0], rect[1], rect[2])
        H = matmul(H, J)
        a2 = self.cfg.angle_sigma_rad ** 2
        R = [[1.0 * a2, 0.0 * a2], [0.0 * a2, 1.0 * a2]]      # np.eye(2) * a2
        return self._update(z, h, H, R, GATE_CHI2_2, wrap=(0,))

    def update_range_angles(self, los: Sequence[float], rng: float, rng_rate: float) -> bool:
        """Lidar range and range rate together with the camera's line of sight."""
        rect, J = self._rect_and_jacobian()
        ha, Ha = _scalar_rows(_angle_rows, rect[0], rect[1], rect[2])
        p = rect[:3]
        v = rect[3:]
        rho = norm(p)
        rdot = dot(p, v) / rho
        Hr = _scalar_rows(_range_rows, *p, *v, rho, rdot)[1]
        z = [*los_to_angles(los), rng, rng_rate]
        h = [*ha, rho, rdot]
        c = self.cfg
        a2, r2, v2 = c.angle_sigma_rad ** 2, c.range_sigma_m ** 2, c.range_rate_sigma_mps ** 2
        R = [[a2, 0.0, 0.0, 0.0], [0.0, a2, 0.0, 0.0], [0.0, 0.0, r2, 0.0], [0.0, 0.0, 0.0, v2]]   # np.diag
        return self._update(z, h, matmul(Ha + Hr, J), R, GATE_CHI2_4, wrap=(0,))   # the four rows times J at once


__all__ = ["RelNavConfig", "RelNavFilter", "curvilinear_to_rectilinear", "polar_propagate", "los_angles", "los_to_angles",
           "rectilinear_to_curvilinear"]

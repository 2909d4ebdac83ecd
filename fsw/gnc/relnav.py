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
from typing import Sequence

import numpy as np

from fsw.gnc.cw_targeting import cw_stm
from fsw.numerics import (SingularMatrixError, add, dot, identity, inverse, matmul, matvec, norm, sandwich,
                          scaled, transpose)

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
    R = float(radius_m)
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
    return np.array((R - r, -R * th, c * z + s / n * vz, -rd, -R * w, -n * s * z + c * vz))


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


class RelNavFilter:
    def __init__(self, config: RelNavConfig, x0: Sequence[float], p0_diag: Sequence[float]) -> None:
        self.cfg = config
        self.x = np.asarray(x0, dtype=float).copy()
        self.P = np.diag(np.asarray(p0_diag, dtype=float) ** 2)
        self.rejected = 0
        self.accepted = 0
        self._cache: dict[tuple[float, float, float], tuple[np.ndarray, np.ndarray]] = {}
        self.reinflations = 0
        self._refused_run = 0

    @property
    def position(self) -> tuple[float, float, float]:
        return float(self.x[0]), float(self.x[1]), float(self.x[2])

    @property
    def velocity(self) -> tuple[float, float, float]:
        return float(self.x[3]), float(self.x[4]), float(self.x[5])

    def rectilinear(self) -> np.ndarray:
        """The estimate as a rectilinear Hill-frame state (what the sensors see)."""
        if self.cfg.radius_m is None:
            return self.x.copy()
        return np.array(self.rectilinear_floats())

    def rectilinear_floats(self) -> tuple[float, ...]:
        """`rectilinear()` as a tuple of Python floats (the rate-set choice asks every second)."""
        if self.cfg.radius_m is None:
            return tuple(self.x.tolist())
        return _rectilinear(*self.x.tolist(), float(self.cfg.radius_m))[0]

    def _rect_and_jacobian(self) -> tuple[np.ndarray, np.ndarray]:
        if self.cfg.radius_m is None:
            return self.x, np.eye(6)
        return curvilinear_to_rectilinear(self.x, self.cfg.radius_m)

    @property
    def range(self) -> float:
        """Straight-line range (rectilinear)."""
        return norm(self.rectilinear_floats()[:3])

    @property
    def position_sigma(self) -> float:
        P = self.P
        return math.sqrt(max(0.0, float(P[0, 0]) + float(P[1, 1]) + float(P[2, 2])))

    def predict(self, dt: float) -> None:
        if dt <= 0.0:
            return
        cfg = self.cfg
        phi, phi_t, qd = self._transition(dt)
        if cfg.radius_m is None:
            self.x = np.array(matvec(phi, self.x.tolist()))
        else:
            self.x = polar_propagate(self.x, cfg.n, cfg.radius_m, dt)
        self.P = np.array(add(sandwich(phi, self.P), qd))   # phi's rows are phi_t's columns

    def _transition(self, dt: float) -> tuple[list, list, list]:
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
            phi = cw_stm(self.cfg.n, dt).tolist()
            hit = self._cache[key] = (phi, transpose(phi), qd.tolist())
        return hit

    def apply_impulse(self, dv: Sequence[float], sigma_mps: float = 0.0) -> None:
        """A velocity change of the chaser (Hill frame), e.g. a burn measured by the IMU;
        `sigma_mps` its uncertainty. The target's relative velocity changes by -dv."""
        d = np.asarray(dv, dtype=float)
        self.x[3:] -= d
        sigma = max(sigma_mps, self.cfg.burn_sigma_fraction * norm(d.tolist()))
        if sigma > 0.0:
            self.P[3:, 3:] += np.eye(3) * sigma ** 2

    def _update(self, z: np.ndarray, h: np.ndarray, H: np.ndarray, R: np.ndarray,
                gate: float, wrap: Sequence[int] = ()) -> bool:
        y = z - h
        for i in wrap:
            y[i] = (y[i] + math.pi) % (2.0 * math.pi) - math.pi
        P, Hl, Rl, yl = self.P.tolist(), H.tolist(), R.tolist(), y.tolist()
        Ht = transpose(Hl)
        PHt = matmul(P, Ht)
        S = add(matmul(Hl, PHt), Rl)
        try:
            Sinv = inverse(S)
        except SingularMatrixError:
            self.rejected += 1
            return False
        if dot(yl, matvec(Sinv, yl)) > gate:
            self.rejected += 1
            self._refused_run += 1
            if self._refused_run >= self.cfg.reinflate_after:
                self._reinflate()
            return False
        self._refused_run = 0
        K = matmul(PHt, Sinv)
        self.x = self.x + np.array(matvec(K, yl))
        ikh = add(identity(6), scaled(-1.0, matmul(K, Hl)))
        # Joseph form keeps P symmetric positive
        self.P = np.array(add(sandwich(ikh, P), sandwich(K, Rl)))
        self.accepted += 1
        return True

    def _reinflate(self) -> None:
        rng = self.range
        self.P[:3, :3] += np.eye(3) * (0.05 * rng + 1.0) ** 2
        self.P[3:, 3:] += np.eye(3) * (1e-4 * rng + 0.01) ** 2
        self.reinflations += 1
        self._refused_run = 0

    def _angles_rows(self, rect: np.ndarray, J: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x, y, z = rect[:3]
        rho2 = x * x + y * y
        rho = math.sqrt(rho2 + z * z)
        az, el = los_angles((x, y, z))
        H = np.zeros((2, 6))
        # az = atan2(y, x); el = asin(z / rho)
        H[0, 0] = -y / rho2
        H[0, 1] = x / rho2
        rxy = math.sqrt(rho2)
        H[1, 0] = -x * z / (rho * rho * rxy)
        H[1, 1] = -y * z / (rho * rho * rxy)
        H[1, 2] = rxy / (rho * rho)
        return np.array([az, el]), np.array(matmul(H, J))

    def update_angles(self, los: Sequence[float]) -> bool:
        """Camera line of sight (unit vector, Hill frame axes)."""
        z = np.array(los_to_angles(los))
        h, H = self._angles_rows(*self._rect_and_jacobian())
        R = np.eye(2) * self.cfg.angle_sigma_rad ** 2
        return self._update(z, h, H, R, GATE_CHI2_2, wrap=(0,))

    def update_range_angles(self, los: Sequence[float], rng: float, rng_rate: float) -> bool:
        """Lidar range and range rate together with the camera's line of sight."""
        rect, J = self._rect_and_jacobian()
        ha, Ha = self._angles_rows(rect, J)
        p = rect[:3]
        v = rect[3:]
        rho = norm(p.tolist())
        rdot = dot(p.tolist(), v.tolist()) / rho
        Hr = np.zeros((2, 6))
        Hr[0, :3] = p / rho
        Hr[1, :3] = v / rho - rdot * p / (rho * rho)
        Hr[1, 3:] = p / rho
        Hr = np.array(matmul(Hr, J))
        z = np.concatenate([np.array(los_to_angles(los)), [rng, rng_rate]])
        h = np.concatenate([ha, [rho, rdot]])
        H = np.vstack([Ha, Hr])
        c = self.cfg
        R = np.diag([c.angle_sigma_rad ** 2, c.angle_sigma_rad ** 2, c.range_sigma_m ** 2,
                     c.range_rate_sigma_mps ** 2])
        return self._update(z, h, H, R, GATE_CHI2_4, wrap=(0,))


__all__ = ["RelNavConfig", "RelNavFilter", "curvilinear_to_rectilinear", "polar_propagate", "los_angles", "los_to_angles",
           "rectilinear_to_curvilinear"]

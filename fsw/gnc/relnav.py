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
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from fsw.gnc.cw_targeting import cw_stm

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


def los_angles(pos: Sequence[float]) -> tuple[float, float]:
    """Azimuth and elevation of the line of sight from the chaser to the target."""
    lx, ly, lz = pos[0], pos[1], pos[2]
    rho = math.sqrt(lx * lx + ly * ly + lz * lz)
    return math.atan2(ly, lx), math.asin(max(-1.0, min(1.0, lz / rho)))


def los_to_angles(los: Sequence[float]) -> tuple[float, float]:
    n = math.sqrt(sum(c * c for c in los))
    return math.atan2(los[1], los[0]), math.asin(max(-1.0, min(1.0, los[2] / n)))


class RelNavFilter:
    def __init__(self, config: RelNavConfig, x0: Sequence[float], p0_diag: Sequence[float]) -> None:
        self.cfg = config
        self.x = np.asarray(x0, dtype=float).copy()
        self.P = np.diag(np.asarray(p0_diag, dtype=float) ** 2)
        self.rejected = 0
        self.accepted = 0
        self.reinflations = 0
        self._refused_run = 0

    @property
    def position(self) -> tuple[float, float, float]:
        return float(self.x[0]), float(self.x[1]), float(self.x[2])

    @property
    def velocity(self) -> tuple[float, float, float]:
        return float(self.x[3]), float(self.x[4]), float(self.x[5])

    @property
    def range(self) -> float:
        return float(np.linalg.norm(self.x[:3]))

    @property
    def position_sigma(self) -> float:
        return float(math.sqrt(max(0.0, np.trace(self.P[:3, :3]))))

    def predict(self, dt: float) -> None:
        if dt <= 0.0:
            return
        phi = cw_stm(self.cfg.n, dt)
        q = self.cfg.accel_noise_mps2 ** 2
        i3 = np.eye(3)
        qd = q * np.block([[dt ** 3 / 3.0 * i3, dt ** 2 / 2.0 * i3], [dt ** 2 / 2.0 * i3, dt * i3]])
        self.x = phi @ self.x
        self.P = phi @ self.P @ phi.T + qd

    def apply_impulse(self, dv: Sequence[float], sigma_mps: float = 0.0) -> None:
        """A velocity change of the chaser (Hill frame), e.g. a burn measured by the IMU;
        `sigma_mps` its uncertainty. The target's relative velocity changes by -dv."""
        d = np.asarray(dv, dtype=float)
        self.x[3:] -= d
        sigma = max(sigma_mps, self.cfg.burn_sigma_fraction * float(np.linalg.norm(d)))
        if sigma > 0.0:
            self.P[3:, 3:] += np.eye(3) * sigma ** 2

    def _update(self, z: np.ndarray, h: np.ndarray, H: np.ndarray, R: np.ndarray,
                gate: float, wrap: Sequence[int] = ()) -> bool:
        y = z - h
        for i in wrap:
            y[i] = (y[i] + math.pi) % (2.0 * math.pi) - math.pi
        S = H @ self.P @ H.T + R
        try:
            Sinv = np.linalg.inv(S)
        except np.linalg.LinAlgError:
            self.rejected += 1
            return False
        if float(y @ Sinv @ y) > gate:
            self.rejected += 1
            self._refused_run += 1
            if self._refused_run >= self.cfg.reinflate_after:
                self._reinflate()
            return False
        self._refused_run = 0
        K = self.P @ H.T @ Sinv
        self.x = self.x + K @ y
        ikh = np.eye(6) - K @ H
        self.P = ikh @ self.P @ ikh.T + K @ R @ K.T  # Joseph form keeps P symmetric positive
        self.accepted += 1
        return True

    def _reinflate(self) -> None:
        rng = self.range
        self.P[:3, :3] += np.eye(3) * (0.05 * rng + 1.0) ** 2
        self.P[3:, 3:] += np.eye(3) * (1e-4 * rng + 0.01) ** 2
        self.reinflations += 1
        self._refused_run = 0

    def _angles_rows(self) -> tuple[np.ndarray, np.ndarray]:
        x, y, z = self.x[:3]
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
        return np.array([az, el]), H

    def update_angles(self, los: Sequence[float]) -> bool:
        """Camera line of sight (unit vector, Hill frame axes)."""
        z = np.array(los_to_angles(los))
        h, H = self._angles_rows()
        R = np.eye(2) * self.cfg.angle_sigma_rad ** 2
        return self._update(z, h, H, R, GATE_CHI2_2, wrap=(0,))

    def update_range_angles(self, los: Sequence[float], rng: float, rng_rate: float) -> bool:
        """Lidar range and range rate together with the camera's line of sight."""
        ha, Ha = self._angles_rows()
        p = self.x[:3]
        v = self.x[3:]
        rho = float(np.linalg.norm(p))
        rdot = float(p @ v) / rho
        Hr = np.zeros((2, 6))
        Hr[0, :3] = p / rho
        Hr[1, :3] = v / rho - rdot * p / (rho * rho)
        Hr[1, 3:] = p / rho
        z = np.concatenate([np.array(los_to_angles(los)), [rng, rng_rate]])
        h = np.concatenate([ha, [rho, rdot]])
        H = np.vstack([Ha, Hr])
        c = self.cfg
        R = np.diag([c.angle_sigma_rad ** 2, c.angle_sigma_rad ** 2, c.range_sigma_m ** 2,
                     c.range_rate_sigma_mps ** 2])
        return self._update(z, h, H, R, GATE_CHI2_4, wrap=(0,))


__all__ = ["RelNavConfig", "RelNavFilter", "los_angles", "los_to_angles"]

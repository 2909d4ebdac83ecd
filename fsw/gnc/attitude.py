"""Attitude kinematics and pointing control for a thrust axis (body +x), on float tuples.

Quaternions are (w, x, y, z), body to inertial, as in the star-tracker reading. Two laws
share one pointing error: thrust-vector control (gimbal angles, stage 1) and RCS torques
(coast, spin-up, trim). Both are PD laws on the body-frame rotation that brings the thrust
axis onto the commanded inertial direction; roll about the thrust axis is only damped.
"""
from __future__ import annotations

import math
from typing import Sequence

from fsw.gnc.kepler import Vec

Quat = tuple[float, float, float, float]


def qrot(q: Sequence[float], v: Sequence[float]) -> Vec:
    """Rotate a body vector into the inertial frame."""
    w, x, y, z = q
    vx, vy, vz = v
    tx = 2.0 * (y * vz - z * vy)
    ty = 2.0 * (z * vx - x * vz)
    tz = 2.0 * (x * vy - y * vx)
    return (vx + w * tx + (y * tz - z * ty), vy + w * ty + (z * tx - x * tz), vz + w * tz + (x * ty - y * tx))


def qrot_inv(q: Sequence[float], v: Sequence[float]) -> Vec:
    """Rotate an inertial vector into the body frame."""
    return qrot((q[0], -q[1], -q[2], -q[3]), v)


def qmul(a: Sequence[float], b: Sequence[float]) -> Quat:
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return (aw * bw - ax * bx - ay * by - az * bz, aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx, aw * bz + ax * by - ay * bx + az * bw)


def qnormalize(q: Sequence[float]) -> Quat:
    n = math.sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3])
    return (q[0] / n, q[1] / n, q[2] / n, q[3] / n)


def qpropagate(q: Sequence[float], rate: Sequence[float], dt: float) -> Quat:
    """Exact update for a constant body rate over dt (right-multiplied rotation vector)."""
    wx, wy, wz = rate[0] * dt, rate[1] * dt, rate[2] * dt
    ang = math.sqrt(wx * wx + wy * wy + wz * wz)
    if ang < 1e-12:
        return tuple(q)
    s = math.sin(0.5 * ang) / ang
    return qnormalize(qmul(q, (math.cos(0.5 * ang), wx * s, wy * s, wz * s)))


def pointing_error(q: Sequence[float], target_inertial: Sequence[float]) -> Vec:
    """Body-frame rotation vector (rad) taking the body +x axis onto the target direction."""
    t = qrot_inv(q, target_inertial)
    # x_b cross t = (0, -t_z, t_y); angle from the dot product keeps large errors monotonic
    s = math.hypot(t[1], t[2])
    ang = math.atan2(s, t[0])
    if s < 1e-12:
        return (0.0, 0.0, 0.0) if t[0] > 0 else (0.0, math.pi, 0.0)
    k = ang / s
    return (0.0, -t[2] * k, t[1] * k)


def tvc_command(err: Sequence[float], rate: Sequence[float], authority: float,
                bandwidth_radps: float, damping: float, limit_rad: float) -> tuple[float, float]:
    """Gimbal (pitch, yaw) in rad; `authority` is angular acceleration per rad of gimbal
    (lever * thrust / inertia). Positive pitch/yaw torques about +y/+z."""
    if authority <= 0.0:
        return 0.0, 0.0
    kp = bandwidth_radps * bandwidth_radps / authority
    kd = 2.0 * damping * bandwidth_radps / authority
    p = kp * err[1] - kd * rate[1]
    y = kp * err[2] - kd * rate[2]
    return max(-limit_rad, min(limit_rad, p)), max(-limit_rad, min(limit_rad, y))


def rcs_torque(err: Sequence[float], rate: Sequence[float], inertia: Sequence[float],
               bandwidth_radps: float, damping: float, limit_nm: float,
               roll_rate_target: float = 0.0) -> Vec:
    """PD torque (N m) on the pointing error, plus a roll-rate loop about the thrust axis."""
    kp = bandwidth_radps * bandwidth_radps
    kd = 2.0 * damping * bandwidth_radps
    tx = inertia[0] * 2.0 * bandwidth_radps * (roll_rate_target - rate[0])
    ty = inertia[1] * (kp * err[1] - kd * rate[1])
    tz = inertia[2] * (kp * err[2] - kd * rate[2])
    return (max(-limit_nm, min(limit_nm, tx)), max(-limit_nm, min(limit_nm, ty)),
            max(-limit_nm, min(limit_nm, tz)))


__all__ = ["Quat", "qrot", "qrot_inv", "qmul", "qnormalize", "qpropagate", "pointing_error",
           "tvc_command", "rcs_torque"]

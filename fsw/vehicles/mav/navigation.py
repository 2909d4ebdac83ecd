"""MAV strapdown navigation: IMU integration from the launch state, star-tracker attitude.

Before launch the MAV knows where it is: the site (latitude, longitude, radius, uplinked)
turning with Mars in the inertial frame that coincides with the body-fixed one at onboard
time zero. At ejection the navigator starts from that state and integrates the IMU: the
attitude by exact constant-rate quaternion steps, the velocity and position with the
onboard gravity (point mass + J2) plus the measured specific force rotated to inertial.
A valid star-tracker solution replaces the propagated attitude. Device faults become a
counter and a skipped update, never an exception into the loop.
"""
from __future__ import annotations

import math

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.time import NS_PER_S
from fsw.gnc.attitude import qpropagate, qrot
from fsw.gnc.kepler import apsides, gravity_j2, norm
from hal.devices import Imu, StarTracker
from hal.errors import DeviceFault


class MavNavigator(Component):
    CHANNELS = (
        Channel("active", bool), Channel("altitude_m", float, "m"), Channel("speed_mps", float, "m/s"),
        Channel("accel_mps2", float, "m/s^2", "magnitude of the measured specific force"),
        Channel("imu_faults", int),
    )
    EVENTS = (
        EventDef("NAV_STARTED", Severity.ACTIVITY_HI, "navigation from launch state"),
        EventDef("NAV_DEVICE_FAULT", Severity.WARNING_LO, "{device}: {reason}"),
    )
    PARAMS = (
        Param("gm", float, 1e13, 1e14, default=4.282837e13),
        Param("j2", float, 0.0, 0.01, default=1.96045e-3),
        Param("radius_eq_m", float, 3e6, 4e6, default=3396.2e3),
        Param("omega_radps", float, 0.0, 1e-3, default=7.0882e-5),
        Param("site_lat_deg", float, -90.0, 90.0, default=18.4446),
        Param("site_lon_deg", float, -360.0, 360.0, default=77.4509),
        Param("site_radius_m", float, 3e6, 4e6, default=3396.2e3 - 2500.0 + 1.5),
        Param("use_star_tracker", bool, default=True),
        Param("eject_speed_mps", float, 0.0, 50.0, default=4.0),
        Param("coast_accel_threshold_mps2", float, 0.0, 1.0, default=0.01),
    )

    def __init__(self, name: str, imu: Imu, star: StarTracker) -> None:
        super().__init__(name)
        self.imu = imu
        self.star = star
        self.active = False
        self.r = (0.0, 0.0, 0.0)
        self.v = (0.0, 0.0, 0.0)
        self.q = (1.0, 0.0, 0.0, 0.0)
        self.rate = (0.0, 0.0, 0.0)
        self.accel_body = (0.0, 0.0, 0.0)
        self.accel_mag = 0.0
        self.dv_sensed = 0.0   # integral of the measured specific force since launch, m/s
        self._last_ns: int | None = None
        self._star_t_ns = -1
        self._prev_accel = (0.0, 0.0, 0.0)
        self._prev_rate = (0.0, 0.0, 0.0)

    # ------------------------------------------------------------- the site
    def site_state(self, t_ns: int) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        p = self.params
        lat = math.radians(p["site_lat_deg"])
        lon = math.radians(p["site_lon_deg"]) + p["omega_radps"] * t_ns / NS_PER_S
        rs = p["site_radius_m"]
        r = (rs * math.cos(lat) * math.cos(lon), rs * math.cos(lat) * math.sin(lon), rs * math.sin(lat))
        w = p["omega_radps"]
        return r, (-w * r[1], w * r[0], 0.0)

    def start(self, t_ns: int, q: tuple[float, float, float, float] | None = None) -> None:
        """Begin navigating from the site state (and the star-tracker attitude if valid)."""
        self.r, self.v = self.site_state(t_ns)
        self._prev_rate = (0.0, 0.0, self.params["omega_radps"])
        if q is not None:
            self.q = tuple(q)
        else:
            try:
                s = self.star.read()
                if s.valid:
                    self.q = tuple(s.q_body_to_inertial)
            except DeviceFault as exc:
                self.emit("NAV_DEVICE_FAULT", device=self.star.name, reason=str(exc))
        # the lander's throw is an impulse along the nose, too short for the IMU samples
        xb = qrot(self.q, (1.0, 0.0, 0.0))
        s = self.params["eject_speed_mps"]
        self.v = (self.v[0] + s * xb[0], self.v[1] + s * xb[1], self.v[2] + s * xb[2])
        self._last_ns = t_ns
        self.active = True
        self.emit("NAV_STARTED")

    # ------------------------------------------------------------- loop
    def step(self, t_ns: int) -> None:
        if not self.active:
            return
        dt = (t_ns - self._last_ns) / NS_PER_S
        self._last_ns = t_ns
        try:
            m = self.imu.read()
            self.rate = m.rate_radps
            self.accel_body = m.accel_mps2
        except DeviceFault as exc:
            self.tlm["imu_faults"] += 1
            self.emit("NAV_DEVICE_FAULT", device=self.imu.name, reason=str(exc))
        if dt > 0.0:
            self.propagate(dt)
        if self.params["use_star_tracker"]:
            try:
                s = self.star.read()
                if s.valid and s.t_ns != self._star_t_ns:
                    # a fresh solution, brought forward from its sample time with the gyro
                    self._star_t_ns = s.t_ns
                    self.q = qpropagate(s.q_body_to_inertial, self.rate, (t_ns - s.t_ns) / NS_PER_S)
            except DeviceFault:
                pass
        a = self.accel_body
        self.accel_mag = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
        tlm = self.tlm
        tlm["active"] = True
        tlm["altitude_m"] = norm(self.r) - self.params["radius_eq_m"]
        tlm["speed_mps"] = norm(self.v)
        tlm["accel_mps2"] = self.accel_mag

    def propagate(self, dt: float) -> None:
        """Advance the state by dt: the specific force is the trapezoid of the previous and
        this IMU sample, each rotated with its attitude (a held sample would bias every
        thrust ramp by half a step); below the coast threshold the accelerometer is ignored
        (it then reads only bias and noise). Long intervals (a coarsely stepped coast) are
        split into RK4 sub-steps of at most 1 s."""
        p = self.params
        gm, j2, re = p["gm"], p["j2"], p["radius_eq_m"]
        w0, w1 = self._prev_rate, self.rate
        q_new = qpropagate(self.q, (0.5 * (w0[0] + w1[0]), 0.5 * (w0[1] + w1[1]), 0.5 * (w0[2] + w1[2])), dt)
        self._prev_rate = w1
        a_new = self.accel_body
        if self.accel_mag_of(a_new) < p["coast_accel_threshold_mps2"]:
            a_new = (0.0, 0.0, 0.0)
        f1 = qrot(self.q, self._prev_accel)
        f2 = qrot(q_new, a_new)
        f = (0.5 * (f1[0] + f2[0]), 0.5 * (f1[1] + f2[1]), 0.5 * (f1[2] + f2[2]))
        self._prev_accel = a_new
        self.q = q_new
        self.dv_sensed += math.sqrt(f[0] * f[0] + f[1] * f[1] + f[2] * f[2]) * dt
        n = max(1, int(math.ceil(dt / 1.0)))
        h = dt / n
        h2, h6 = 0.5 * h, h / 6.0
        fx, fy, fz = f
        x, y, z = self.r
        vx, vy, vz = self.v
        for _ in range(n):   # RK4 on plain floats (this runs every 50 Hz tick)
            a1 = gravity_j2((x, y, z), gm, j2, re)
            v2x, v2y, v2z = vx + h2 * (a1[0] + fx), vy + h2 * (a1[1] + fy), vz + h2 * (a1[2] + fz)
            a2 = gravity_j2((x + h2 * vx, y + h2 * vy, z + h2 * vz), gm, j2, re)
            v3x, v3y, v3z = vx + h2 * (a2[0] + fx), vy + h2 * (a2[1] + fy), vz + h2 * (a2[2] + fz)
            a3 = gravity_j2((x + h2 * v2x, y + h2 * v2y, z + h2 * v2z), gm, j2, re)
            v4x, v4y, v4z = vx + h * (a3[0] + fx), vy + h * (a3[1] + fy), vz + h * (a3[2] + fz)
            a4 = gravity_j2((x + h * v3x, y + h * v3y, z + h * v3z), gm, j2, re)
            x += h6 * (vx + 2.0 * (v2x + v3x) + v4x)
            y += h6 * (vy + 2.0 * (v2y + v3y) + v4y)
            z += h6 * (vz + 2.0 * (v2z + v3z) + v4z)
            vx += h6 * (a1[0] + 2.0 * (a2[0] + a3[0]) + a4[0] + 6.0 * fx)
            vy += h6 * (a1[1] + 2.0 * (a2[1] + a3[1]) + a4[1] + 6.0 * fy)
            vz += h6 * (a1[2] + 2.0 * (a2[2] + a3[2]) + a4[2] + 6.0 * fz)
        self.r, self.v = (x, y, z), (vx, vy, vz)

    @staticmethod
    def accel_mag_of(a) -> float:
        return math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])

    def orbit(self):
        return apsides(self.r, self.v, self.params["gm"])

    def checkpoint_state(self) -> dict:
        return super().checkpoint_state() | {"active": self.active, "r": self.r, "v": self.v, "q": self.q}


__all__ = ["MavNavigator"]

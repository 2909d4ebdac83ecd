"""MAV strapdown navigation: IMU integration from the launch state, star-tracker attitude.

Before launch the MAV knows where it is: the site (latitude, longitude, radius, uplinked)
turning with Mars in the inertial frame that coincides with the body-fixed one at onboard
time zero. At ejection the navigator starts from that state and integrates the IMU: the
attitude by exact constant-rate quaternion steps, the velocity and position with the
onboard gravity (point mass + J2) plus the measured specific force rotated to inertial.
A valid star-tracker solution replaces the propagated attitude. Device faults become a
counter and a skipped update, never an exception into the loop.

Every IMU sample is checked before use: a read that fails or a sample that does not move on
(a frozen device) makes the IMU invalid (the last rates are held, `imu_valid` is False),
and a specific force beyond what the phase can produce (`coast_accel_max_mps2` when no
motor burns, `burn_accel_max_mps2` during a burn) is rejected. During a burn the flight
manager publishes the motor's thrust model (`THRUST_MODEL`, kept as `thrust_model`): a rejected or
missing accelerometer sample, and any gap in the navigation (a crashed step, a processor
reset), is bridged with the model's acceleration along the nose; in a coast the last valid
specific force (the early coast's drag) is held for `coast_hold_s`, then the gravity model
alone carries the state. The warm-restart state is the whole navigation state.

Ports (topics.py): the navigator starts when the flight manager's phase says the MAV was
thrown (FLIGHT_PHASE), follows the thrust model it publishes (THRUST_MODEL), and publishes
its state after every step, start and restore (NAV_STATE) and its site and gravity model on
every parameter change (NAV_MODEL).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from fsw.core.component import Component
from fsw.core.ports import Sub
from fsw.core.declarations import Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.time import NS_PER_S
from fsw.gnc.attitude import qpropagate, qrot, qrot_inv
from fsw.gnc.kepler import apsides, gravity_j2, norm
from hal.devices import Imu, StarTracker
from hal.errors import DeviceFault

from .topics import FLIGHT_PHASE, NAV_MODEL, NAV_STATE, THRUST_MODEL, FlightPhase, NavModel, NavState, ThrustModel

SHORT_STEP_S = 0.05   # propagation steps this short use the midpoint rule (`propagate`)


class MavNavigator(Component):
    CHANNELS = (
        Channel("active", bool), Channel("altitude_m", float, "m"), Channel("speed_mps", float, "m/s"),
        Channel("accel_mps2", float, "m/s^2", "magnitude of the measured specific force"),
        Channel("imu_faults", int),
        Channel("imu_valid", bool, doc="the last IMU read gave a fresh sample"),
        Channel("imu_age_s", float, "s", "time since the last fresh IMU sample"),
        Channel("accel_valid", bool, doc="the last specific force was plausible for the phase"),
        Channel("accel_rejected", int, doc="specific-force samples rejected as implausible"),
        Channel("bridged_s", float, "s", "navigation time carried by the thrust model, total"),
    )
    PUBLISHES = (NAV_STATE, NAV_MODEL)
    SUBSCRIBES = (Sub(THRUST_MODEL, "_on_thrust_model"), Sub(FLIGHT_PHASE, "_on_flight_phase"))
    EVENTS = (
        EventDef("NAV_STARTED", Severity.ACTIVITY_HI, "navigation from launch state"),
        EventDef("NAV_DEVICE_FAULT", Severity.WARNING_LO, "{device}: {reason}", device=str, reason=str),
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
        Param("coast_accel_max_mps2", float, 0.1, 50.0, default=2.0,
              doc="specific force above which a sample is rejected when no motor burns "
                  "(the RCS trim gives 0.25 m/s^2)"),
        Param("burn_accel_max_mps2", float, 10.0, 1000.0, default=150.0,
              doc="specific force above which a sample is rejected during a burn"),
        Param("bridge_gap_s", float, 0.03, 10.0, default=0.1,
              doc="a navigation gap longer than this during a burn is bridged by the thrust model"),
        Param("coast_hold_s", float, 0.0, 600.0, default=30.0,
              doc="in a coast, the last valid specific force (inertial: the early coast's drag) "
                  "stands in for a rejected or missing accelerometer this long, then zero"),
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
        self._held_f = (0.0, 0.0, 0.0)      # last valid specific force, inertial
        self._held_ns: int | None = None
        self._prev_rate = (0.0, 0.0, 0.0)
        self.imu_valid = True
        self.accel_valid = True
        self._imu_t_ns = -1          # time stamp of the last fresh IMU sample
        self._imu_good_ns: int | None = None
        self.thrust_model: Callable[[float], float] | None = None   # THRUST_MODEL while a motor burns
        self.restored_ns: int | None = None   # sample time of the state a warm restart brought back
        self.tlm["imu_valid"] = self.tlm["accel_valid"] = True

    @property
    def last_ns(self) -> int | None:
        """Onboard time of the last navigation update."""
        return self._last_ns

    def updated_at(self, t_ns: int) -> bool:
        """True if the navigator ran at `t_ns` (a step that raised does not update)."""
        return self.active and self._last_ns == t_ns

    # ------------------------------------------------------------- the site
    def model(self) -> NavModel:
        p = self.params
        return NavModel(p["gm"], p["radius_eq_m"], p["omega_radps"], p["site_lat_deg"], p["site_lon_deg"],
                        p["site_radius_m"])

    def site_state(self, t_ns: int) -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        return self.model().site_state(t_ns)

    def publish_model(self) -> None:
        """NAV_MODEL: the vehicle build publishes it once wired, then every parameter change."""
        self.publish(NAV_MODEL, self.model())

    def set_param(self, name: str, value: Any) -> bool:
        ok = super().set_param(name, value)
        if ok:
            self.publish_model()
        return ok

    # ------------------------------------------------------------- ports
    def _on_thrust_model(self, model: ThrustModel) -> None:
        self.thrust_model = model.accel if model.stage is not None else None

    def _on_flight_phase(self, phase: FlightPhase) -> None:
        if phase.launch_ns is not None and not self.active:
            self.start(phase.launch_ns)

    def _publish_state(self) -> None:
        """NAV_STATE: what the flight manager and attitude control navigate by."""
        self.ports.publish(NAV_STATE, NavState(self._last_ns, self.active, self.r, self.v, self.q, self.rate,
                                         self.accel_mag, self.accel_valid, self.imu_valid, self.restored_ns))

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
        self._publish_state()

    # ------------------------------------------------------------- loop
    def step(self, t_ns: int) -> None:
        if not self.active:
            return
        dt = (t_ns - self._last_ns) / NS_PER_S
        self._last_ns = t_ns
        self._read_imu(t_ns)
        if dt > 0.0:
            self.propagate(dt, t_ns)
        if self.params["use_star_tracker"]:
            try:
                s = self.star.read()
                if s.valid and s.t_ns != self._star_t_ns:
                    # a fresh solution, brought forward from its sample time with the gyro
                    self._star_t_ns = s.t_ns
                    self.q = qpropagate(s.q_body_to_inertial, self.rate, (t_ns - s.t_ns) / NS_PER_S)
            except DeviceFault:
                pass
        tlm = self.tlm
        tlm["active"] = True
        tlm["altitude_m"] = norm(self.r) - self.params["radius_eq_m"]
        tlm["speed_mps"] = norm(self.v)
        tlm["accel_mps2"] = self.accel_mag
        self._publish_state()

    def _read_imu(self, t_ns: int) -> None:
        """Read and check the IMU: a failed read or a sample that did not move on leaves the
        last rates and specific force in place and marks the IMU invalid."""
        fresh = False
        try:
            m = self.imu.read()
            if m.t_ns > self._imu_t_ns:
                fresh = True
                self._imu_t_ns = m.t_ns
                self.rate = m.rate_radps
                self.accel_body = m.accel_mps2
            elif self.imu_valid:
                self.emit("NAV_DEVICE_FAULT", device=self.imu.name, reason="sample not updated")
        except DeviceFault as exc:
            self.tlm["imu_faults"] += 1
            if self.imu_valid:
                self.emit("NAV_DEVICE_FAULT", device=self.imu.name, reason=str(exc))
        if fresh:
            self._imu_good_ns = t_ns
        self.imu_valid = fresh
        a = self.accel_body
        self.accel_mag = math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2])
        p = self.params
        limit = p["burn_accel_max_mps2"] if self.thrust_model is not None else p["coast_accel_max_mps2"]
        self.accel_valid = fresh and self.accel_mag <= limit
        if fresh and not self.accel_valid:
            self.tlm["accel_rejected"] += 1
        tlm = self.tlm
        tlm["imu_valid"] = fresh
        tlm["accel_valid"] = self.accel_valid
        good = self._imu_good_ns
        tlm["imu_age_s"] = 0.0 if fresh else ((t_ns - good) / NS_PER_S if good is not None else 0.0)

    def _substitute_accel(self, t_ns: int, q) -> tuple[float, float, float]:
        """Body specific force standing in for a rejected or missing sample: the thrust
        model along the nose in a burn; in a coast the last valid one (inertial) for
        `coast_hold_s`, then zero."""
        if self.thrust_model is not None:
            return (self.thrust_model(t_ns / NS_PER_S), 0.0, 0.0)
        p = self.params
        if self._held_ns is not None and t_ns - self._held_ns <= p["coast_hold_s"] * NS_PER_S \
                and self.accel_mag_of(self._held_f) <= p["coast_accel_max_mps2"]:
            return qrot_inv(q, self._held_f)
        return (0.0, 0.0, 0.0)

    def propagate(self, dt: float, t_ns: int | None = None) -> None:
        """Advance the state by dt: the specific force is the trapezoid of the previous and
        this IMU sample, each rotated with its attitude (a held sample would bias every
        thrust ramp by half a step); below the coast threshold the accelerometer is ignored
        (it then reads only bias and noise), a rejected sample is replaced by the thrust
        model (zero in a coast), and a gap longer than `bridge_gap_s` during a burn takes
        the model's mean acceleration over the gap. Long intervals (a coarsely stepped
        coast) are split into RK4 sub-steps of at most 1 s."""
        p = self.params
        gm, j2, re = p["gm"], p["j2"], p["radius_eq_m"]
        w0, w1 = self._prev_rate, self.rate
        q_new = qpropagate(self.q, (0.5 * (w0[0] + w1[0]), 0.5 * (w0[1] + w1[1]), 0.5 * (w0[2] + w1[2])), dt)
        self._prev_rate = w1
        t_s = None if t_ns is None else t_ns / NS_PER_S
        a_new = self.accel_body
        if t_ns is not None:
            if self.accel_valid:
                self._held_f, self._held_ns = qrot(q_new, a_new), t_ns
            else:
                a_new = self._substitute_accel(t_ns, q_new)
        if self.accel_mag_of(a_new) < p["coast_accel_threshold_mps2"]:
            a_new = (0.0, 0.0, 0.0)
        if self.thrust_model is not None and t_s is not None and dt > p["bridge_gap_s"]:
            n = max(2, int(math.ceil(dt / 0.02)))   # the model's mean over the gap (trapezoid)
            acc = sum((0.5 if i in (0, n) else 1.0) * self.thrust_model(t_s - dt + dt * i / n)
                      for i in range(n + 1)) / n
            f = qrot(q_new, (acc, 0.0, 0.0))
            self.tlm["bridged_s"] += dt
        else:
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
        if h <= SHORT_STEP_S:
            # a base-rate tick: the midpoint rule (two gravity evaluations, not four); its
            # error over 20 ms is ~h^3 |d2g/dt2| ~ 1e-11 m/s, far below the IMU's quantum
            gm_ = gravity_j2((x + h2 * vx, y + h2 * vy, z + h2 * vz), gm, j2, re)
            a0 = gravity_j2((x, y, z), gm, j2, re)
            vmx, vmy, vmz = vx + h2 * (a0[0] + fx), vy + h2 * (a0[1] + fy), vz + h2 * (a0[2] + fz)
            self.r = (x + h * vmx, y + h * vmy, z + h * vmz)
            self.v = (vx + h * (gm_[0] + fx), vy + h * (gm_[1] + fy), vz + h * (gm_[2] + fz))
            return
        for _ in range(n):   # RK4 on plain floats (coarse steps of a quiet coast)
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
        return super().checkpoint_state() | {
            "active": self.active, "r": list(self.r), "v": list(self.v), "q": list(self.q),
            "rate": list(self.rate), "accel_body": list(self.accel_body),
            "prev_rate": list(self._prev_rate), "prev_accel": list(self._prev_accel),
            "dv_sensed": self.dv_sensed, "last_ns": self._last_ns, "star_t_ns": self._star_t_ns,
            "imu_t_ns": self._imu_t_ns, "held_f": list(self._held_f), "held_ns": self._held_ns}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Back to the saved navigation state; the first step after the restart propagates
        over the gap (gravity in a coast, the thrust model in a burn)."""
        super().restore_state(state)

        def vec(key: str, n: int, default: tuple) -> tuple:
            v = state.get(key)
            if v is None:
                return default
            out = tuple(float(x) for x in v)
            if len(out) != n or not all(math.isfinite(x) for x in out):
                raise ValueError(f"nav checkpoint: bad {key}")
            return out
        self.active = bool(state.get("active", False))
        self.r, self.v = vec("r", 3, self.r), vec("v", 3, self.v)
        self.q = vec("q", 4, self.q)
        self.rate, self.accel_body = vec("rate", 3, self.rate), vec("accel_body", 3, self.accel_body)
        self._prev_rate = vec("prev_rate", 3, self._prev_rate)
        self._prev_accel = vec("prev_accel", 3, self._prev_accel)
        self.accel_mag = self.accel_mag_of(self.accel_body)
        self.dv_sensed = float(state.get("dv_sensed", 0.0))
        last = state.get("last_ns")
        self._last_ns = None if last is None else int(last)
        self.restored_ns = self._last_ns
        self._star_t_ns = int(state.get("star_t_ns", -1))
        self._imu_t_ns = int(state.get("imu_t_ns", -1))
        self._imu_good_ns = self._last_ns
        self._held_f = vec("held_f", 3, (0.0, 0.0, 0.0))
        held = state.get("held_ns")
        self._held_ns = None if held is None else int(held)
        if self.active and self._last_ns is None:
            raise ValueError("nav checkpoint: active without a time")
        self._publish_state()


__all__ = ["MavNavigator"]

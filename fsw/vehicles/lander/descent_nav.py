"""Descent navigation ("descent_nav"): the lander's own state from backshell separation to the surface.

At backshell separation (guidance rate, after the mode manager) it takes the EDL navigator's
hand-over (what the lander really knows: map-relative if TRN fixed it). Every control cycle it
integrates the IMU's specific force in the local frame (attitude control holds the lander
level, so body and local axes coincide), or without the IMU the engines' measured or commanded
thrust; blends the altimeter's range over the onboard map's terrain into the vertical channel,
gated on its residual; burns the mass down on the commanded thrust; and says whether the legs
are in contact and the descent arrested. Requirements LDR-NAV-* (DESIGN.md).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

import numpy as np

from fsw.core.component import CommandError, Component, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT, DeviceFailure, failed
from fsw.core.events import EventDef, Severity
from fsw.core.time import NS_PER_S
from fsw.gnc.descent_guidance import G_MARS

from .edl_common import EdlLinks
from .topics import DESCENT_NAV, DESCENT_THRUST, LANDER_MODE, DescentNav

EDL_MODES = ("POWERED_DESCENT", "HAZARD_DIVERT")
BEFORE_DESCENT = ("CRUISE", "ENTRY", "PARACHUTE", "TERRAIN_NAV")
ON_CHUTE = ("PARACHUTE", "TERRAIN_NAV")


class DescentNavigator(Component):
    PUBLISHES = (DESCENT_NAV,)
    SUBSCRIBES = (LANDER_MODE, DESCENT_THRUST)
    CHANNELS = (
        Channel("nav_x_m", float, "m"), Channel("nav_y_m", float, "m"), Channel("nav_z_m", float, "m"),
        Channel("nav_vx_mps", float, "m/s"), Channel("nav_vy_mps", float, "m/s"),
        Channel("nav_vz_mps", float, "m/s"), Channel("altitude_m", float, "m"), Channel("mass_kg", float, "kg"),
        Channel("device_faults", int, ""), Channel("surface_device_faults", int, ""),
        Channel("alt_residual_m", float, "m"), Channel("alt_rejects", int, ""), Channel("nav_gaps", int, ""),
    )
    EVENTS = (
        EventDef("NAV_INITIALISED", Severity.ACTIVITY_LO, "nav state from EDL hand-over"),
        DEVICE_FAULT,
        EventDef("NAV_GAP", Severity.WARNING_HI, "no navigation for {gap_s} s: propagated on the commanded thrust", gap_s=float),
        EventDef("ALT_REJECTED", Severity.WARNING_HI, "altimeter residual {residual_m} m outside the {gate_m} m gate", residual_m=float, gate_m=float),
    )
    PARAMS = (
        Param("touchdown_range_m", float, 0.1, 20.0, default=2.5,
              doc="altimeter range below which the legs are in contact"),
        Param("arrested_speed_mps", float, 0.01, 2.0, default=0.3,
              doc="vertical speed under which the descent counts as arrested"),
        Param("arrested_cycles", int, 1, 100, default=5),
        Param("mass_kg", float, 100.0, 10000.0, default=2275.0, doc="mass at backshell separation"),
        Param("dry_mass_kg", float, 100.0, 10000.0, default=1875.0, doc="the lander without propellant"),
        Param("isp_s", float, 100.0, 400.0, default=225.0),
        Param("alt_blend_gain", float, 0.0, 1.0, default=0.05,
              doc="complementary-filter gain of the altimeter on nav z per control cycle"),
        Param("alt_first_gate_m", float, 1.0, 5000.0, default=500.0,
              doc="the first range after the hand-over resets the altitude if within this"),
        Param("alt_gate_m", float, 0.5, 1000.0, default=5.0,
              doc="altimeter residuals beyond this are rejected (nominal: well under 1 m after the hand-over)"),
        Param("alt_gate_growth_mps2", float, 0.0, 10.0, default=0.5,
              doc="the gate opens by 1/2 this x t^2 over t s without an accepted altimeter range "
                  "(inertial drift, a propagated gap), so navigation that did drift is pulled back"),
        Param("stale_reads", int, 1, 100, default=2,
              doc="a device sample seen this many more times (same time stamp) is stale: not used"),
    )

    def __init__(self, name: str = "descent_nav", *, imu=None, altimeter=None, engine=None,
                 control_rate_hz: int = 50, links: EdlLinks | None = None) -> None:
        super().__init__(name)
        self.links = links or EdlLinks()
        self.imu, self.altimeter, self.engine = imu, altimeter, engine
        self.dt_control = 1.0 / control_rate_hz
        self.ground: Callable[[float, float], float] = lambda x, y: 0.0
        self.r = np.zeros(3)
        self.v = np.zeros(3)
        self.mass = 0.0
        self.nav_ok = False
        self.thrust_cmd = (0.0, (0.0, 0.0, 1.0))   # what the engines were last told (DESCENT_THRUST)
        self.range_m = math.inf
        self.range_valid = False
        self._arrested = 0
        self._nav_t_ns: int | None = None     # time of the last navigation step (gaps are propagated)
        self._engine_thrust: float | None = None   # the engines' measured thrust this cycle (None: not live)
        self._since_alt_s = 0.0               # since the last accepted altimeter range
        self._alt_locked = True               # False after a hand-over: the first range resets the altitude
        self._last_sample: dict[str, tuple[int, int]] = {}   # device -> (sample t_ns, repeats)

    def use_map(self, height_at: Callable[[float, float], float]) -> None:
        """The onboard map's terrain height (the ground product the site choice uses too)."""
        self.ground = height_at

    def init_nav(self, r, v, mass_kg: float) -> None:
        """EDL navigation hand-over (position, velocity in the local frame, mass estimate)."""
        self.r = np.array(r, dtype=float)
        self.v = np.array(v, dtype=float)
        self.mass = float(mass_kg)
        self.nav_ok = True
        self._since_alt_s = 0.0
        self._alt_locked = False
        self.emit("NAV_INITIALISED")

    @command("NAV_HANDOVER", Arg("x_m", float, -1e6, 1e6), Arg("y_m", float, -1e6, 1e6),
             Arg("z_m", float, -1e5, 1e6), Arg("vx_mps", float, -1e4, 1e4), Arg("vy_mps", float, -1e4, 1e4),
             Arg("vz_mps", float, -1e4, 1e4), Arg("mass_kg", float, 1.0, 1e5),
             doc="EDL navigation hand-over (local frame), before powered descent")
    def _cmd_nav_handover(self, x_m: float, y_m: float, z_m: float, vx_mps: float, vy_mps: float, vz_mps: float,
                          mass_kg: float) -> None:
        if self._lander_mode() not in BEFORE_DESCENT:
            raise CommandError(f"not before powered descent (lander {self._lander_mode()})")
        self.init_nav((x_m, y_m, z_m), (vx_mps, vy_mps, vz_mps), mass_kg)

    def _lander_mode(self) -> str:
        return self.received(LANDER_MODE) or "CRUISE"

    # ------------------------------------------------------------ guidance rate: the hand-over
    def handover_step(self, t_ns: int) -> None:
        """On the parachute, once the backshell is gone: take the EDL navigator's state."""
        if (not self.nav_ok and self.links.handover is not None and self._lander_mode() in ON_CHUTE
                and self.links.edl_phase() == "BACKSHELL_OFF"):
            r, v = self.links.handover()
            self.init_nav(r, v, self.params["mass_kg"])

    # ------------------------------------------------------------ devices
    def _read(self, dev):
        r = self.device_call(dev.read)
        return None if failed(r) else r

    def on_device_fault(self, failure: DeviceFailure) -> None:
        mode = self._lander_mode()
        if mode not in EDL_MODES and mode not in BEFORE_DESCENT:
            self.tlm["surface_device_faults"] += 1     # the surface table's own count (descent faults stay behind)

    def _fresh(self, dev, reading) -> bool:
        """False once a device keeps returning the same sample (a frozen unit): counted as a fault."""
        last_t, repeats = self._last_sample.get(dev.name, (None, 0))
        repeats = repeats + 1 if reading.t_ns == last_t else 0
        self._last_sample[dev.name] = (reading.t_ns, repeats)
        if repeats < self.params["stale_reads"]:
            return True
        error = f"sample frozen at t={reading.t_ns / NS_PER_S:.3f} s"
        if repeats == self.params["stale_reads"]:
            self.report_device_fault(DeviceFailure(dev.name, error))
        else:                                  # counted, not reported again
            self.tlm["device_faults"] += 1
            self.on_device_fault(DeviceFailure(dev.name, error))
        return False

    # ------------------------------------------------------------ control rate
    def _propagate(self, dt: float) -> None:
        """Navigation without the IMU: the engines' measured thrust if their telemetry is live,
        else the commanded thrust (the engines hold their last command), along the commanded direction."""
        thrust, u = self.thrust_cmd
        if self._engine_thrust is not None:
            thrust = self._engine_thrust
        a = np.asarray(u, dtype=float) * thrust / max(self.mass, 1.0) + np.array([0.0, 0.0, -G_MARS])
        self.r += self.v * dt + 0.5 * a * dt * dt
        self.v += a * dt

    def _integrate(self, accel, dt: float) -> None:
        """r += v dt + a dt^2 / 2, v += a dt with a = the sensed force + gravity: per component,
        the very operations the arrays did (their + 0.0 kept: it makes -0.0 0.0), without the
        seven small numpy operations a step."""
        ax, ay, az = accel
        ax, ay, az = float(ax) + 0.0, float(ay) + 0.0, float(az) + -G_MARS
        r, v = self.r, self.v
        (rx, ry, rz), (vx, vy, vz) = r.tolist(), v.tolist()
        r[0], r[1], r[2] = (rx + (vx * dt + 0.5 * ax * dt * dt), ry + (vy * dt + 0.5 * ay * dt * dt),
                            rz + (vz * dt + 0.5 * az * dt * dt))
        v[0], v[1], v[2] = vx + ax * dt, vy + ay * dt, vz + az * dt

    def step(self, t_ns: int) -> None:
        if not self.nav_ok:
            return
        cmd = self.received(DESCENT_THRUST)
        if cmd is not None:
            self.thrust_cmd = (cmd.thrust_N, cmd.direction)
        dt = self.dt_control
        if self._nav_t_ns is not None:
            gap = (t_ns - self._nav_t_ns) / NS_PER_S - dt
            if gap > 0.5 * dt:               # a processor reset or a crashed step: no IMU data for `gap`
                self._propagate(gap)
                self._since_alt_s += gap
                self.tlm["nav_gaps"] += 1
                self.emit("NAV_GAP", gap_s=round(gap, 3))
        self._nav_t_ns = t_ns
        self._engine_thrust = None
        if self.engine is not None and self._lander_mode() in EDL_MODES:
            e = self._read(self.engine)
            if e is not None and self._fresh(self.engine, e):
                self._engine_thrust = float(e.thrust_N)
        reading = self._read(self.imu) if self.imu is not None else None
        if reading is not None and self._fresh(self.imu, reading):
            self._integrate(reading.accel_mps2, dt)
        elif self.imu is not None:
            self._propagate(dt)
        if self.thrust_cmd[0] > 0.0:
            self.mass = max(self.mass - self.thrust_cmd[0] / (self.params["isp_s"] * 9.80665) * dt,
                            self.params["dry_mass_kg"])     # never below the empty lander
        self._since_alt_s += dt
        if self.altimeter is not None:
            self._altimeter(dt)
        if abs(self.v[2]) < self.params["arrested_speed_mps"] and self._contact():
            self._arrested += 1
        else:
            self._arrested = 0
        self._publish()

    def _contact(self) -> bool:
        return self.range_valid and self.range_m <= self.params["touchdown_range_m"]

    def _altimeter(self, dt: float) -> None:
        """Blend the altimeter's range into the vertical channel, gated on its residual: a range
        that disagrees with navigation by more than the gate (a biased or glitching unit) is not
        used; an unanswered or frozen altimeter gives no range (no touchdown on a stale one)."""
        alt = self._read(self.altimeter)
        if alt is None or not self._fresh(self.altimeter, alt):
            self.range_valid = False
            return
        self.range_valid = bool(alt.valid) and math.isfinite(alt.range_m)
        if not self.range_valid:
            return
        resid = float(self.ground(self.r[0], self.r[1]) + float(alt.range_m) - self.r[2])
        self.tlm["alt_residual_m"] = resid
        p = self.params
        if not self._alt_locked and abs(resid) <= p["alt_first_gate_m"]:
            self._alt_locked = True               # the hand-over's altitude is the EDL radar's, blended
            self.r[2] += resid                    # at a lower rate: take the lander's own range outright
            self.range_m, self._since_alt_s = float(alt.range_m), 0.0
            return
        gate = p["alt_gate_m"] + 0.5 * p["alt_gate_growth_mps2"] * self._since_alt_s ** 2
        if abs(resid) > gate:
            self.range_valid = False
            self.tlm["alt_rejects"] += 1
            if self.tlm["alt_rejects"] == 1 or self._since_alt_s < 1.5 * dt:
                self.emit("ALT_REJECTED", residual_m=round(resid, 2), gate_m=round(gate, 2))
            return
        self.range_m = float(alt.range_m)
        self._since_alt_s = 0.0
        # Alpha-beta filter on the vertical channel (beta from alpha, critically damped).
        alpha = p["alt_blend_gain"]
        self.r[2] += alpha * resid
        self.v[2] += alpha * alpha / (2.0 - alpha) / dt * resid

    def _publish(self) -> None:
        tl = self.tlm
        r = tuple(self.r.tolist())
        v = tuple(self.v.tolist())
        tl["nav_x_m"], tl["nav_y_m"], tl["nav_z_m"] = r
        tl["nav_vx_mps"], tl["nav_vy_mps"], tl["nav_vz_mps"] = v
        tl["altitude_m"] = self.range_m if self.range_valid else -1.0
        tl["mass_kg"] = self.mass
        self.publish(DESCENT_NAV, DescentNav(r, v, self.mass, self.range_m, self.range_valid, self._contact(),
                                             self._arrested >= self.params["arrested_cycles"]))

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        """The navigation state with its time (a restart propagates it over the gap on the last
        engine command, what the engines held through the reboot) and the fault counters."""
        return super().checkpoint_state() | {
            "nav": {"ok": self.nav_ok, "t_ns": self._nav_t_ns, "r": [float(c) for c in self.r],
                    "v": [float(c) for c in self.v], "mass_kg": self.mass, "range_m": self.range_m
                    if math.isfinite(self.range_m) else None, "range_valid": self.range_valid,
                    "arrested": self._arrested, "since_alt_s": self._since_alt_s, "alt_locked": self._alt_locked},
            "thrust_cmd": [self.thrust_cmd[0], list(self.thrust_cmd[1])],
            "tlm": {k: self.tlm[k] for k in ("device_faults", "surface_device_faults", "alt_rejects", "nav_gaps")},
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        nav = state.get("nav")
        if nav:
            self.nav_ok = bool(nav["ok"])
            self._nav_t_ns = None if nav["t_ns"] is None else int(nav["t_ns"])
            self.r, self.v = np.array(nav["r"], dtype=float), np.array(nav["v"], dtype=float)
            self.mass = float(nav["mass_kg"])
            self.range_m = math.inf if nav["range_m"] is None else float(nav["range_m"])
            self.range_valid = bool(nav["range_valid"])
            self._arrested = int(nav["arrested"])
            self._since_alt_s = float(nav["since_alt_s"])
            self._alt_locked = bool(nav.get("alt_locked", True))
        if state.get("thrust_cmd") is not None:
            thrust, u = state["thrust_cmd"]
            self.thrust_cmd = (float(thrust), tuple(float(c) for c in u))
        for k, v in state.get("tlm", {}).items():
            if k in self.tlm:
                self.tlm[k] = v

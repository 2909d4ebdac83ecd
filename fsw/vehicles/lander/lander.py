"""The lander's vehicle component: EDL-to-surface modes, navigation, site choice and guidance.

Through entry and the parachute the EDL components (entry navigation, entry guidance, the EDL
sequence, terrain-relative navigation: `EdlLinks`) do the work and the lander follows their
phases. At backshell separation it takes the EDL navigator's state (what the lander really
knows: map-relative if TRN fixed it) and integrates the IMU's specific force in the local
frame (the lander's attitude is held level by its attitude control, so body and local axes
coincide here), blending the altimeter's range over the onboard map's terrain height into the
vertical channel. At powered-descent start the lander predicts where it would land, chooses
the safe site closest to the target within the divert budget that its guidance can fly to
(hazard map, 60 m disc; without a map fix only sites with a safe margin as wide as its
position uncertainty, searched wider) and flies polynomial guidance to it; a site away from
the target means HAZARD_DIVERT. Touchdown is declared only with altimeter contact and an
arrested descent, then the engines are cut.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import numpy as np

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT, DeviceFailure, failed
from fsw.core.events import EventDef, Severity
from fsw.core.time import NS_PER_S
from fsw.gnc import hazard, site_select
from fsw.gnc.descent_guidance import G_MARS, DescentTarget, EngineLimits, PolynomialGuidance

from .edl_common import EdlLinks
from .modes import LANDER_MODES
from .topics import LANDER_MODE, STA_STATUS

EDL_MODES = ("POWERED_DESCENT", "HAZARD_DIVERT")


class Lander(Component):
    MODES = LANDER_MODES
    PUBLISHES = (LANDER_MODE,)
    SUBSCRIBES = (STA_STATUS,)
    CHANNELS = (
        Channel("nav_x_m", float, "m"), Channel("nav_y_m", float, "m"), Channel("nav_z_m", float, "m"),
        Channel("nav_vx_mps", float, "m/s"), Channel("nav_vy_mps", float, "m/s"),
        Channel("nav_vz_mps", float, "m/s"), Channel("altitude_m", float, "m"),
        Channel("throttle", float, ""), Channel("tgo_s", float, "s"), Channel("mass_kg", float, "kg"),
        Channel("site_x_m", float, "m"), Channel("site_y_m", float, "m"),
        Channel("guidance_phase", str, ""), Channel("device_faults", int, ""),
        Channel("surface_device_faults", int, ""), Channel("alt_residual_m", float, "m"), Channel("alt_rejects", int, ""), Channel("nav_gaps", int, ""),
    )
    EVENTS = (
        EventDef("SITE_CHOSEN", Severity.ACTIVITY_HI,
                 "site ({x_m}, {y_m}), {miss_m} m from target, divert {divert_m} m", x_m=float, y_m=float, miss_m=float, divert_m=float),
        EventDef("NO_SAFE_SITE", Severity.WARNING_HI, "no safe site within {budget_m} m; landing at target", budget_m=float),
        EventDef("MAP_LOADED", Severity.ACTIVITY_LO, "onboard map {n} x {n}, safe fraction {safe_fraction}", n=int, safe_fraction=float),
        EventDef("NAV_INITIALISED", Severity.ACTIVITY_LO, "nav state from EDL hand-over"),
        EventDef("TOUCHDOWN_DETECTED", Severity.ACTIVITY_HI, "range {range_m} m, vz {vz_mps} m/s", range_m=float, vz_mps=float),
        EventDef("ENGINES_OFF", Severity.ACTIVITY_HI, "descent engines safed"),
        DEVICE_FAULT,
        EventDef("NAV_GAP", Severity.WARNING_HI, "no navigation for {gap_s} s: propagated on the commanded thrust", gap_s=float),
        EventDef("ALT_REJECTED", Severity.WARNING_HI, "altimeter residual {residual_m} m outside the {gate_m} m gate", residual_m=float, gate_m=float),
    )
    PARAMS = (
        Param("divert_budget_m", float, 0.0, 2000.0, default=250.0,
              doc="largest divert from the predicted landing point"),
        Param("touchdown_range_m", float, 0.1, 20.0, default=2.5,
              doc="altimeter range below which the legs are in contact"),
        Param("arrested_speed_mps", float, 0.01, 2.0, default=0.3,
              doc="vertical speed under which the descent counts as arrested"),
        Param("arrested_cycles", int, 1, 100, default=5),
        Param("mass_kg", float, 100.0, 10000.0, default=2275.0, doc="mass at backshell separation"),
        Param("dry_mass_kg", float, 100.0, 10000.0, default=1875.0, doc="the lander without propellant"),
        Param("wide_budget_m", float, 0.0, 5000.0, default=600.0,
              doc="without a map fix: the site search reaches this far"),
        Param("low_gate_alt_m", float, 5.0, 200.0, default=20.0),
        Param("terminal_speed_mps", float, 0.2, 2.5, default=1.0),
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

    def __init__(self, name: str = "lander", *, imu=None, altimeter=None, engine=None,
                 onboard_map: hazard.OnboardMap | None = None, limits: hazard.HazardLimits = hazard.HazardLimits(),
                 target_xy: tuple[float, float] = (0.0, 0.0), engine_limits: EngineLimits = EngineLimits(),
                 control_rate_hz: int = 50, guidance_rate_hz: int = 10, links: EdlLinks | None = None) -> None:
        super().__init__(name)
        self.links = links or EdlLinks()
        self.imu, self.altimeter, self.engine = imu, altimeter, engine
        self.engine_limits = engine_limits
        self.target_xy = (float(target_xy[0]), float(target_xy[1]))
        self.dt_control = 1.0 / control_rate_hz
        self.dt_guidance = 1.0 / guidance_rate_hz
        self.safety: hazard.SafetyMap | None = None
        self.map_limits = limits
        self.r = np.zeros(3)
        self.v = np.zeros(3)
        self.mass = 0.0
        self.nav_ok = False
        self.guidance: PolynomialGuidance | None = None
        self.site: hazard.SiteChoice | None = None
        self.site_metrics: dict[str, float] | None = None
        self.thrust_cmd = (0.0, (0.0, 0.0, 1.0))
        self.range_m = math.inf
        self.range_valid = False
        self._arrested = 0
        self._nav_t_ns: int | None = None     # time of the last navigation step (gaps are propagated)
        self._engine_thrust: float | None = None   # the engines' measured thrust this cycle (None: not live)
        self._since_alt_s = 0.0               # since the last accepted altimeter range
        self._alt_locked = True               # False after a hand-over: the first range resets the altitude
        self._last_sample: dict[str, tuple[int, int]] = {}   # device -> (sample t_ns, repeats)
        self.flags = {"cruise_stage_separated": False, "divert_pending": False,
                      "mav_go": False, "mav_departed": False, "engines_armed": False}
        if onboard_map is not None:
            self.load_map(onboard_map)

    # ------------------------------------------------------------ map and nav hand-over
    def load_map(self, onboard_map: hazard.OnboardMap, safety: hazard.SafetyMap | None = None) -> None:
        """Assess the onboard map once (before EDL), or take the assessment made on the ground
        (`safety`, of this map with these limits); site choice later is a cheap window search."""
        self.safety = safety if safety is not None else site_select.assess(onboard_map, self.map_limits)
        self.emit("MAP_LOADED", n=onboard_map.n, safe_fraction=round(self.safety.safe_fraction, 4))

    def init_nav(self, r, v, mass_kg: float) -> None:
        """EDL navigation hand-over (position, velocity in the local frame, mass estimate)."""
        self.r = np.array(r, dtype=float)
        self.v = np.array(v, dtype=float)
        self.mass = float(mass_kg)
        self.nav_ok = True
        self._since_alt_s = 0.0
        self._alt_locked = False
        self.emit("NAV_INITIALISED")

    # ------------------------------------------------------------ guards
    def cruise_stage_separated(self) -> bool:
        return self.flags["cruise_stage_separated"]

    def entry_navigation_ready(self) -> bool:
        return self.links.nav() is not None

    def chute_deployed(self) -> bool:
        return self.links.edl_phase() in ("ON_CHUTE", "HEATSHIELD_OFF", "BACKSHELL_OFF")

    def heatshield_separated(self) -> bool:
        return self.links.edl_phase() in ("HEATSHIELD_OFF", "BACKSHELL_OFF")

    def radar_locked(self) -> bool:
        nav = self.links.nav()
        return nav is not None and nav.radar_locked

    def backshell_separated(self) -> bool:
        return self.links.edl_phase() == "BACKSHELL_OFF"

    def altimeter_valid(self) -> bool:
        return self.range_valid

    def safe_site_chosen(self) -> bool:
        return self.site is not None

    def altimeter_contact(self) -> bool:
        return self.range_valid and self.range_m <= self.params["touchdown_range_m"]

    def descent_arrested(self) -> bool:
        return self._arrested >= self.params["arrested_cycles"]

    def engines_off(self) -> bool:
        return self.thrust_cmd[0] == 0.0

    def sta_ready(self) -> bool:
        s = self.received(STA_STATUS)
        return s is not None and s.mode == "READY"

    def sta_busy(self) -> bool:
        s = self.received(STA_STATUS)
        return s is not None and s.busy

    def os_sealed(self) -> bool:
        s = self.received(STA_STATUS)
        return s is not None and s.sealed

    def on_mode_change(self, source: str, dest: str) -> None:
        self.publish(LANDER_MODE, dest)

    def mav_go(self) -> bool:
        return self.flags["mav_go"]

    def mav_departed(self) -> bool:
        return self.flags["mav_departed"]

    # ------------------------------------------------------------ commands
    @command("SEPARATE_CRUISE_STAGE", modes=("CRUISE",), doc="Cruise-stage separation done")
    def _cmd_separate_cruise_stage(self) -> None:
        self.flags["cruise_stage_separated"] = True

    @command("MODE", Arg("trigger", str), doc="Fire a mode trigger (ground or sequence)")
    def _cmd_mode(self, trigger: str) -> None:
        if not self.trigger(trigger):
            raise CommandError(f"trigger {trigger} refused in {self.mode}")

    @command("MAV_GO", Arg("go", bool), modes=("MAV_PREP", "LAUNCH_SUPPORT"), doc="MAV go/no-go")
    def _cmd_mav_go(self, go: bool) -> None:
        self.flags["mav_go"] = go

    @command("MAV_DEPARTED", modes=("LAUNCH_SUPPORT",), doc="MAV has left the launch rail")
    def _cmd_mav_departed(self) -> None:
        self.flags["mav_departed"] = True

    @command("NAV_HANDOVER", Arg("x_m", float, -1e6, 1e6), Arg("y_m", float, -1e6, 1e6),
             Arg("z_m", float, -1e5, 1e6), Arg("vx_mps", float, -1e4, 1e4), Arg("vy_mps", float, -1e4, 1e4),
             Arg("vz_mps", float, -1e4, 1e4), Arg("mass_kg", float, 1.0, 1e5),
             modes=("CRUISE", "ENTRY", "PARACHUTE", "TERRAIN_NAV"), doc="EDL navigation hand-over (local frame)")
    def _cmd_nav_handover(self, x_m: float, y_m: float, z_m: float, vx_mps: float, vy_mps: float, vz_mps: float,
                      mass_kg: float) -> None:
        self.init_nav((x_m, y_m, z_m), (vx_mps, vy_mps, vz_mps), mass_kg)

    @command("SET_TARGET", Arg("x_m", float, -1e5, 1e5), Arg("y_m", float, -1e5, 1e5),
             modes=("CRUISE", "ENTRY", "PARACHUTE", "TERRAIN_NAV"), doc="Targeted landing point (local frame)")
    def _cmd_set_target(self, x_m: float, y_m: float) -> None:
        self.target_xy = (x_m, y_m)

    # ------------------------------------------------------------ devices
    def _read(self, dev):
        r = self.device_call(dev.read)
        return None if failed(r) else r

    def _command_engine(self, thrust_N: float, direction) -> None:
        self.thrust_cmd = (thrust_N, tuple(direction))
        if self.engine is None:
            return
        throttle = min(max(thrust_N / self.engine_limits.max_thrust_N, 0.0), 1.0)
        self.device_call(self.engine.command, throttle, tuple(float(c) for c in direction))

    def on_device_fault(self, failure: DeviceFailure) -> None:
        if self.mode not in EDL_MODES and self.mode not in ("CRUISE", "ENTRY", "PARACHUTE", "TERRAIN_NAV"):
            self.tlm["surface_device_faults"] += 1     # the surface table's own count (descent faults stay behind)

    # ------------------------------------------------------------ control rate: navigation
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

    def _propagate(self, dt: float) -> None:
        """Navigation without the IMU: the engines' measured thrust if their telemetry is live,
        else the commanded thrust (the engines hold their last command), along the commanded direction."""
        thrust, u = self.thrust_cmd
        if self._engine_thrust is not None:
            thrust = self._engine_thrust
        a = np.asarray(u, dtype=float) * thrust / max(self.mass, 1.0) + np.array([0.0, 0.0, -G_MARS])
        self.r += self.v * dt + 0.5 * a * dt * dt
        self.v += a * dt

    def step(self, t_ns: int) -> None:
        if not self.nav_ok:
            return
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
        if self.engine is not None and self.mode in EDL_MODES:
            e = self._read(self.engine)
            if e is not None and self._fresh(self.engine, e):
                self._engine_thrust = float(e.thrust_N)
        reading = self._read(self.imu) if self.imu is not None else None
        if reading is not None and self._fresh(self.imu, reading):
            a = np.asarray(reading.accel_mps2, dtype=float) + np.array([0.0, 0.0, -G_MARS])
            self.r += self.v * dt + 0.5 * a * dt * dt
            self.v += a * dt
        elif self.imu is not None:
            self._propagate(dt)
        if self.thrust_cmd[0] > 0.0:
            self.mass = max(self.mass - self.thrust_cmd[0] / (self.params["isp_s"] * 9.80665) * dt,
                            self.params["dry_mass_kg"])     # never below the empty lander
        self._since_alt_s += dt
        if self.altimeter is not None:
            self._altimeter(dt)
        if abs(self.v[2]) < self.params["arrested_speed_mps"] and self.altimeter_contact():
            self._arrested += 1
        else:
            self._arrested = 0
        if self.mode in EDL_MODES and self.altimeter_contact() and self.descent_arrested():
            self.emit("TOUCHDOWN_DETECTED", range_m=round(self.range_m, 3), vz_mps=round(float(self.v[2]), 3))
            self.trigger("touchdown")
        self._publish()

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
        ground = self.safety.map.height_at(self.r[0], self.r[1]) if self.safety else 0.0
        resid = float(ground + float(alt.range_m) - self.r[2])
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
        tl["nav_x_m"], tl["nav_y_m"], tl["nav_z_m"] = (float(c) for c in self.r)
        tl["nav_vx_mps"], tl["nav_vy_mps"], tl["nav_vz_mps"] = (float(c) for c in self.v)
        tl["altitude_m"] = self.range_m if self.range_valid else -1.0
        tl["throttle"] = self.thrust_cmd[0] / self.engine_limits.max_thrust_N
        tl["mass_kg"] = self.mass

    # ------------------------------------------------------------ guidance rate: sequencing, guidance
    def guidance_step(self, t_ns: int) -> None:
        mode = self.mode
        if mode == "POWERED_DESCENT" and self.flags["divert_pending"]:
            self.flags["divert_pending"] = False
            self.trigger("divert")
            mode = self.mode
        if mode == "ENTRY" and self.chute_deployed():
            mode = self.mode if not self.trigger("deploy_chute") else "PARACHUTE"
        if mode == "PARACHUTE" and self.heatshield_separated() and self.radar_locked():
            mode = self.mode if not self.trigger("start_trn") else "TERRAIN_NAV"
        if mode in ("PARACHUTE", "TERRAIN_NAV") and self.backshell_separated():
            if not self.nav_ok and self.links.handover is not None:
                r, v = self.links.handover()
                self.init_nav(r, v, self.params["mass_kg"])
                self.flags["engines_armed"] = True
            elif self.trigger("start_powered_descent"):
                self._choose_site()
                mode = self.mode
        if mode in EDL_MODES and self.guidance is not None:
            cmd = self.guidance.step(self.r, self.v, self.mass, self.dt_guidance)
            self._command_engine(cmd.thrust_N, cmd.direction)
            self.tlm["tgo_s"] = float(self.guidance.tgo or 0.0)
            self.tlm["guidance_phase"] = cmd.phase
        else:
            self.during()

    # ------------------------------------------------------------ surface phases (guidance rate)
    def during_TOUCHDOWN(self) -> None:
        if self.engines_off():
            self.trigger("secure")

    def during_SURFACE_IDLE(self) -> None:
        if self.os_sealed():
            self.trigger("prepare_mav")
        elif self.sta_ready() and self.sta_busy():
            self.trigger("begin_transfer")

    def during_SAMPLE_TRANSFER(self) -> None:
        if self.os_sealed():
            self.trigger("prepare_mav")
        elif not self.sta_busy():
            self.trigger("pause_transfer")

    def during_MAV_PREP(self) -> None:
        if self.mav_go():
            self.trigger("support_launch")

    def during_LAUNCH_SUPPORT(self) -> None:
        if self.mav_departed():
            self.trigger("launched")

    def predicted_landing_xy(self) -> tuple[float, float]:
        """Zero-effort prediction: current horizontal velocity held until the ground."""
        ground = self.safety.map.height_at(self.r[0], self.r[1]) if self.safety else 0.0
        h = max(self.r[2] - ground, 0.0)
        t_fall = h / max(-self.v[2], 20.0)
        return float(self.r[0] + self.v[0] * t_fall), float(self.r[1] + self.v[1] * t_fall)

    def _reachable(self, x: float, y: float) -> bool:
        """Powered-descent guidance has a profile inside the engine envelope to this site."""
        g = PolynomialGuidance(DescentTarget((x, y, self.safety.map.height_at(x, y)), self.params["low_gate_alt_m"],
                                             self.params["terminal_speed_mps"]), self.engine_limits)
        tgo = g.choose_tgo(self.r, self.v, self.mass)
        return g.violation(self.r, self.v, self.mass, tgo, margin=1.0) == 0.0

    def _choose_site(self) -> None:
        tx, ty = self.target_xy
        choice = None
        if self.safety is not None:
            predicted = self.predicted_landing_xy()
            fixed, sigma = self.links.trn_status()
            choice = site_select.choose_site(self.safety, self.target_xy, predicted, self.params["divert_budget_m"],
                                             reachable=self._reachable, margin_m=0.0 if fixed else 3.0 * sigma,
                                             wide_budget_m=self.params["wide_budget_m"])
        if choice is None:
            self.emit("NO_SAFE_SITE", budget_m=self.params["divert_budget_m"])
            site = (tx, ty, self.safety.map.height_at(tx, ty) if self.safety else 0.0)
        else:
            self.site = choice
            self.site_metrics = site_select.site_metrics(self.safety, choice.i, choice.j)
            self.emit("SITE_CHOSEN", x_m=round(choice.x_m, 2), y_m=round(choice.y_m, 2),
                      miss_m=round(choice.miss_from_target_m, 2), divert_m=round(choice.divert_m, 2))
            site = (choice.x_m, choice.y_m, self.safety.map.height_at(choice.x_m, choice.y_m))
        self.tlm["site_x_m"], self.tlm["site_y_m"] = site[0], site[1]
        self.guidance = PolynomialGuidance(
            DescentTarget(site, self.params["low_gate_alt_m"], self.params["terminal_speed_mps"]),
            self.engine_limits)
        # HAZARD_DIVERT on the next guidance cycle, once powered descent has its plan
        self.flags["divert_pending"] = choice is not None and choice.miss_from_target_m > self.safety.map.resolution_m

    def on_enter_TOUCHDOWN(self) -> None:
        if self.thrust_cmd[0] != 0.0 or self.engine is not None:
            self._command_engine(0.0, (0.0, 0.0, 1.0))
            self.flags["engines_armed"] = False
            self.emit("ENGINES_OFF")

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        """Flags, the navigation state with its time (a restart propagates it over the gap), the
        chosen site and the guidance phase, the last engine command."""
        g = self.guidance
        return super().checkpoint_state() | {
            "flags": dict(self.flags), "target_xy": list(self.target_xy),
            "nav": {"ok": self.nav_ok, "t_ns": self._nav_t_ns, "r": [float(c) for c in self.r],
                    "v": [float(c) for c in self.v], "mass_kg": self.mass, "range_m": self.range_m
                    if math.isfinite(self.range_m) else None, "range_valid": self.range_valid,
                    "arrested": self._arrested, "since_alt_s": self._since_alt_s, "alt_locked": self._alt_locked},
            "thrust_cmd": [self.thrust_cmd[0], list(self.thrust_cmd[1])],
            "site": None if self.site is None else dict(vars(self.site)),
            "guidance": None if g is None else {"site_m": list(g.target.site_m), "low_gate_alt_m":
                                                g.target.low_gate_alt_m, "speed_mps": g.target.low_gate_speed_mps,
                                                "tgo": g.tgo, "phase": g.phase},
            "tlm": {k: self.tlm[k] for k in ("device_faults", "surface_device_faults", "alt_rejects", "nav_gaps", "site_x_m", "site_y_m")},
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put the checkpoint back; the next control step propagates navigation from the saved
        time to now on the saved engine command (what the engines held through the reboot), so
        a restart in powered descent flies on to the same site with the same guidance."""
        super().restore_state(state)
        self.flags.update({k: bool(v) for k, v in state.get("flags", {}).items() if k in self.flags})
        if state.get("target_xy") is not None:
            self.target_xy = (float(state["target_xy"][0]), float(state["target_xy"][1]))
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
        if state.get("site") is not None:
            self.site = hazard.SiteChoice(**state["site"])
            if self.safety is not None:
                self.site_metrics = site_select.site_metrics(self.safety, self.site.i, self.site.j)
        g = state.get("guidance")
        if g is not None:
            self.guidance = PolynomialGuidance(
                DescentTarget(tuple(float(c) for c in g["site_m"]), float(g["low_gate_alt_m"]), float(g["speed_mps"])),
                self.engine_limits)
            self.guidance.tgo = None if g["tgo"] is None else float(g["tgo"])
            self.guidance.phase = str(g["phase"])
        for k, v in state.get("tlm", {}).items():
            if k in self.tlm:
                self.tlm[k] = v

"""The lander's vehicle component: EDL-to-surface modes, navigation, site choice and guidance.

Navigation integrates the IMU's specific force in the local frame (the lander's attitude is
held level by its attitude control, so body and local axes coincide here) from the EDL
navigation hand-over at backshell separation, and blends the altimeter's range over the
onboard map's terrain height into the vertical channel. At powered-descent start the lander
predicts where it would land, chooses the safe site closest to the target within the divert
budget (hazard map, 60 m disc) and flies polynomial guidance to it; a site away from the
target means HAZARD_DIVERT. Touchdown is declared only with altimeter contact and an
arrested descent, then the engines are cut.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.core.time import NS_PER_S
from fsw.gnc import hazard
from fsw.gnc.descent_guidance import G_MARS, DescentTarget, EngineLimits, PolynomialGuidance
from hal.errors import DeviceFault

from .modes import LANDER_MODES

EDL_MODES = ("POWERED_DESCENT", "HAZARD_DIVERT")


class Lander(Component):
    MODES = LANDER_MODES
    CHANNELS = (
        Channel("nav_x_m", float, "m"), Channel("nav_y_m", float, "m"), Channel("nav_z_m", float, "m"),
        Channel("nav_vx_mps", float, "m/s"), Channel("nav_vy_mps", float, "m/s"),
        Channel("nav_vz_mps", float, "m/s"), Channel("altitude_m", float, "m"),
        Channel("throttle", float, ""), Channel("tgo_s", float, "s"), Channel("mass_kg", float, "kg"),
        Channel("site_x_m", float, "m"), Channel("site_y_m", float, "m"),
        Channel("guidance_phase", str, ""), Channel("device_faults", int, ""),
    )
    EVENTS = (
        EventDef("SITE_CHOSEN", Severity.ACTIVITY_HI,
                 "site ({x_m}, {y_m}), {miss_m} m from target, divert {divert_m} m"),
        EventDef("NO_SAFE_SITE", Severity.WARNING_HI, "no safe site within {budget_m} m; landing at target"),
        EventDef("MAP_LOADED", Severity.ACTIVITY_LO, "onboard map {n} x {n}, safe fraction {safe_fraction}"),
        EventDef("NAV_INITIALISED", Severity.ACTIVITY_LO, "nav state from EDL hand-over"),
        EventDef("TOUCHDOWN_DETECTED", Severity.ACTIVITY_HI, "range {range_m} m, vz {vz_mps} m/s"),
        EventDef("ENGINES_OFF", Severity.ACTIVITY_HI, "descent engines safed"),
        EventDef("DEVICE_FAULT", Severity.WARNING_HI, "{device}: {error}"),
    )
    PARAMS = (
        Param("divert_budget_m", float, 0.0, 2000.0, default=250.0,
              doc="largest divert from the predicted landing point"),
        Param("touchdown_range_m", float, 0.1, 20.0, default=2.5,
              doc="altimeter range below which the legs are in contact"),
        Param("arrested_speed_mps", float, 0.01, 2.0, default=0.3,
              doc="vertical speed under which the descent counts as arrested"),
        Param("arrested_cycles", int, 1, 100, default=5),
        Param("chute_deploy_speed_mps", float, 100.0, 1000.0, default=450.0),
        Param("low_gate_alt_m", float, 5.0, 200.0, default=20.0),
        Param("terminal_speed_mps", float, 0.2, 2.5, default=1.0),
        Param("isp_s", float, 100.0, 400.0, default=225.0),
        Param("alt_blend_gain", float, 0.0, 1.0, default=0.05,
              doc="complementary-filter gain of the altimeter on nav z per control cycle"),
    )

    def __init__(self, name: str = "lander", *, imu=None, altimeter=None, engine=None,
                 onboard_map: hazard.OnboardMap | None = None, limits: hazard.HazardLimits = hazard.HazardLimits(),
                 target_xy: tuple[float, float] = (0.0, 0.0), engine_limits: EngineLimits = EngineLimits(),
                 control_rate_hz: int = 50, guidance_rate_hz: int = 10) -> None:
        super().__init__(name)
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
        self.flags = {"cruise_stage_separated": False, "backshell_separated": False,
                      "mav_go": False, "mav_departed": False, "engines_armed": False}
        self.sta_mode: Callable[[], str | None] = lambda: None
        self.sta_busy_fn: Callable[[], bool] = lambda: False
        self.os_sealed_fn: Callable[[], bool] = lambda: False
        if onboard_map is not None:
            self.load_map(onboard_map)

    # ------------------------------------------------------------ map and nav hand-over
    def load_map(self, onboard_map: hazard.OnboardMap) -> None:
        """Assess the onboard map once (before EDL); site choice later is a cheap window search."""
        self.safety = hazard.assess(onboard_map, self.map_limits)
        self.emit("MAP_LOADED", n=onboard_map.n, safe_fraction=round(self.safety.safe_fraction, 4))

    def init_nav(self, r, v, mass_kg: float) -> None:
        """EDL navigation hand-over (position, velocity in the local frame, mass estimate)."""
        self.r = np.array(r, dtype=float)
        self.v = np.array(v, dtype=float)
        self.mass = float(mass_kg)
        self.nav_ok = True
        self.emit("NAV_INITIALISED")

    # ------------------------------------------------------------ guards
    def cruise_stage_separated(self) -> bool:
        return self.flags["cruise_stage_separated"]

    def chute_deploy_ok(self) -> bool:
        return self.nav_ok and float(np.linalg.norm(self.v)) < self.params["chute_deploy_speed_mps"]

    def backshell_separated(self) -> bool:
        return self.flags["backshell_separated"]

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
        return self.sta_mode() == "READY"

    def sta_busy(self) -> bool:
        return self.sta_busy_fn()

    def os_sealed(self) -> bool:
        return self.os_sealed_fn()

    def mav_go(self) -> bool:
        return self.flags["mav_go"]

    def mav_departed(self) -> bool:
        return self.flags["mav_departed"]

    # ------------------------------------------------------------ commands
    @command("SEPARATE_CRUISE_STAGE", modes=("CRUISE",), doc="Cruise-stage separation done")
    def _sep_cruise(self) -> None:
        self.flags["cruise_stage_separated"] = True

    @command("SEPARATE_BACKSHELL", modes=("PARACHUTE",), doc="Backshell separation: arm descent engines")
    def _sep_backshell(self) -> None:
        if not self.nav_ok:
            raise CommandError("no navigation state")
        self.flags["backshell_separated"] = True
        self.flags["engines_armed"] = True

    @command("MODE", Arg("trigger", str), doc="Fire a mode trigger (ground or sequence)")
    def _mode(self, trigger: str) -> None:
        if not self.trigger(trigger):
            raise CommandError(f"trigger {trigger} refused in {self.mode}")

    @command("MAV_GO", Arg("go", bool), modes=("MAV_PREP", "LAUNCH_SUPPORT"), doc="MAV go/no-go")
    def _mav_go(self, go: bool) -> None:
        self.flags["mav_go"] = go

    @command("MAV_DEPARTED", modes=("LAUNCH_SUPPORT",), doc="MAV has left the launch rail")
    def _mav_departed(self) -> None:
        self.flags["mav_departed"] = True

    @command("NAV_HANDOVER", Arg("x_m", float, -1e6, 1e6), Arg("y_m", float, -1e6, 1e6),
             Arg("z_m", float, -1e5, 1e6), Arg("vx_mps", float, -1e4, 1e4), Arg("vy_mps", float, -1e4, 1e4),
             Arg("vz_mps", float, -1e4, 1e4), Arg("mass_kg", float, 1.0, 1e5),
             modes=("CRUISE", "ENTRY", "PARACHUTE"), doc="EDL navigation hand-over (local frame)")
    def _nav_handover(self, x_m: float, y_m: float, z_m: float, vx_mps: float, vy_mps: float, vz_mps: float,
                      mass_kg: float) -> None:
        self.init_nav((x_m, y_m, z_m), (vx_mps, vy_mps, vz_mps), mass_kg)

    @command("SET_TARGET", Arg("x_m", float, -1e5, 1e5), Arg("y_m", float, -1e5, 1e5),
             modes=("CRUISE", "ENTRY", "PARACHUTE"), doc="Targeted landing point (local frame)")
    def _set_target(self, x_m: float, y_m: float) -> None:
        self.target_xy = (x_m, y_m)

    # ------------------------------------------------------------ devices
    def _read(self, dev):
        try:
            return dev.read()
        except DeviceFault as exc:
            self.tlm["device_faults"] += 1
            self.emit("DEVICE_FAULT", device=dev.name, error=str(exc))
            return None

    def _command_engine(self, thrust_N: float, direction) -> None:
        self.thrust_cmd = (thrust_N, tuple(direction))
        if self.engine is None:
            return
        throttle = min(max(thrust_N / self.engine_limits.max_thrust_N, 0.0), 1.0)
        try:
            self.engine.command(throttle, tuple(float(c) for c in direction))
        except DeviceFault as exc:
            self.tlm["device_faults"] += 1
            self.emit("DEVICE_FAULT", device=self.engine.name, error=str(exc))

    # ------------------------------------------------------------ control rate: navigation
    def step(self, t_ns: int) -> None:
        if not self.nav_ok:
            return
        dt = self.dt_control
        if self.imu is not None:
            reading = self._read(self.imu)
            if reading is not None:
                a = np.asarray(reading.accel_mps2, dtype=float) + np.array([0.0, 0.0, -G_MARS])
                self.r += self.v * dt + 0.5 * a * dt * dt
                self.v += a * dt
        if self.thrust_cmd[0] > 0.0:
            self.mass -= self.thrust_cmd[0] / (self.params["isp_s"] * 9.80665) * dt
        if self.altimeter is not None:
            alt = self._read(self.altimeter)
            if alt is not None:
                self.range_valid = bool(alt.valid) and math.isfinite(alt.range_m)
                if self.range_valid:
                    self.range_m = float(alt.range_m)
                    ground = self.safety.map.height_at(self.r[0], self.r[1]) if self.safety else 0.0
                    # Alpha-beta filter on the vertical channel (beta from alpha, critically damped).
                    alpha = self.params["alt_blend_gain"]
                    resid = ground + self.range_m - self.r[2]
                    self.r[2] += alpha * resid
                    self.v[2] += alpha * alpha / (2.0 - alpha) / dt * resid
        if abs(self.v[2]) < self.params["arrested_speed_mps"] and self.altimeter_contact():
            self._arrested += 1
        else:
            self._arrested = 0
        if self.mode in EDL_MODES and self.altimeter_contact() and self.descent_arrested():
            self.emit("TOUCHDOWN_DETECTED", range_m=round(self.range_m, 3), vz_mps=round(float(self.v[2]), 3))
            self.trigger("touchdown")
        self._publish()

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
        if mode == "PARACHUTE" and self.backshell_separated():
            if self.trigger("start_powered_descent"):
                self._choose_site()
                mode = self.mode
        if mode in EDL_MODES and self.guidance is not None:
            cmd = self.guidance.step(self.r, self.v, self.mass, self.dt_guidance)
            self._command_engine(cmd.thrust_N, cmd.direction)
            self.tlm["tgo_s"] = float(self.guidance.tgo or 0.0)
            self.tlm["guidance_phase"] = cmd.phase
        elif mode == "TOUCHDOWN" and self.engines_off():
            self.trigger("secure")
        elif mode == "SURFACE_IDLE":
            if self.os_sealed():
                self.trigger("prepare_mav")
            elif self.sta_ready() and self.sta_busy():
                self.trigger("begin_transfer")
        elif mode == "SAMPLE_TRANSFER":
            if self.os_sealed():
                self.trigger("prepare_mav")
            elif not self.sta_busy():
                self.trigger("pause_transfer")
        elif mode == "MAV_PREP" and self.mav_go():
            self.trigger("support_launch")
        elif mode == "LAUNCH_SUPPORT" and self.mav_departed():
            self.trigger("launched")

    def predicted_landing_xy(self) -> tuple[float, float]:
        """Zero-effort prediction: current horizontal velocity held until the ground."""
        ground = self.safety.map.height_at(self.r[0], self.r[1]) if self.safety else 0.0
        h = max(self.r[2] - ground, 0.0)
        t_fall = h / max(-self.v[2], 20.0)
        return float(self.r[0] + self.v[0] * t_fall), float(self.r[1] + self.v[1] * t_fall)

    def _choose_site(self) -> None:
        tx, ty = self.target_xy
        choice = None
        if self.safety is not None:
            predicted = self.predicted_landing_xy()
            choice = hazard.choose_site(self.safety, self.target_xy, predicted, self.params["divert_budget_m"])
        if choice is None:
            self.emit("NO_SAFE_SITE", budget_m=self.params["divert_budget_m"])
            site = (tx, ty, self.safety.map.height_at(tx, ty) if self.safety else 0.0)
        else:
            self.site = choice
            self.site_metrics = hazard.site_metrics(self.safety, choice.i, choice.j)
            self.emit("SITE_CHOSEN", x_m=round(choice.x_m, 2), y_m=round(choice.y_m, 2),
                      miss_m=round(choice.miss_from_target_m, 2), divert_m=round(choice.divert_m, 2))
            site = (choice.x_m, choice.y_m, self.safety.map.height_at(choice.x_m, choice.y_m))
        self.tlm["site_x_m"], self.tlm["site_y_m"] = site[0], site[1]
        self.guidance = PolynomialGuidance(
            DescentTarget(site, self.params["low_gate_alt_m"], self.params["terminal_speed_mps"]),
            self.engine_limits)
        if choice is not None and choice.miss_from_target_m > self.safety.map.resolution_m:
            self.trigger("divert")

    def on_enter_TOUCHDOWN(self) -> None:
        if self.thrust_cmd[0] != 0.0 or self.engine is not None:
            self._command_engine(0.0, (0.0, 0.0, 1.0))
            self.flags["engines_armed"] = False
            self.emit("ENGINES_OFF")

    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | {"flags": dict(self.flags)}

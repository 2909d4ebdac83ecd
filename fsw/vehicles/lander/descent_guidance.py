"""Powered-descent guidance ("descent"): where to land and how to fly there.

On the first guidance cycle of powered descent it predicts where the lander would come down,
chooses the safe site closest to the target within the divert budget that its guidance can
fly to (hazard map, 60 m disc; without a map fix only sites with a safe margin as wide as its
position uncertainty, searched wider) and then flies polynomial guidance to it, commanding the
engines every guidance cycle; a site away from the target asks the mode manager for
HAZARD_DIVERT. When the lander enters TOUCHDOWN it cuts the engines at once (the mode's
delivery, the same tick). Requirements LDR-GDN-* (DESIGN.md).
"""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from fsw.core.component import CommandError, Component, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT, DeviceFailure
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.gnc import hazard, site_select
from fsw.gnc.descent_guidance import DescentTarget, EngineLimits, PolynomialGuidance

from .edl_common import EdlLinks
from .topics import DESCENT_NAV, DESCENT_PLAN, DESCENT_THRUST, LANDER_MODE, DescentPlan, Thrust

EDL_MODES = ("POWERED_DESCENT", "HAZARD_DIVERT")
BEFORE_DESCENT = ("CRUISE", "ENTRY", "PARACHUTE", "TERRAIN_NAV")


class DescentGuidance(Component):
    PUBLISHES = (DESCENT_THRUST, DESCENT_PLAN)
    SUBSCRIBES = (Sub(LANDER_MODE, "_on_lander_mode"), DESCENT_NAV)
    CHANNELS = (
        Channel("throttle", float, ""), Channel("tgo_s", float, "s"),
        Channel("site_x_m", float, "m"), Channel("site_y_m", float, "m"),
        Channel("guidance_phase", str, ""), Channel("device_faults", int, ""), Channel("surface_device_faults", int, ""),
    )
    EVENTS = (
        EventDef("SITE_CHOSEN", Severity.ACTIVITY_HI,
                 "site ({x_m}, {y_m}), {miss_m} m from target, divert {divert_m} m", x_m=float, y_m=float, miss_m=float, divert_m=float),
        EventDef("NO_SAFE_SITE", Severity.WARNING_HI, "no safe site within {budget_m} m; landing at target", budget_m=float),
        EventDef("MAP_LOADED", Severity.ACTIVITY_LO, "onboard map {n} x {n}, safe fraction {safe_fraction}", n=int, safe_fraction=float),
        EventDef("ENGINES_OFF", Severity.ACTIVITY_HI, "descent engines safed"),
        DEVICE_FAULT,
    )
    PARAMS = (
        Param("divert_budget_m", float, 0.0, 2000.0, default=250.0,
              doc="largest divert from the predicted landing point"),
        Param("wide_budget_m", float, 0.0, 5000.0, default=600.0,
              doc="without a map fix: the site search reaches this far"),
        Param("low_gate_alt_m", float, 5.0, 200.0, default=20.0),
        Param("terminal_speed_mps", float, 0.2, 2.5, default=1.0),
    )

    def __init__(self, name: str = "descent", *, engine=None, limits: hazard.HazardLimits = hazard.HazardLimits(),
                 target_xy: tuple[float, float] = (0.0, 0.0), engine_limits: EngineLimits = EngineLimits(),
                 guidance_rate_hz: int = 10, links: EdlLinks | None = None) -> None:
        super().__init__(name)
        self.links = links or EdlLinks()
        self.engine = engine
        self.engine_limits = engine_limits
        self.target_xy = (float(target_xy[0]), float(target_xy[1]))
        self.dt_guidance = 1.0 / guidance_rate_hz
        self.map_limits = limits
        self.safety: hazard.SafetyMap | None = None
        self.guidance: PolynomialGuidance | None = None
        self.site: hazard.SiteChoice | None = None
        self.site_metrics: dict[str, float] | None = None
        self.thrust_cmd = (0.0, (0.0, 0.0, 1.0))
        self.divert = False                  # HAZARD_DIVERT wanted (cleared once out of POWERED_DESCENT)
        self._lander_mode = "CRUISE"         # the manager's mode as last delivered

    def load_map(self, onboard_map: hazard.OnboardMap, safety: hazard.SafetyMap | None = None) -> hazard.SafetyMap:
        """Assess the onboard map once (before EDL), or take the assessment made on the ground
        (`safety`, of this map with these limits); site choice later is a cheap window search."""
        self.safety = safety if safety is not None else site_select.assess(onboard_map, self.map_limits)
        self.emit("MAP_LOADED", n=onboard_map.n, safe_fraction=round(self.safety.safe_fraction, 4))
        return self.safety

    @command("SET_TARGET", Arg("x_m", float, -1e5, 1e5), Arg("y_m", float, -1e5, 1e5),
             doc="Targeted landing point (local frame), before powered descent")
    def _cmd_set_target(self, x_m: float, y_m: float) -> None:
        if self._lander_mode not in BEFORE_DESCENT:
            raise CommandError(f"not before powered descent (lander {self._lander_mode})")
        self.target_xy = (x_m, y_m)

    # ------------------------------------------------------------ the manager's mode
    def _on_lander_mode(self, mode: str) -> None:
        previous, self._lander_mode = self._lander_mode, mode
        if mode == "TOUCHDOWN" and previous != "TOUCHDOWN" and (self.thrust_cmd[0] != 0.0 or self.engine is not None):
            self._command_engine(0.0, (0.0, 0.0, 1.0))
            self.emit("ENGINES_OFF")
        if mode != "POWERED_DESCENT" and self.divert:
            self.divert = False
            self._publish_plan()

    # ------------------------------------------------------------ engines
    def _command_engine(self, thrust_N: float, direction) -> None:
        self.thrust_cmd = (thrust_N, tuple(direction))
        self.publish(DESCENT_THRUST, Thrust(float(thrust_N), tuple(float(c) for c in direction)))
        if self.engine is not None:
            throttle = min(max(thrust_N / self.engine_limits.max_thrust_N, 0.0), 1.0)
            self.device_call(self.engine.command, throttle, tuple(float(c) for c in direction))
        self.tlm["throttle"] = self.thrust_cmd[0] / self.engine_limits.max_thrust_N
        self._publish_plan()

    def on_device_fault(self, failure: DeviceFailure) -> None:
        if self._lander_mode not in EDL_MODES and self._lander_mode not in BEFORE_DESCENT:
            self.tlm["surface_device_faults"] += 1

    def _publish_plan(self) -> None:
        self.publish(DESCENT_PLAN, DescentPlan(self.site is not None, self.divert, self.thrust_cmd[0] == 0.0))

    # ------------------------------------------------------------ guidance rate
    def step(self, t_ns: int) -> None:
        if self._lander_mode not in EDL_MODES:
            return
        nav = self.received(DESCENT_NAV)
        if nav is None:
            return
        r, v = np.array(nav.r, dtype=float), np.array(nav.v, dtype=float)
        if self.guidance is None:               # the first cycle of powered descent
            self._choose_site(r, v, nav.mass_kg)
        cmd = self.guidance.step(r, v, nav.mass_kg, self.dt_guidance)
        self._command_engine(cmd.thrust_N, cmd.direction)
        self.tlm["tgo_s"] = float(self.guidance.tgo or 0.0)
        self.tlm["guidance_phase"] = cmd.phase

    def predicted_landing_xy(self, r, v) -> tuple[float, float]:
        """Zero-effort prediction: current horizontal velocity held until the ground."""
        ground = self.safety.map.height_at(r[0], r[1]) if self.safety else 0.0
        h = max(r[2] - ground, 0.0)
        t_fall = h / max(-v[2], 20.0)
        return float(r[0] + v[0] * t_fall), float(r[1] + v[1] * t_fall)

    def _target(self, site) -> DescentTarget:
        return DescentTarget(site, self.params["low_gate_alt_m"], self.params["terminal_speed_mps"])

    def _choose_site(self, r, v, mass: float) -> None:
        tx, ty = self.target_xy
        choice = None
        if self.safety is not None:
            def reachable(x: float, y: float) -> bool:
                """Powered-descent guidance has a profile inside the engine envelope to this site."""
                g = PolynomialGuidance(self._target((x, y, self.safety.map.height_at(x, y))), self.engine_limits)
                return g.violation(r, v, mass, g.choose_tgo(r, v, mass), margin=1.0) == 0.0
            fixed, sigma = self.links.trn_status()
            choice = site_select.choose_site(self.safety, self.target_xy, self.predicted_landing_xy(r, v),
                                             self.params["divert_budget_m"], reachable=reachable,
                                             margin_m=0.0 if fixed else 3.0 * sigma,
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
        self.guidance = PolynomialGuidance(self._target(site), self.engine_limits)
        # HAZARD_DIVERT on the manager's next guidance cycle, once powered descent has its plan
        self.divert = choice is not None and choice.miss_from_target_m > self.safety.map.resolution_m

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        """The target, the chosen site and the guidance phase, the last engine command."""
        g = self.guidance
        return super().checkpoint_state() | {
            "target_xy": list(self.target_xy), "divert": self.divert, "lander_mode": self._lander_mode,
            "thrust_cmd": [self.thrust_cmd[0], list(self.thrust_cmd[1])],
            "site": None if self.site is None else dict(vars(self.site)),
            "guidance": None if g is None else {"site_m": list(g.target.site_m), "low_gate_alt_m":
                                                g.target.low_gate_alt_m, "speed_mps": g.target.low_gate_speed_mps,
                                                "tgo": g.tgo, "phase": g.phase},
            "tlm": {k: self.tlm[k] for k in ("device_faults", "surface_device_faults", "site_x_m", "site_y_m")},
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put the checkpoint back: a restart in powered descent flies on to the same site with
        the same guidance (navigation bridges the gap on the saved engine command)."""
        super().restore_state(state)
        if state.get("target_xy") is not None:
            self.target_xy = (float(state["target_xy"][0]), float(state["target_xy"][1]))
        self.divert = bool(state.get("divert", False))
        self._lander_mode = str(state.get("lander_mode", self._lander_mode))
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
        self._publish_plan()

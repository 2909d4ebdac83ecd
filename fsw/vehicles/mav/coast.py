"""Coast, spin-up and the stage-2 burn (MAV-CO-001..005 in DESIGN.md).

At stage-1 burnout a stage-2 plan (ignition time and attitude) is made from the navigated
state and renewed every `coast_plan_period_s`; the RCS points along it. In the window before
the spin-up preparation a settled vehicle drifts with the RCS off (the 1 Hz quiet rate set).
`spin_lead_s` before ignition the coast ends; the spin-up starts `spin_up_time_s` before
ignition and stage 2 lights once the spin is steady. The spin-stabilised burn needs no
steering; burnout is the measured specific force falling, or (IMU out) the motor model's end.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.gnc.ascent_guidance import Stage2Plan, Stage2Planner

from . import control as ctl
from . import igniters
from .phase import Phase


class Coast(Phase):
    """The stage-2 plan (its planner, the plan, when it was made), the coast and the spin-up."""

    MODES = ("COAST", "SPIN_UP")

    def __init__(self, fm) -> None:
        super().__init__(fm)
        self.planner: Stage2Planner | None = None
        self.plan: Stage2Plan | None = None
        self.plan_t = -1e9

    def burnout(self, t: float) -> None:
        """Stage 1 burnt out at t: the first stage-2 plan, and point along it."""
        fm = self.fm
        self.planner = Stage2Planner(fm.target(), fm.stage(2))
        self.replan(t)

    def replan(self, t: float, point: bool = True) -> None:
        fm = self.fm
        if self.planner is None:      # after a warm restart: warm-started from the saved plan
            self.planner = Stage2Planner(fm.target(), fm.stage(2))
            self.planner.last = self.plan
        nav = fm.nav_state
        plan = self.planner.plan(t, nav.r, nav.v)
        self.plan, self.plan_t = plan, t
        re = fm.nav_model.radius_eq_m
        fm.tlm["stage2_ignition_s"] = plan.t_ignition_s
        fm.tlm["plan_periapsis_km"] = (plan.predicted_periapsis_m - re) / 1e3
        fm.tlm["plan_apoapsis_km"] = (plan.predicted_apoapsis_m - re) / 1e3
        fm.emit("STAGE2_PLAN", t_ig=plan.t_ignition_s, rp_km=fm.tlm["plan_periapsis_km"],
                ra_km=fm.tlm["plan_apoapsis_km"], ok=plan.converged)
        if point:
            fm.set_law(ctl.RCS_POINT, target=plan.direction)

    def on_active(self, mode: str, t: float, dt: float) -> None:
        if mode == "COAST":
            self._coast(t)
        else:
            self._spin_up(t)

    def quiet_window(self, t: float) -> bool:
        """Before the spin-up preparation, with margin: nothing to control."""
        p = self.fm.params
        return t < self.plan.t_ignition_s - p["spin_lead_s"] - p["quiet_margin_s"]

    def _coast(self, t: float) -> None:
        fm = self.fm
        p = fm.params
        law = fm.acs.law
        in_window = self.quiet_window(t)
        if t - self.plan_t >= p["coast_plan_period_s"]:
            self.replan(t, point=not (in_window and law == ctl.OFF))
        if in_window and fm.acs.law == ctl.RCS_POINT and fm.acs_status.error_rad < math.radians(1.0) \
                and max(abs(w) for w in fm.nav_state.rate) < 2e-3:
            fm.stop_control()   # settled: drift freely until the spin-up preparation (a quiet phase)
        if t >= self.plan.t_ignition_s - p["spin_lead_s"]:
            self.replan(t)
            fm.trigger("begin_spin_up")

    def spin_ok(self) -> bool:
        fm = self.fm
        target = fm.params["spin_rate_radps"]
        nav = fm.nav_state
        rate = nav.rate[0] if nav is not None else 0.0
        return fm.acs.law == ctl.SPIN and abs(rate - target) < 0.1 * target and \
            fm.acs_status.error_rad < math.radians(2.0)

    def _spin_up(self, t: float) -> None:
        fm = self.fm
        p = fm.params
        t_ig = self.plan.t_ignition_s
        if fm.acs.law == ctl.RCS_POINT and t >= t_ig - p["spin_up_time_s"]:
            fm.set_law(ctl.SPIN, spin_rate=p["spin_rate_radps"])
        if t >= t_ig and self.spin_ok():
            if not igniters.fire(fm, fm.dev.ign2):
                return
            fm.t_ign[1] = t
            fm.publish_thrust(2)
            fm.emit("IGNITION", stage=2)
            fm.trigger("ignite_stage2")
        elif t > t_ig + 30.0:
            fm.abort("spin-up not achieved")

    def checkpoint(self) -> dict[str, Any]:
        plan = self.plan
        return {"plan": None if plan is None else {
            "t_ignition_s": plan.t_ignition_s, "direction": list(plan.direction),
            "elevation_rad": plan.elevation_rad, "out_of_plane_rad": plan.out_of_plane_rad,
            "converged": plan.converged, "predicted_periapsis_m": plan.predicted_periapsis_m,
            "predicted_apoapsis_m": plan.predicted_apoapsis_m, "t": self.plan_t}}

    def restore(self, state: Mapping[str, Any]) -> None:
        plan = state.get("plan")
        self.planner = None   # rebuilt on the next plan, warm-started from this one
        if plan is not None:
            self.plan = Stage2Plan(float(plan["t_ignition_s"]), tuple(float(x) for x in plan["direction"]),
                                   float(plan["elevation_rad"]), float(plan["out_of_plane_rad"]),
                                   bool(plan["converged"]), float(plan["predicted_periapsis_m"]),
                                   float(plan["predicted_apoapsis_m"]))
            self.plan_t = float(plan["t"])
            self.fm.tlm["stage2_ignition_s"] = self.plan.t_ignition_s


class Stage2(Phase):
    MODES = ("STAGE2_BURN",)

    def on_active(self, mode: str, t: float, dt: float) -> None:
        fm = self.fm
        tb = t - fm.t_ign[1]
        fm.tlm["t_burn_s"] = tb
        s2 = fm.stage(2)
        nav = fm.nav_state
        measured = nav.accel_valid and nav.accel_mag < fm.params["burnout_accel_mps2"]
        modelled = not nav.accel_valid and tb > s2.burn_time_s + 2.0   # IMU out: the motor model
        if tb > 0.7 * s2.burn_time_s and (measured or modelled):
            fm.publish_thrust(None)
            fm.emit("BURNOUT", stage=2, t_burn=tb)
            fm.trigger("stage2_burnout")
            fm.set_law(ctl.DESPIN)
        elif tb > 1.5 * s2.burn_time_s:
            fm.abort("stage 2 burnout not detected")


__all__ = ["Coast", "Stage2"]

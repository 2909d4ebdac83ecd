"""Stage 1: ignition in the air after the throw, pitch program, closed-loop linear-tangent
steering through the TVC, burnout and separation (MAV-S1-001..004 in DESIGN.md).

The motor-scale estimate (`k1`, a hot or cold motor burns faster or slower) is learned from
the measured specific force in mid-burn and shapes both the steering and the thrust model
the navigator bridges gaps with. A pointing error beyond `abort_pointing_deg` for
`abort_persist_s` aborts (the solid motor cannot be stopped).
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.gnc.ascent_guidance import (AscentTarget, Stage1Solution, Stage1Solver, guidance_frame,
                                     pitch_program, steering_direction)
from fsw.gnc.attitude import qrot

from . import control as ctl
from . import igniters
from .phase import Phase


class Stage1(Phase):
    """Ignition, steering (pitch program, then the linear-tangent solution) and burnout."""

    MODES = ("LAUNCH", "STAGE1_BURN")

    def __init__(self, fm) -> None:
        super().__init__(fm)
        self.solver: Stage1Solver | None = None
        self.sol: Stage1Solution | None = None
        self.sol_t = 0.0
        self.bad_pointing_s = 0.0

    def on_active(self, mode: str, t: float, dt: float) -> None:
        if mode == "LAUNCH":
            self._launch(t)
        else:
            self._burn(t, dt)

    def _launch(self, t: float) -> None:
        fm = self.fm
        if t - fm.mode_t0 < fm.params["ignition_delay_s"]:
            return
        if fm.nav_state is None or not fm.nav_state.active:
            return   # a restart that found the MAV thrown: navigation starts after this step
        if not igniters.fire(fm, fm.dev.ign1):
            return
        self.ignited(t, t)
        fm.emit("IGNITION", stage=1)

    def ignited(self, t_ign: float, t: float) -> None:
        """Stage 1 lit at t_ign (now, or found fired after a restart): steer from now on."""
        fm = self.fm
        fm.t_ign[0] = t_ign
        fm.k1 = 1.0
        self.solver = self._new_solver()
        self.sol = None
        fm.publish_thrust(1)
        if not fm.trigger("ignite_stage1"):
            fm.force_mode("STAGE1_BURN")
        self._steer(t)
        fm.set_law(ctl.TVC)

    def _new_solver(self) -> Stage1Solver:
        # stage 1 aims the coast apoapsis a little above the target: stage 2 can then meet
        # the target radius on the way up (pitching down costs little), never below it
        fm = self.fm
        tgt = fm.target()
        aim = AscentTarget(tgt.radius_m + 1e3 * fm.params["stage1_apoapsis_bias_km"], tgt.inclination_rad, tgt.gm)
        return Stage1Solver(aim, fm.stage(1), fm.stage(2).delta_v - fm.params["stage2_dv_margin_mps"])

    def _solver(self) -> Stage1Solver:
        """The solver (rebuilt after a warm restart, warm-started from the saved solution)."""
        if self.solver is None:
            self.solver = self._new_solver()
            if self.sol is not None:
                self.solver.last, self.solver._last_t = self.sol, self.sol_t
        return self.solver

    def _steer(self, t: float) -> None:
        fm = self.fm
        p = fm.params
        nav = fm.nav_state
        tb = t - fm.t_ign[0]
        s1 = fm.stage(1)
        k1 = fm.k1
        if 0.25 * s1.burn_time_s < tb < 0.85 * s1.burn_time_s / k1 and nav.accel_valid and nav.accel_mag > 1.0:
            model = s1.accel(tb, k1)
            if model > 0.0:
                ratio = max(0.8, min(1.25, nav.accel_mag / model))
                fm.k1 = max(0.8, min(1.25, k1 * ratio ** 0.1))
                if fm.k1 != k1:
                    fm.rescale_thrust()
        k1 = fm.k1
        fm.tlm["t_burn_s"] = tb
        fm.tlm["motor_scale"] = k1
        if tb < p["pp_end_s"]:
            table = ((0.0, p["pp_start_elev_deg"]), (p["pp_end_s"], p["pp_end_elev_deg"]))
            el = pitch_program(tb, table)
            e_r, e_t, n = guidance_frame(nav.r, nav.v, math.radians(p["target_inc_deg"]))
            fm.set_law(ctl.TVC, target=steering_direction(e_r, e_t, n, math.tan(el), 0.0))
            return
        t_rem = s1.burn_time_s / k1 - tb
        frozen = self.sol is not None and t_rem < p["stage1_freeze_s"]
        if not frozen and (self.sol is None or t - self.sol_t >= p["stage1_solve_period_s"] - 1e-9):
            first = self.sol is None
            sol = self._solver().solve(t, nav.r, nav.v, tb, k1, initial_elevation=math.radians(p["pp_end_elev_deg"]),
                                       iterations=8 if first else 3)
            self.sol, self.sol_t = sol, t
            fm.tlm["lt_a"], fm.tlm["lt_b"], fm.tlm["lt_c"] = sol.a, sol.b, sol.c
            fm.tlm["lt_converged"] = sol.converged
        fm.set_law(ctl.TVC, target=self.sol.direction(t - self.sol_t))

    def _pointing_ok(self, dt: float) -> bool:
        fm = self.fm
        if fm.acs_status.error_rad > math.radians(fm.params["abort_pointing_deg"]):
            self.bad_pointing_s += dt
        else:
            self.bad_pointing_s = 0.0
        if self.bad_pointing_s > fm.params["abort_persist_s"]:
            fm.abort("attitude error beyond limit")
            return False
        return True

    def _burn(self, t: float, dt: float) -> None:
        fm = self.fm
        tb = t - fm.t_ign[0]
        if not self._pointing_ok(dt):
            return
        s1 = fm.stage(1)
        nav = fm.nav_state
        if tb > 0.7 * s1.burn_time_s / fm.k1 and nav.accel_valid and nav.accel_mag < fm.params["burnout_accel_mps2"]:
            fm.publish_thrust(None)
            igniters.fire(fm, fm.dev.sep1)
            fm.emit("BURNOUT", stage=1, t_burn=tb)
            fm.trigger("stage1_burnout")
            fm.set_law(ctl.RCS_POINT, target=qrot(nav.q, (1.0, 0.0, 0.0)))
            fm.coast.burnout(t)
            return
        if tb > 1.5 * s1.burn_time_s:
            fm.abort("stage 1 burnout not detected")
            return
        self._steer(t)

    def checkpoint(self) -> dict[str, Any]:
        s1 = self.sol
        return {"bad_pointing_s": self.bad_pointing_s,
                "s1": None if s1 is None else {"a": s1.a, "b": s1.b, "c": s1.c, "converged": s1.converged,
                                               "residual": list(s1.residual),
                                               "frame": [list(v) for v in s1.frame], "t": self.sol_t}}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.bad_pointing_s = float(state.get("bad_pointing_s", 0.0))
        self.solver = None   # rebuilt on first use, from the parameters and the saved solution
        s1 = state.get("s1")
        if s1 is not None:
            frame = tuple(tuple(float(x) for x in v) for v in s1["frame"])
            self.sol = Stage1Solution(float(s1["a"]), float(s1["b"]), float(s1["c"]), bool(s1["converged"]),
                                      tuple(float(x) for x in s1["residual"]), frame)
            self.sol_t = float(s1["t"])


__all__ = ["Stage1"]

"""Orbit insertion and the end of the flight: despin, RCS trims to the target orbit, OS
release; ABORT and SAFE (MAV-INS-001..003, MAV-END-001..003 in DESIGN.md).

The insertion despins, trims the far apsis to the target radius (trim 1), coasts half an
orbit and circularises (trim 2); one trim suffices when burnout is close to the target
radius. The release fires the OS pyro and moves every tube aboard into the orbit's custody;
an unconfirmed release fires again after 5 s. ABORT and SAFE safe the unfired igniters and
stop control; from either the OS is released once the vehicle is in orbit.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.gnc.ascent_guidance import insertion_trim
from fsw.gnc.kepler import norm

from . import control as ctl
from . import igniters
from .phase import Phase, opt_float

FAR_APSIS, FIRST_TRIM, LAST_TRIM = 0, 1, 2   # trim phases: coasting to the far apsis, trim 1, trim 2


class Insertion(Phase):
    MODES = ("ORBIT_INSERTION",)

    def __init__(self, fm) -> None:
        super().__init__(fm)
        self.trim_used = 0.0
        self.trim_phase = FIRST_TRIM
        self.trim2_t = math.inf

    def on_active(self, mode: str, t: float, dt: float) -> None:
        fm = self.fm
        p = fm.params
        nav = fm.nav_state
        tgt = fm.target()
        if fm.acs.law == ctl.DESPIN:
            if abs(nav.rate[0]) < 0.05:
                fm.set_law(ctl.TRIM)
                near = abs(norm(nav.r) - tgt.radius_m) < 1e3 * p["single_trim_km"]
                self.trim_phase = LAST_TRIM if near else FIRST_TRIM
            return
        if self.trim_phase == FAR_APSIS:
            if t >= self.trim2_t:
                self.trim_phase = LAST_TRIM
                fm.set_law(ctl.TRIM)
            return
        dv = insertion_trim(nav.r, nav.v, tgt)
        left = norm(dv)
        fm.tlm["trim_remaining_mps"] = left
        self.trim_used += (nav.accel_mag if nav.accel_valid else 0.0) * dt
        fm.tlm["trim_used_mps"] = self.trim_used
        if left < p["trim_tolerance_mps"] or self.trim_used >= p["trim_budget_mps"]:
            fm.set_trim_force((0.0, 0.0, 0.0))
            fm.stop_control()
            fm.emit("TRIM_DONE", used=self.trim_used, left=left)
            if self.trim_phase == FIRST_TRIM and self.trim_used < p["trim_budget_mps"]:
                self.trim2_t = t + math.pi * math.sqrt(fm.orbit(nav).sma_m ** 3 / fm.nav_model.gm)
                self.trim_phase = FAR_APSIS
                return
            fm.stop_control()
            fm.trigger("insertion_done")
            return
        mass = p["stage2_mass_burnout_kg"]
        tau = 2.0  # s: time constant of the closed-loop trim
        fm.set_trim_force((dv[0] * mass / tau, dv[1] * mass / tau, dv[2] * mass / tau))

    def quiet(self, t: float) -> bool:
        """Coasting to the far apsis, with margin before trim 2."""
        return self.trim_phase == FAR_APSIS and t < self.trim2_t - self.fm.params["quiet_margin_s"]

    def checkpoint(self) -> dict[str, Any]:
        return {"trim_used": self.trim_used, "trim_phase": self.trim_phase,
                "trim2_t": None if math.isinf(self.trim2_t) else self.trim2_t}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.trim_used = float(state.get("trim_used", 0.0))
        self.trim_phase = int(state.get("trim_phase", FIRST_TRIM))
        t2 = state.get("trim2_t")
        self.trim2_t = math.inf if t2 is None else float(t2)


class End(Phase):
    """OS_RELEASE, ABORT and SAFE."""

    MODES = ("OS_RELEASE", "ABORT", "SAFE")

    def __init__(self, fm) -> None:
        super().__init__(fm)
        self.release_t: float | None = None

    def on_activation(self, mode: str) -> None:
        if mode in ("ABORT", "SAFE"):
            igniters.safe(self.fm)
        if mode == "SAFE":
            self.fm.stop_control()

    def on_active(self, mode: str, t: float, dt: float) -> None:
        fm = self.fm
        if mode == "ABORT":
            fm.stop_control()
            if fm.in_orbit():
                fm.trigger("release_os")
        elif mode == "OS_RELEASE":
            self._release(t)

    def _release(self, t: float) -> None:
        fm = self.fm
        if self.release_t is None:
            fm.stop_control()
            if igniters.fire(fm, fm.dev.os_release):
                self.release_t = t
            return
        if igniters.fired(fm, fm.dev.os_release):
            for tube in fm.custody.tubes_at("mav"):
                fm.custody.move(tube, "mav", "orbit")
            fm.trigger("os_released")
        elif t - self.release_t > 5.0:
            self.release_t = None  # fire again

    def checkpoint(self) -> dict[str, Any]:
        return {"release_t": self.release_t}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.release_t = opt_float(state.get("release_t"))


__all__ = ["End", "Insertion"]

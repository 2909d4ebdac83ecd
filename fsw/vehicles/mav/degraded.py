"""Degraded coast, spin-up and insertion (MAV-DEG-001..004 in DESIGN.md).

Nothing is urgent there: a lost IMU, a navigator that did not run this tick or a failed RCS
*degrades* the vehicle (RCS off, navigation on the gravity model and the star tracker, the
phase waits) and the phase resumes, with the control law it had, when the unit is back. It
aborts only when the fault outlasts what the plan absorbs: `degraded_ignition_slip_s` after
the planned start of the spin (coast, spin-up), `insertion_degraded_max_s` (insertion).
In a degraded coast with navigation the stage-2 plan still follows the navigated state.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from . import control as ctl
from .phase import opt_float

if TYPE_CHECKING:   # pragma: no cover
    from .flight import MavFlightManager

DEGRADABLE = ("COAST", "SPIN_UP", "ORBIT_INSERTION")    # a fault waits here, the phase resumes


class Degradation:
    def __init__(self, fm: "MavFlightManager") -> None:
        self.fm = fm
        self.causes: tuple[str, ...] = ()      # failed units while degraded
        self.since = 0.0
        self.resume: tuple | None = None       # control law to resume (law, target, spin rate)
        self.spin_due_s: float | None = None   # planned ignition when the spin-up fell due

    def failed_units(self, t_ns: int) -> tuple[str, ...]:
        fm = self.fm
        nav = fm.nav_state
        causes = []
        if nav is None or not nav.updated_at(t_ns):
            causes.append("nav")
        elif not nav.imu_valid:
            causes.append("imu")
        if not fm.acs_status.rcs_ok:
            causes.append("rcs")
        return tuple(causes)

    def healthy(self, t_ns: int, t: float) -> bool:
        """Degrade on a failed unit, resume when it is back; True when the phase may run."""
        fm = self.fm
        causes = self.failed_units(t_ns)
        if causes:
            if not self.causes:
                acs = fm.acs
                self.since = t
                self.resume = (acs.law, tuple(acs.target), acs.spin_rate)
                fm.emit("DEGRADED", cause=",".join(causes), mode=fm.mode,
                        action="RCS off, navigation on gravity and star tracker, phase waits")
                fm.set_trim_force((0.0, 0.0, 0.0))
                fm.stop_control()
            self.causes = causes
            coast = fm.coast
            if fm.mode == "COAST" and "nav" not in causes and coast.plan is not None \
                    and t - coast.plan_t >= fm.params["coast_plan_period_s"]:
                coast.replan(t, point=False)   # the navigated state still moves the plan
            self._deadline(t)
            return False
        if self.causes:
            fm.emit("RECOVERED", cause=",".join(self.causes), after=t - self.since, mode=fm.mode)
            self.causes = ()
            law, target, spin = self.resume or (ctl.OFF, None, None)
            if law != ctl.OFF:
                fm.set_law(law, target=target, spin_rate=spin)
        return True

    def _deadline(self, t: float) -> None:
        fm = self.fm
        p = fm.params
        cause = ",".join(self.causes)
        plan = fm.coast.plan
        if fm.mode in ("COAST", "SPIN_UP") and plan is not None:
            # the ignition the spin-up was due for (the planner slides a late ignition to "now")
            if self.spin_due_s is None and t >= plan.t_ignition_s - p["spin_lead_s"]:
                self.spin_due_s = plan.t_ignition_s
            due = plan.t_ignition_s if fm.mode == "SPIN_UP" else self.spin_due_s
            if due is not None and t > due - p["spin_up_time_s"] + p["degraded_ignition_slip_s"]:
                fm.abort(f"{cause} failed for {t - self.since:.1f} s: no time left to spin up")
        elif fm.mode == "ORBIT_INSERTION" and t - self.since > p["insertion_degraded_max_s"]:
            fm.abort(f"{cause} failed for {t - self.since:.1f} s in the insertion")

    def checkpoint(self) -> dict[str, Any]:
        r = self.resume
        return {"degraded": list(self.causes), "degraded_t": self.since, "spin_due_s": self.spin_due_s,
                "resume": None if r is None else [r[0], None if r[1] is None else list(r[1]), r[2]]}

    def restore(self, state: Mapping[str, Any]) -> None:
        self.causes = tuple(str(c) for c in state.get("degraded", ()))
        self.since = float(state.get("degraded_t", 0.0))
        self.spin_due_s = opt_float(state.get("spin_due_s"))
        r = state.get("resume")
        self.resume = None if r is None else (str(r[0]), None if r[1] is None else tuple(r[1]), r[2])


__all__ = ["DEGRADABLE", "Degradation"]

"""The warm-restart rule, applied on the first manager step after a restore (MAV-RST-001..004
in DESIGN.md; RESTART_RULE says which rule applied).

- A reset in the count (CHECKOUT, COUNTDOWN, ARMED) holds it (HOLD): the checkout must be
  repeated (RECHECK) before the count resumes, unless the ejector's read-back says the lander
  threw the MAV after the checkpoint: then the flight resumes from the throw.
- Before the last igniter has fired, the igniters are re-armed (`igniters.rearm`).
- An igniter found fired after the checkpoint moves the phase on (ignition as if seen).
- In a burn the ascent continues if the restored navigation is at most
  `restart_nav_max_age_s` old (the motor model bridges the gap), else it aborts.
- Elsewhere it continues (a coast propagates over the gap on the gravity model).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from fsw.core.time import NS_PER_S

from . import igniters
from .degraded import DEGRADABLE

if TYPE_CHECKING:   # pragma: no cover
    from .flight import MavFlightManager

COUNT_MODES = ("CHECKOUT", "COUNTDOWN", "ARMED")        # a reset here holds the count
ARMED_IN_FLIGHT = ("LAUNCH", "STAGE1_BURN", "COAST", "SPIN_UP")   # an igniter still to fire is armed
POWERED = ("LAUNCH", "STAGE1_BURN", "STAGE2_BURN")      # a reset here obeys the navigation age


def apply(fm: "MavFlightManager", t: float, prev: float | None) -> None:
    """The restart rule at onboard time t (prev: the last step the checkpoint saw). The pyro
    and igniter read-backs catch what happened between the checkpoint and the reset."""
    p = fm.params
    mode = fm.mode

    def rule(text: str) -> None:
        fm.emit("RESTART_RULE", mode=fm.mode, rule=text)

    if mode in COUNT_MODES:
        if igniters.fired(fm, fm.dev.eject):      # thrown after the checkpoint: we are flying
            t_launch = max(p["launch_time_s"], prev if prev is not None else t)
            if not fm.trigger("launch"):
                fm.force_mode("LAUNCH")
            fm.launched_at(t_launch)
            rule(f"the MAV was thrown at {t_launch:.2f} s after the checkpoint: flight resumes")
            return
        fm.checkout.passed = False
        rule("count held; the checkout must be repeated (RECHECK) before the count resumes")
        fm.emit("LAUNCH_HOLD", cause="processor reset")
        fm.trigger("hold_count")
        return
    if mode in ARMED_IN_FLIGHT:
        igniters.rearm(fm)
    if mode == "LAUNCH" and igniters.fired(fm, fm.dev.ign1):
        fm.stage1.ignited(fm.mode_t0 + p["ignition_delay_s"], t)
        mode = fm.mode
    elif mode == "SPIN_UP" and igniters.fired(fm, fm.dev.ign2):
        fm.t_ign[1] = max(fm.coast.plan.t_ignition_s, prev if prev is not None else t)
        fm.publish_thrust(2)
        if not fm.trigger("ignite_stage2"):
            fm.force_mode("STAGE2_BURN")
        mode = fm.mode
    if mode in POWERED:
        nav = fm.nav_state
        restored = None if nav is None else nav.restored_ns
        age = math.inf if restored is None else t - restored / NS_PER_S
        limit = p["restart_nav_max_age_s"]
        if age <= limit:
            rule(f"continue: navigation {age:.2f} s old <= {limit:g} s (gap bridged by the motor model)")
        else:
            rule(f"abort: navigation {age:.2f} s old > {limit:g} s")
            fm.abort(f"restart with navigation {age:.2f} s old")
        return
    if mode in DEGRADABLE:
        rule("continue: navigation propagated over the gap on the gravity model")
    else:
        rule("continue")


__all__ = ["ARMED_IN_FLIGHT", "COUNT_MODES", "POWERED", "apply"]

"""What the rover manager declares: channels, events, parameters (requirement ids in DESIGN.md).
Kept apart from `rover.py` so the manager's class is its behaviour only."""
from __future__ import annotations

from fsw.core.declarations import Channel, Param
from fsw.core.devices import DEVICE_FAULT
from fsw.core.events import EventDef, Severity

from ..custody import CUSTODY_CHECK, CUSTODY_EVENTS, CUSTODY_RECONCILED

ROVER_CHANNELS = (
    Channel("tubes_stowed", int, ""), Channel("tubes_handed_over", int, ""), Channel("tubes_skipped", int, ""),
    Channel("device_faults", int, ""), Channel("plan_inflation_m", float, "m"),
)
ROVER_EVENTS = CUSTODY_EVENTS + (
    EventDef("PATH_PLANNED", Severity.ACTIVITY_LO, "{purpose}: {waypoints} waypoints, {length_m} m", purpose=str, waypoints=int, length_m=float),
    EventDef("NO_PATH", Severity.WARNING_HI, "no safe path for {purpose}", purpose=str),
    EventDef("TUBE_SKIPPED", Severity.WARNING_HI, "tube {tube} left after {attempts} attempts", tube=int, attempts=int),
    EventDef("TUBE_STOWED", Severity.ACTIVITY_HI, "tube {tube} stowed ({count} aboard)", tube=int, count=int),
    EventDef("HANDOFF_RESULT", Severity.ACTIVITY_HI, "tube {tube}: {result}", tube=int, result=str),
    DEVICE_FAULT,
    EventDef("FIX_REJECTED", Severity.WARNING_LO, "{source}: not a finite position (shift {shift_m} m, bound {bound_m} m)",
             source=str, shift_m=float, bound_m=float),
    EventDef("TOO_UNSURE", Severity.WARNING_HI, "{purpose}: position bound {bound_m} m; returning to the lander", purpose=str, bound_m=float),
    CUSTODY_RECONCILED,
    CUSTODY_CHECK,
)
ROVER_PARAMS = (
    Param("drive_speed_mps", float, 0.01, 0.1, default=0.07),
    Param("egress_distance_m", float, 0.5, 10.0, default=3.0),
    Param("standoff_m", float, 0.8, 2.0, default=1.25, doc="rover centre to tube when stopping"),
    Param("tube_run_in_m", float, 0.0, 10.0, default=2.0,
          doc="straight final approach to a tube's standoff point, so the navcam sees the tube"),
    Param("handoff_run_in_m", float, 0.5, 10.0, default=3.0,
          doc="straight final approach to the hand-off point, so the rover faces the lander"),
    Param("ground_fix_bound_m", float, 0.0, 5.0, default=0.1, doc="bound after a FIX command"),
    Param("inflate_by_bound", bool, default=True,
          doc="plan on hazards inflated by the position-error bound at the end of the drive"),
    Param("relocalise_above_m", float, 0.0, 10.0, default=0.6,
          doc="no safe path to a tube with a bound above this: back to the lander for a fix first"),
    Param("max_pos_bound_m", float, 0.2, 20.0, default=3.0,
          doc="no drive to a tube may end with a larger bound: go back to the lander first, or skip it"),
    Param("bound_slack_m", float, 0.0, 2.0, default=0.15,
          doc="planned on top of the bound; using it up means replanning"),
)


__all__ = ["ROVER_CHANNELS", "ROVER_EVENTS", "ROVER_PARAMS"]

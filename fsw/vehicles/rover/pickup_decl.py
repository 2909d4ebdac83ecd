"""What the rover pickup declares: channels, events, parameters (requirement ids in DESIGN.md).
Kept apart from `pickup.py` so the component's class is its behaviour only."""
from __future__ import annotations

from fsw.core.declarations import Channel, Param
from fsw.core.devices import DEVICE_FAULT
from fsw.core.events import EventDef, Severity

PICKUP_CHANNELS = (Channel("step", str, ""), Channel("looks", int, ""), Channel("navcam_faults", int, ""),
            Channel("device_faults", int, ""))
PICKUP_EVENTS = (
    EventDef("TUBE_DETECTED", Severity.ACTIVITY_LO, "tube {tube} at body ({bx_m}, {by_m})", tube=int, bx_m=float, by_m=float),
    EventDef("GRASP_FAILED", Severity.WARNING_LO, "tube {tube}: {reason} (attempt {attempt})", tube=int, reason=str, attempt=int),
    EventDef("STEP_TIMEOUT", Severity.WARNING_HI, "{step} timed out", step=str),
    DEVICE_FAULT,
)
PICKUP_PARAMS = (
    Param("max_pickup_attempts", int, 1, 10, default=3),
    Param("step_timeout_cycles", int, 10, 100_000, default=400),
    Param("cam_x_m", float, -2.0, 2.0, default=0.3),
    Param("cam_y_m", float, -2.0, 2.0, default=0.0),
    Param("cam_z_m", float, 0.2, 3.0, default=1.1),
    Param("arm_base_x_m", float, -2.0, 2.0, default=0.55),
    Param("arm_base_z_m", float, 0.0, 2.0, default=0.45),
    Param("tube_z_m", float, 0.0, 0.2, default=0.02),
    Param("arm_reach_m", float, 0.5, 3.0, default=1.3),
    Param("stow_x_m", float, -2.0, 2.0, default=-0.7),
    Param("stow_z_m", float, -1.0, 2.0, default=0.35),
    Param("relocalise_on_tubes", bool, default=True,
          doc="fix the position from a detected tube whose depot position is known"),
    Param("landmark_fix_bound_m", float, 0.0, 5.0, default=0.2,
          doc="position-error bound after a fix on a depot tube seen by the navcam, plus..."),
    Param("landmark_fix_bound_per_m", float, 0.0, 1.0, default=0.08,
          doc="...this per metre of range (the ground intersection worsens with range)"),
    Param("landmark_max_range_m", float, 0.5, 10.0, default=4.0, doc="farther sightings give no fix"),
    Param("look_uncertainty_m", float, 0.0, 10.0, default=0.6,
          doc="above this bound, stop and look for a known tube when one may be in view"),
    Param("look_every_m", float, 0.5, 100.0, default=3.0, doc="drive between two stop-and-looks"),
)


__all__ = ["PICKUP_CHANNELS", "PICKUP_EVENTS", "PICKUP_PARAMS"]

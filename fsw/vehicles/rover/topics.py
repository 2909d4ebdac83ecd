"""The rover's topics: what its components tell each other over the bus (wired in vehicle.py).

Navigation runs first in the control group and publishes `rover.nav` at the end of every
step and after every fix it applies, so the manager (later in the same group) reads this
tick's estimate, as it did when it computed it itself. A fix the manager asks for mid-step
(a lander fix, a landmark sighting, a ground FIX) is published on `rover.fix`; navigation
applies it when the manager's step returns, and the manager applies the same fix to its own
copy of the estimate at once (`NavState.after_fix`, one function for both), so the rest of
its step plans from the fixed position exactly as before the split.
"""
from __future__ import annotations

import math
from dataclasses import replace

from fsw.core.ports import Topic, message
from fsw.gnc.dead_reckoning import wrap

FIX_GROWTH_CAP = 0.5        # the bound never grows faster than this per metre (a learnt rate)


def raised_growth(shift_m: float, bound_m: float, since_fix_m: float, fix_bound_m: float,
                  growth_per_m: float) -> float | None:
    """The bound's new growth rate when a fix landed outside it (it learns from its misses), else None."""
    if shift_m > bound_m + fix_bound_m and since_fix_m > 1.0:
        growth = min(FIX_GROWTH_CAP, 1.5 * shift_m / since_fix_m)
        if growth > growth_per_m:
            return growth
    return None


@message
class PositionFix:
    """A position fix for navigation: where the rover is, how sure, and who says so."""

    x_m: float
    y_m: float
    bound_m: float                  # the position-error bound right after the fix
    source: str                     # "lander cameras", "tube 3", "ground"
    kind: str = "lander"            # "lander", "landmark" (counted apart) or "ground"
    heading_rad: float | None = None  # only a ground fix sets the heading

    @property
    def learns(self) -> bool:
        """A fix from the rover's own sensors teaches the bound; a ground fix is taken as given."""
        return self.kind != "ground"


@message
class NavState:
    """Navigation's estimate and what the drive and the pickup need of it."""

    x_m: float
    y_m: float
    heading_rad: float
    distance_m: float               # odometer since start (dead reckoning)
    bound_m: float                  # position-error bound
    growth_per_m: float             # its growth per metre driven
    since_fix_m: float              # driven since the last fix
    wheel_speed_mps: float          # measured, for "stopped before looking"
    accel_mps2: tuple[float, float, float] | None   # last IMU specific force (gravity: levelling)
    tilt_hazard: str = ""           # "tilt 23.4 deg" when the IMU saw tilt beyond the limit this step

    def after_fix(self, fix: PositionFix) -> "NavState":
        """The estimate once `fix` is applied (navigation applies it with this same function)."""
        growth = raised_growth(math.hypot(fix.x_m - self.x_m, fix.y_m - self.y_m), self.bound_m,
                               self.since_fix_m, fix.bound_m, self.growth_per_m) if fix.learns else None
        return replace(self, x_m=fix.x_m, y_m=fix.y_m,
                       heading_rad=self.heading_rad if fix.heading_rad is None else wrap(fix.heading_rad),
                       bound_m=max(0.0, float(fix.bound_m)), since_fix_m=0.0,
                       growth_per_m=self.growth_per_m if growth is None else growth)


@message
class RoverStatus:
    """The manager as the hand-off needs it, published just before its per-mode work each step."""

    mode: str
    aboard: tuple[int, ...]         # tubes in custody aboard (the ledger's "rover")
    tasks_left: bool                # depot tubes still to collect (a trip back only for a fix)
    holding: bool                   # the gripper's reading this step
    gripper_tube: int               # the tube id it reads (0: none)


@message
class HandoffReply:
    """The lander's answer to an offer (TAKEN or REFUSED), as the manager received it."""

    kind: str
    tube: int


@message
class HandoffNote:
    """What the hand-off tells the manager: a tube "taken" or "refused", "done" (nothing left
    aboard; `all_done` when no depot tube is left either), or "fault" (refused too often,
    `stop` when a step timed out)."""

    kind: str
    tube: int = 0
    all_done: bool = False
    stop: bool = False


@message
class DriveOrder:
    """What the manager wants of the wheels this step (published at the end of its step):
    "stop", "pursue" the path, or "none" (leave them be); `path` when it planned a new one."""

    action: str                                     # "none", "stop", "pursue"
    mode: str                                       # the manager's mode (REPLAN checks in TRAVERSE, RETURN)
    speed_mps: float                                # cruise speed (the manager's drive_speed_mps)
    path: tuple[tuple[float, float], ...] | None = None
    plan_bound_m: float | None = None               # bound the path was planned with at its start (None: no check)
    on_run_in: bool = False                         # the hand-off run-in may pass the lander's keep-out
    egressed: bool = False                          # off the deck: entering a mapped hazard stops the drive
    poll_mode: str = ""                             # the mode the step began in: the navcam is polled in DRIVING, HAZARD_STOP
    stopped: bool = False                           # the step was HAZARD_STOP's: hold, or clear to replan
    navcam_failed: bool = False                     # a look's frame did not come (the navcam is blind)
    navcam_answered: bool = False                   # a look's frame came (it is not stale)
    progress: bool = False                          # a tube stowed or the lander reached: hazard stops in a row restart


@message
class DriveNote:
    """Mobility stopped on its own: "hazard" (HAZARD_STOP) or "replan" (the bound outgrew the plan);
    or what a HAZARD_STOP step came to: "hold" (blind navcam: held), "clear" (replan from here),
    "fault" (blind past `hold_timeout_s`, or more than `max_hazard_stops` in a row)."""

    kind: str


@message
class PickupOrder:
    """The manager as the pickup needs it, published at the end of every manager step (after its
    per-mode work): the mode it ended in, the task tube, the known tubes (landmarks), what the
    gripper and the slot sensors read, and how its drive stands."""

    mode: str
    tube: int = 0                                   # the task tube (0: none)
    tube_xy_m: tuple[float, float] = (0.0, 0.0)     # where the depot record says it lies
    landmarks: tuple[tuple[int, float, float], ...] = ()   # depot tubes still on the ground (id, x, y)
    holding: bool = False                           # the gripper's last reading
    gripper_tube: int = 0
    slot_tubes: tuple[int, ...] = ()                # tube ids the slot sensors last read
    new_approach: bool = False                      # the manager arrived at the tube this step: look next
    pursuing: bool = False                          # the manager pursues its path this step (a look may stop it)
    has_route: bool = False                         # a path is being pursued (the creep's, in APPROACH_TUBE)
    at_goal: bool = False                           # the rover is at that path's end


@message
class PickupNote:
    """A move the pickup asks of the manager's mode table, with the facts its guards test:
    "in_reach", "grasped", "retry", "give_up", "stowed" (custody moves), "fault" (a tube in
    neither the gripper nor a slot after a restart), "timeout" (a sub-step never ended)."""

    kind: str
    tube: int = 0
    attempts: int = 0
    localised: bool = False
    grasped: bool = False
    stowed: bool = False
    retries_left: bool = False


@message
class PickupWish:
    """The pickup's last word each step (after its notes): what it wants of the wheels ("" the
    manager's own order, "stop", "pursue" its creep), a path it asks the manager for ("seen":
    straight to the standoff point in front of the tube seen at `seen_xy_m`; "task": a safe
    path to the task tube), the fix a look made, and whether the navcam answered."""

    action: str = ""
    creep: str = ""
    seen_xy_m: tuple[float, float] = (0.0, 0.0)
    fix: PositionFix | None = None
    navcam_failed: bool = False
    navcam_answered: bool = False


NAV_STATE = Topic("rover.nav", NavState, "navigation's estimate, every step and after every fix")
ROVER_FIX = Topic("rover.fix", PositionFix, "a position fix for navigation to apply")
DRIVE_SPEED = Topic("rover.drive_speed", float, "the commanded wheel speed (m/s), on every change")

ROVER_STATUS = Topic("rover.status", RoverStatus, "the manager's mode, custody and gripper, every step")
HANDOFF_REPLY = Topic("rover.handoff_reply", HandoffReply, "the lander's TAKEN/REFUSED, in HANDOFF")
HANDOFF_NOTE = Topic("rover.handoff_note", HandoffNote, "the hand-off's results for the manager")

DRIVE_ORDER = Topic("rover.drive", DriveOrder, "the manager's wheel order and new path, every step")
DRIVE_NOTE = Topic("rover.drive_note", DriveNote, "mobility's own stops and holds for the manager")

PICKUP_ORDER = Topic("rover.pickup_order", PickupOrder, "the manager's mode, task, sensors and drive, every step")
PICKUP_NOTE = Topic("rover.pickup_note", PickupNote, "a mode move the pickup asks of the manager")
PICKUP_WISH = Topic("rover.pickup_wish", PickupWish, "the pickup's wheels, path request and fix, every step")
PICKUP_REPLY = Topic("rover.pickup_reply", str, "why the manager has no path for the pickup's creep")

ROVER_TOPICS = (NAV_STATE, ROVER_FIX, DRIVE_SPEED, ROVER_STATUS, HANDOFF_REPLY, HANDOFF_NOTE, DRIVE_ORDER, DRIVE_NOTE,
                PICKUP_ORDER, PICKUP_NOTE, PICKUP_WISH, PICKUP_REPLY)

__all__ = ["PICKUP_NOTE", "PICKUP_ORDER", "PICKUP_REPLY", "PICKUP_WISH", "PickupNote", "PickupOrder", "PickupWish", "DRIVE_NOTE", "DRIVE_ORDER", "DRIVE_SPEED", "DriveNote", "DriveOrder", "HANDOFF_NOTE", "HANDOFF_REPLY", "ROVER_STATUS", "HandoffNote", "HandoffReply",
           "RoverStatus", "NAV_STATE", "NavState", "PositionFix", "ROVER_FIX", "ROVER_TOPICS", "raised_growth"]

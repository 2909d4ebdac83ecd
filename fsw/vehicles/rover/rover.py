"""The delivering rover's manager: mode table, planning, custody.

One manager serves both delivery options (scenario configuration): the Sample Fetch Rover
drives from the lander to each depot tube, has it picked up and returns; Perseverance arrives
carrying tubes and only drives to the lander and hands them over. Both use the same
hand-off interface (`fsw.vehicles.handoff`) and custody ledger (depot -> rover -> sta).

Navigation (dead reckoning, the position-error bound, fixes) is its own component
(`navigation.py`, first in the control group); the manager reads its estimate on `rover.nav`
and sends it fixes on `rover.fix` (DESIGN.md). Driving: hazard-aware A* over the onboard cost
map (`drive_planning.py`, replanned after any hazard stop); mobility (`mobility.py`) pursues
the path and stops for hazards on the manager's `rover.drive` order. Safety does not rest on
the dead reckoning being good: the manager plans on hazards inflated by the bound the rover
will have at the end of the drive; a tube it cannot reach safely is skipped, and a rover too
unsure to go on drives back to the lander (whose cameras fix it) with what it has.

The pickup (`pickup.py`, right after the manager) looks, creeps, grasps and stows, and stops
a drive to look for a known tube when the bound is large; the manager hears it on
`rover.pickup_note` (mode moves, a tube stowed) and `rover.pickup_wish` (the wheels, a path
to plan, a fix): its drive order goes out to mobility once the pickup's wish of the same
tick is in. The hand-off (`handoff.py`) gives the tubes to the lander's arm in HANDOFF.
Warm restart: `restart.py`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Arg
from fsw.core.devices import failed
from fsw.core.ports import Sub
from fsw.gnc.path_planner import CostMap

from ..custody import CustodyLedger
from ..handoff import HandoffEndpoint
from . import restart, tubes
from .modes import ROVER_MODES
from .navigation import initial_state
from .route import Route
from .rover_decl import ROVER_CHANNELS, ROVER_EVENTS, ROVER_PARAMS
from .topics import (DRIVE_NOTE, DRIVE_ORDER, HANDOFF_NOTE, HANDOFF_REPLY, NAV_STATE, PICKUP_NOTE, PICKUP_ORDER,
                     PICKUP_REPLY, PICKUP_WISH, ROVER_FIX, ROVER_STATUS, DriveNote, HandoffNote,
                     HandoffReply, NavState, PickupNote, PickupOrder, PickupWish, PositionFix, RoverStatus)


@dataclass(frozen=True)
class TubeTask:
    """A tube to collect: its id and where the depot record says it lies (local metres)."""

    tube: int
    x_m: float
    y_m: float


class Rover(Component):
    MODES = ROVER_MODES
    PUBLISHES = (ROVER_FIX, DRIVE_ORDER, ROVER_STATUS, HANDOFF_REPLY, PICKUP_ORDER, PICKUP_REPLY)
    SUBSCRIBES = (NAV_STATE, Sub(HANDOFF_NOTE, "_on_handoff"), Sub(DRIVE_NOTE, "_on_drive_note"),
                  Sub(PICKUP_NOTE, "_on_pickup"), Sub(PICKUP_WISH, "_on_wish"))
    CHANNELS, EVENTS, PARAMS = ROVER_CHANNELS, ROVER_EVENTS, ROVER_PARAMS

    def __init__(self, name: str = "rover", *, gripper=None, slot_sensors: Sequence = (),
                 cost_map: CostMap | None = None, tasks: Sequence[TubeTask] = (),
                 handoff_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), handoff: HandoffEndpoint | None = None,
                 ledger: CustodyLedger | None = None, carried: Sequence[int] = (), slots: int = 10,
                 start_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), egressed: bool = False) -> None:
        super().__init__(name)
        self.gripper, self.slot_sensors = gripper, list(slot_sensors)
        self.tasks = list(tasks)
        self.handoff = handoff
        self.ledger = ledger if ledger is not None else CustodyLedger()
        self.ledger.emit = self.emit
        self.n_slots = slots
        self.nav: NavState = initial_state(start_pose)   # navigation's estimate (rover.nav), fixes applied at once
        self.drive = Route(self.params, self.emit, cost_map, handoff_pose)   # path, plan bound, wheels (route.py)
        self.landmarks: dict[int, tuple[float, float]] = {t.tube: (t.x_m, t.y_m) for t in self.tasks}
        self._relocalise_trips = 0         # trips back to the lander for a fix, for the current task
        self.lander_landed_flag = False
        self.egressed = egressed
        self.egress_start: tuple[float, float] | None = None
        self._egress_goal: tuple[float, float] | None = None
        self.aboard: list[int] = []
        for t in carried:
            if self.ledger.register(t, "rover"):
                self.aboard.append(t)
        for task in self.tasks:
            if self.ledger.location(task.tube) is None:
                self.ledger.register(task.tube, "depot")
        self.task: TubeTask | None = None
        self._claim = PickupNote("")       # the pickup's facts behind the move it asked for
        self._new_approach = False         # arrived at a tube this step: the pickup looks next
        self._replan = False
        self._g = None
        self._slots: list = []     # last reading of each slot's tube sensor
        self.done = False
        self._poll_mode = ""                  # the mode the step began in (mobility polls the navcam in it)
        self._stopping = False                # this step was HAZARD_STOP's (mobility holds or clears)
        self._progress = False                # a tube stowed or the lander reached this step
        self._restored = False                # a warm restart put the state back: reconcile first
        if egressed:
            self.force_mode("IDLE")

    # ------------------------------------------------------------ guards
    def lander_landed(self) -> bool:
        return self.lander_landed_flag

    def off_deck(self) -> bool:
        return self.egressed

    def path_ok(self) -> bool:
        return self.drive.path is not None

    def slot_free(self) -> bool:
        return len(self.aboard) < self.n_slots

    def at_goal(self) -> bool:
        return self.drive.at_goal(self.nav)

    def tube_localised(self) -> bool:
        return self._claim.localised

    def grasp_confirmed(self) -> bool:
        return self._claim.grasped

    def retries_left(self) -> bool:
        return self._claim.retries_left

    def stow_confirmed(self) -> bool:
        return self._claim.stowed

    def carrying_tubes(self) -> bool:
        return bool(self.aboard)

    # ------------------------------------------------------------ commands
    @command("LANDER_LANDED", doc="The lander reports it is on the surface and the deck is clear")
    def _cmd_lander_landed(self) -> None:
        self.lander_landed_flag = True

    @command("EGRESS", modes=("STOWED",), doc="Drive off the lander deck")
    def _cmd_egress(self) -> None:
        if not self.trigger("egress"):
            raise CommandError("egress refused")

    @command("FAULT", doc="Go to SAFE (fault response)")
    def _cmd_fault(self) -> None:
        self.drive.stop()
        self.trigger("fault")

    @command("RECOVER", modes=("SAFE",))
    def _cmd_recover(self) -> None:
        if not (self.trigger("recover") or self.trigger("recover_stowed")):
            raise CommandError("recovery refused")

    @command("FIX", Arg("x_m", float, -1e4, 1e4), Arg("y_m", float, -1e4, 1e4),
             Arg("heading_rad", float, -7.0, 7.0), doc="Position fix (e.g. localisation against the lander)")
    def _cmd_fix(self, x_m: float, y_m: float, heading_rad: float) -> None:
        self._fix(PositionFix(x_m, y_m, self.params["ground_fix_bound_m"], "ground", "ground", heading_rad))
        self._replan = self.mode == "RETURN"   # the old path was planned from the old estimate

    @command("ADD_TUBE", Arg("tube", int, 1, 65535), Arg("x_m", float, -1e4, 1e4), Arg("y_m", float, -1e4, 1e4),
             doc="Add a depot tube to collect")
    def _cmd_add_tube(self, tube: int, x_m: float, y_m: float) -> None:
        if any(t.tube == tube for t in self.tasks) or not self.ledger.register(tube, "depot"):
            raise CommandError(f"tube {tube} already known")
        self.tasks.append(TubeTask(tube, x_m, y_m))
        self.landmarks[tube] = (x_m, y_m)

    # ------------------------------------------------------------ fixes
    def _fix(self, fix: PositionFix) -> None:
        """Navigation applies the fix when this step returns; this step goes on from it at once."""
        self.nav = self.nav.after_fix(fix)
        self.publish(ROVER_FIX, fix)

    def _lander_fix(self, x: float, y: float, sigma: float) -> None:
        """Take the lander's fix (its tracker sends only well-conditioned ones); heading is kept:
        course fixes from successive lander fixes were tried and were worse than the gyro."""
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(sigma)):
            self.emit("FIX_REJECTED", source="lander cameras", shift_m=-1.0, bound_m=round(self.nav.bound_m, 3))
            return
        self._fix(PositionFix(x, y, 3.0 * sigma + 0.05, "lander cameras", "lander"))   # + target offset, latency
        self._fixed()

    def _fixed(self) -> None:
        if self.mode == "RETURN" and not self.drive.on_run_in(self.mode, self.nav):
            self._replan = True             # the old path was planned from the old estimate

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        nav = self.received(NAV_STATE)      # this tick's estimate (navigation runs first)
        if nav is not None:
            self.nav = nav
        self.tlm["plan_inflation_m"] = self.drive.plan.inflation_m
        if self.handoff is not None:
            for m in self.handoff.receive():
                if m.kind == "FIX" and m.xyz_m is not None:
                    self._lander_fix(float(m.xyz_m[0]), float(m.xyz_m[1]), float(m.sigma_m))
                elif self.mode == "HANDOFF":     # nothing else is expected outside a hand-off: drop strays
                    self.publish(HANDOFF_REPLY, HandoffReply(str(m.kind), int(m.tube or 0)))
        if self.gripper is not None:
            g = self._call(self.gripper.read)
            if g is not None:
                self._g = g
        if self.slot_sensors and self.mode in ("STOW_TUBE", "HANDOFF"):
            self._slots = [self._call(s.read) for s in self.slot_sensors]
        self._poll_mode = self.mode or ""
        if self._restored:
            restart.resume(self)
        holding, gripper_tube = self._gripper()
        self.publish(ROVER_STATUS, RoverStatus(self.mode, tuple(self.aboard), bool(self.tasks), holding, gripper_tube))
        self.during()
        self.tlm["tubes_stowed"] = len(self.aboard)
        task = self.task
        self.publish(PICKUP_ORDER, PickupOrder(
            self.mode, task.tube if task else 0, (task.x_m, task.y_m) if task else (0.0, 0.0),
            tuple([(k, x, y) for k, (x, y) in self.landmarks.items()]), holding, gripper_tube,
            tuple([int(r.tube_id) for r in self._slots if r is not None and r.present]), self._new_approach,
            self.drive.action == "pursue", self.drive.path is not None, self.at_goal()))
        self._new_approach = False          # the drive order follows the pickup's wish (`_on_wish`)

    def _call(self, fn, *args):
        """A device call through `device_call`: the result, or None once the fault is reported."""
        r = self.device_call(fn, *args)
        return None if failed(r) else r

    def _gripper(self) -> tuple[bool, int]:
        """The gripper's last reading: holding, and the tube it reads (0: none)."""
        holding = self._g is not None and bool(self._g.holding)
        return holding, int(self._g.tube_id) if holding else 0

    # ------------------------------------------------------------ the pickup's answers
    def _on_pickup(self, note: PickupNote) -> None:
        """A move the pickup asks for (its facts are the guards), and custody of a stowed tube."""
        self._claim = note
        if note.kind == "stowed":
            if tubes.stowed(self, note.tube):
                self._progress = True
            else:
                self.trigger("fault")          # the ledger disagrees with the slot sensor: the ground looks
        elif self.trigger(note.kind) and note.kind == "give_up":
            tubes.skipped(self, note.attempts)

    def _on_wish(self, wish: PickupWish) -> None:
        """The pickup's last word this tick: its fix, the creep it asks for, the wheels; then
        the drive order goes to mobility (it runs next)."""
        if wish.fix is not None:
            self.nav = self.nav.after_fix(wish.fix)   # navigation applied the same fix on delivery
            self._fixed()
        if wish.creep == "task":
            path = self._tube_path()
            if path is None:
                self.publish(PICKUP_REPLY, "no safe path from here")
            else:
                self.drive.follow(path, "creep", self.nav)
        elif wish.creep == "seen" and not self.drive.creep_to(self.nav, *wish.seen_xy_m):
            self.publish(PICKUP_REPLY, "too close to reach")
        if wish.action == "stop":
            self.drive.stop()
        elif wish.action == "pursue":
            self.drive.pursue()
        self.publish(DRIVE_ORDER, self.drive.order(self.mode, self.nav, self.egressed, self._poll_mode, self._stopping,
                                                   (wish.navcam_failed, wish.navcam_answered), self._progress))
        self._progress = self._stopping = False

    # ------------------------------------------------------------ the hand-off's answers
    def _on_handoff(self, note: HandoffNote) -> None:
        """The hand-off component's results: custody moves here, in the manager's ledger."""
        if note.kind == "taken":
            tubes.handed_over(self, note.tube)
        elif note.kind == "refused":
            self.emit("HANDOFF_RESULT", tube=note.tube, result="refused")
        elif note.kind == "done":
            self.trigger("handoff_done")
            self.done = note.all_done
        elif note.kind == "fault":
            if note.stop:
                self.drive.stop()          # a hand-off step timed out
            else:
                self.done = True           # refused too often: the ground has to look at this hand-off
            self.trigger("fault")

    # ------------------------------------------------------------ mobility's notes
    def _on_drive_note(self, note: DriveNote) -> None:
        """Mobility stopped the drive: for a hazard (HAZARD_STOP) or to replan from here."""
        if note.kind == "hazard":
            self.drive.path = None
            self.trigger("hazard")
        elif note.kind == "replan":
            self.drive.path = None
            self._replan = True
        elif note.kind == "fault":
            self.trigger("fault")
        elif note.kind == "clear" and not self.trigger("clear"):
            self.egress_start = None
            self.trigger("clear_egress")

    # ------------------------------------------------------------ per mode
    def during_STOWED(self) -> None:
        if self.lander_landed_flag:
            self.trigger("egress")

    def during_EGRESS(self) -> None:
        if self.egress_start is None:
            self.egress_start = (self.nav.x_m, self.nav.y_m)
            h = self.nav.heading_rad
            d = self.params["egress_distance_m"]
            self._egress_goal = (self.nav.x_m + d * math.cos(h), self.nav.y_m + d * math.sin(h))
            self.drive.straight(self.nav, self._egress_goal, "egress")   # off the ramp onto the landing site
        if self.drive.drive_on(self.nav):
            self.egressed = True
            self.drive.path = None
            self.trigger("egress_done")

    def during_HAZARD_STOP(self) -> None:
        """Stopped: mobility replans from here at once (a hazard), or holds while the navcam is not
        answering and clears once it answers again (its note "clear", "fault" or "hold")."""
        self.drive.stop()
        self._stopping = True

    def during_SAFE(self) -> None:
        self.drive.stop()

    def during_IDLE(self) -> None:
        self.drive.stop()
        if self.done:
            return
        if self.tasks and self.slot_free():
            self.task = self.tasks[0]
            path = self._tube_path()
            if path is None:
                if (self.nav.bound_m > self.params["relocalise_above_m"] and self._relocalise_trips == 0
                        and self._go_home()):
                    self._relocalise_trips += 1   # try again from a fresh fix at the lander
                    self.emit("TOO_UNSURE", purpose=f"tube {self.task.tube}", bound_m=round(self.nav.bound_m, 2))
                    return
                tubes.skipped(self, 0)
                return
            self.drive.follow(path, f"tube {self.task.tube}", self.nav)
            self.trigger("drive")
        elif self.aboard:
            if not self._go_home():
                self.done = True
                self.trigger("fault")             # no safe way back: wait for the ground
        else:
            self.done = True

    def during_TRAVERSE(self) -> None:
        if self._replan:
            self._replan = False
            path = self._tube_path()
            if path is None:
                self.drive.stop()
                self.trigger("abandon")        # IDLE decides: relocalise at the lander, or skip
                return
            self.drive.follow(path, f"tube {self.task.tube}", self.nav)
        if self.drive.drive_on(self.nav):
            self.trigger("arrive_tube")
            self._new_approach = True          # the pickup looks on the next step

    def during_RETURN(self) -> None:
        if self._replan:
            self._replan = False
            if not self.drive.to_lander(self.nav):
                self.drive.stop()
                self.done = True
                self.trigger("fault")          # no safe way back: stop and wait for the ground
                return
        if self.drive.drive_on(self.nav):
            self.trigger("arrived")
            self._progress = True

    # ------------------------------------------------------------ planning
    def _tube_path(self):
        return self.drive.to_tube(self.nav, self.task.tube, (self.task.x_m, self.task.y_m))

    def _go_home(self) -> bool:
        return self.drive.to_lander(self.nav) and self.trigger("go_home" if self.aboard else "relocalise")

    # ------------------------------------------------------------ warm restart (restart.py)
    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | restart.checkpoint(self)

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        restart.restore(self, state)
        self._restored = True

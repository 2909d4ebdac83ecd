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
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT, failed
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.gnc.path_planner import CostMap
from fsw.gnc.pure_pursuit import PurePursuit
from fsw.numerics import fixed_sum, hypot2

from ..custody import CUSTODY_CHECK, CUSTODY_EVENTS, CUSTODY_RECONCILED, CustodyLedger
from ..handoff import HandoffEndpoint
from . import restart
from .drive_planning import PlanBound, return_path, tube_path
from .modes import ROVER_MODES
from .navigation import initial_state
from .topics import (DRIVE_NOTE, DRIVE_ORDER, HANDOFF_NOTE, HANDOFF_REPLY, NAV_STATE, PICKUP_NOTE, PICKUP_ORDER,
                     PICKUP_REPLY, PICKUP_WISH, ROVER_FIX, ROVER_STATUS, DriveNote, DriveOrder, HandoffNote,
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
    CHANNELS = (
        Channel("tubes_stowed", int, ""), Channel("tubes_handed_over", int, ""), Channel("tubes_skipped", int, ""),
        Channel("device_faults", int, ""), Channel("plan_inflation_m", float, "m"),
    )
    EVENTS = CUSTODY_EVENTS + (
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
    PARAMS = (
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

    def __init__(self, name: str = "rover", *, gripper=None, slot_sensors: Sequence = (),
                 cost_map: CostMap | None = None, tasks: Sequence[TubeTask] = (),
                 handoff_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), handoff: HandoffEndpoint | None = None,
                 ledger: CustodyLedger | None = None, carried: Sequence[int] = (), slots: int = 10,
                 start_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), egressed: bool = False) -> None:
        super().__init__(name)
        self.gripper, self.slot_sensors = gripper, list(slot_sensors)
        self.cost_map = cost_map
        self.tasks = list(tasks)
        self.handoff_pose = handoff_pose
        self.handoff = handoff
        self.ledger = ledger if ledger is not None else CustodyLedger()
        self.ledger.emit = self.emit
        self.n_slots = slots
        self.nav: NavState = initial_state(start_pose)   # navigation's estimate (rover.nav), fixes applied at once
        self.plan = PlanBound()            # the bound the current path was planned with (drive_planning.py)
        self.landmarks: dict[int, tuple[float, float]] = {t.tube: (t.x_m, t.y_m) for t in self.tasks}
        self._relocalise_trips = 0         # trips back to the lander for a fix, for the current task
        self.route: list | None = None     # the path mobility pursues (rover.drive), None: none
        self._new_path: tuple | None = None   # planned this step: goes out with the drive order
        self._action = "none"              # what the wheels are told this step: "none", "stop", "pursue"
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
        self._navcam_seen = (False, False)    # this step's looks (the pickup's): a frame failed, a frame came
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
        return self.route is not None

    def slot_free(self) -> bool:
        return len(self.aboard) < self.n_slots

    def at_goal(self) -> bool:
        if self.route is None:
            return False
        gx, gy = self.route[-1]
        return hypot2(gx - self.nav.x_m, gy - self.nav.y_m) <= PurePursuit.goal_tolerance_m

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
        self._stop()
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
        if self.mode == "RETURN" and not self._on_run_in():
            self._replan = True             # the old path was planned from the old estimate

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        nav = self.received(NAV_STATE)      # this tick's estimate (navigation runs first)
        if nav is not None:
            self.nav = nav
        self.tlm["plan_inflation_m"] = self.plan.inflation_m
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
            tuple((k, x, y) for k, (x, y) in self.landmarks.items()), holding, gripper_tube,
            tuple(int(r.tube_id) for r in self._slots if r is not None and r.present), self._new_approach,
            self._action == "pursue", self.route is not None, self.at_goal()))
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
            tube = note.tube
            if not (self.ledger.move(tube, "depot", "rover") and self.trigger("stowed")):
                self.trigger("fault")          # the ledger disagrees with the slot sensor: the ground looks
                return
            self.aboard.append(tube)
            self.tasks.pop(0)
            self.landmarks.pop(tube, None)      # no longer on the ground to be seen
            self._relocalise_trips = 0
            self.task = None
            self.tlm["tubes_stowed"] = len(self.aboard)
            self.emit("TUBE_STOWED", tube=tube, count=len(self.aboard))
            self._progress = True
        elif self.trigger(note.kind) and note.kind == "give_up":
            self._skip_task(note.attempts)

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
                self._follow(path, "creep")
        elif wish.creep == "seen":
            self._creep_to(*wish.seen_xy_m)
        if wish.action == "stop":
            self._stop()
        elif wish.action == "pursue":
            self._pursue()
        self._navcam_seen = (wish.navcam_failed, wish.navcam_answered)
        self._order_drive()

    def _creep_to(self, wx: float, wy: float) -> None:
        """A few metres straight to the standoff point in front of a tube seen on clear ground."""
        x, y = self.nav.x_m, self.nav.y_m
        back = self.params["standoff_m"]
        dist = math.hypot(wx - x, wy - y)
        if dist <= back + 0.05:
            self.publish(PICKUP_REPLY, "too close to reach")
            return
        f = (dist - back) / dist
        self.plan.start = None
        self._follow([(x, y), (x + (wx - x) * f, y + (wy - y) * f)], "creep")

    # ------------------------------------------------------------ the hand-off's answers
    def _on_handoff(self, note: HandoffNote) -> None:
        """The hand-off component's results: custody moves here, in the manager's ledger."""
        if note.kind == "taken":
            tube = note.tube
            if tube in self.aboard and self.ledger.move(tube, "rover", "sta"):
                self.aboard.remove(tube)
                self.tlm["tubes_handed_over"] += 1
                self.tlm["tubes_stowed"] = len(self.aboard)
                self.emit("HANDOFF_RESULT", tube=tube, result="taken")
        elif note.kind == "refused":
            self.emit("HANDOFF_RESULT", tube=note.tube, result="refused")
        elif note.kind == "done":
            self.trigger("handoff_done")
            self.done = note.all_done
        elif note.kind == "fault":
            if note.stop:
                self._stop()               # a hand-off step timed out
            else:
                self.done = True           # refused too often: the ground has to look at this hand-off
            self.trigger("fault")

    # ------------------------------------------------------------ the wheels
    def _stop(self) -> None:
        """The wheels stop this step (mobility carries the order out right after this tick's pickup)."""
        self._action = "stop"

    def _pursue(self) -> None:
        """Drive on along the route (mobility: pursuit, replan and hazard checks); the pickup may
        stop it to look for a known tube."""
        self._action = "pursue" if self.route is not None else "stop"

    def _follow(self, path, purpose: str) -> bool:
        if len(path) < 2:
            path = [(self.nav.x_m, self.nav.y_m)] + list(path)
        self.route = list(path)
        self._new_path = tuple((float(x), float(y)) for x, y in path)
        length = fixed_sum(math.dist(path[k], path[k + 1]) for k in range(len(path) - 1))
        self.emit("PATH_PLANNED", purpose=purpose, waypoints=len(path), length_m=round(length, 2))
        return True

    def _order_drive(self) -> None:
        """Tell mobility what to do with the wheels this step (and a path planned in it)."""
        self.publish(DRIVE_ORDER, DriveOrder(
            self._action, self.mode, self.params["drive_speed_mps"], self._new_path,
            None if self.plan.start is None else self.plan.start[0], self._on_run_in(), self.egressed,
            self._poll_mode, self._stopping, *self._navcam_seen, self._progress))
        self._action, self._new_path, self._navcam_seen, self._progress = "none", None, (False, False), False
        self._stopping = False

    def _on_drive_note(self, note: DriveNote) -> None:
        """Mobility stopped the drive: for a hazard (HAZARD_STOP) or to replan from here."""
        if note.kind == "hazard":
            self.route = None
            self.trigger("hazard")
        elif note.kind == "replan":
            self.route = None
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
            self.plan.start = None                   # straight off the ramp onto the landing site
            self._egress_goal = (self.nav.x_m + d * math.cos(h), self.nav.y_m + d * math.sin(h))
            self._follow([self.egress_start, self._egress_goal], "egress")
        if self.at_goal():
            self._stop()
            self.egressed = True
            self.route = None
            self.trigger("egress_done")
        else:
            self._pursue()

    def during_HAZARD_STOP(self) -> None:
        """Stopped: mobility replans from here at once (a hazard), or holds while the navcam is not
        answering and clears once it answers again (its note "clear", "fault" or "hold")."""
        self._stop()
        self._stopping = True

    def during_SAFE(self) -> None:
        self._stop()

    def during_IDLE(self) -> None:
        self._stop()
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
                self._skip_task(0)
                return
            self._follow(path, f"tube {self.task.tube}")
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
                self._stop()
                self.trigger("abandon")        # IDLE decides: relocalise at the lander, or skip
                return
            self._follow(path, f"tube {self.task.tube}")
        self._new_approach = self._drive_on("arrive_tube")   # the pickup looks on the next step

    def during_RETURN(self) -> None:
        if self._replan:
            self._replan = False
            if not self._plan_return():
                self._stop()
                self.done = True
                self.trigger("fault")          # no safe way back: stop and wait for the ground
                return
        if self._drive_on("arrived"):
            self._progress = True

    def _drive_on(self, arrive: str) -> bool:
        """At the path's end: stop and `arrive` (True); else pursue the path."""
        if self.at_goal():
            self._stop()
            self.trigger(arrive)
            return True
        self._pursue()
        return False

    # ------------------------------------------------------------ planning
    def _tube_path(self):
        """A safe path to the task tube's standoff point (`drive_planning.tube_path`), or None."""
        path = tube_path(self.plan, self.cost_map, self.nav, (self.task.x_m, self.task.y_m), self.params)
        if path is None:
            self.emit("NO_PATH", purpose=f"tube {self.task.tube} (bound {self.nav.bound_m:.2f} m)")
        return path

    def _go_home(self) -> bool:
        return self._plan_return() and self.trigger("go_home" if self.aboard else "relocalise")

    def _on_run_in(self) -> bool:
        """On the straight final approach to the hand-off point (it ends next to the lander)."""
        hx, hy, _ = self.handoff_pose
        return self.mode == "RETURN" and math.hypot(self.nav.x_m - hx, self.nav.y_m - hy) <= self.params["handoff_run_in_m"] + 0.5

    def _plan_return(self) -> bool:
        """Path to the hand-off point ending in a straight run-in, so the rover parks facing the lander."""
        path = return_path(self.plan, self.cost_map, self.nav, self.handoff_pose, self.params)
        if path is None:
            self.emit("NO_PATH", purpose=f"return to lander (bound {self.nav.bound_m:.2f} m)")
            self.route = None
            return False
        return self._follow(path, "return to lander")

    def _skip_task(self, attempts: int) -> None:
        self._relocalise_trips = 0
        task = self.tasks.pop(0)
        self.tlm["tubes_skipped"] += 1
        self.emit("TUBE_SKIPPED", tube=task.tube, attempts=attempts)
        self.task = None

    # ------------------------------------------------------------ warm restart (restart.py)
    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | restart.checkpoint(self)

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        restart.restore(self, state)
        self._restored = True

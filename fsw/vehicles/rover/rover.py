"""The delivering rover's manager: mode table, planning, tube pickup with retries, custody.

One manager serves both delivery options (scenario configuration): the Sample Fetch Rover
drives from the lander to each depot tube, picks it up and returns; Perseverance arrives
carrying tubes and only drives to the lander and hands them over. Both use the same
hand-off interface (`fsw.vehicles.handoff`) and custody ledger (depot -> rover -> sta).

Navigation (dead reckoning, the position-error bound, fixes) is its own component
(`navigation.py`, first in the control group); the manager reads its estimate on `rover.nav`
and sends it fixes on `rover.fix` (DESIGN.md). Driving: hazard-aware A* over the onboard cost
map (replanned after any hazard stop); mobility (`mobility.py`, right after the manager)
pursues the path and stops for hazards on the manager's `rover.drive` order. Safety does
not rest on the dead reckoning being good: the manager plans on hazards inflated by the
bound the rover will have at the end of the drive. When the bound outgrows the path's
inflation it stops and replans; above `look_uncertainty_m` it stops and looks for a depot
tube (a landmark of known position) to re-localise; a tube it cannot reach safely is
skipped, and a rover too unsure to go on drives back to the lander (whose cameras fix it)
with what it has. Pickup: drive to a point short of the tube, detect and localise it with the
navcam (`pickup_geometry.py`), grasp with the arm, confirm by the gripper's id reader, stow
and confirm by the stowage slots' tube sensors; a failed grasp backs off and retries. The
pickup's and hand-off's sub-steps are the declared table `ROVER_STEPS` (modes.py).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT, DeviceFailure, failed
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.core.substeps import SubSteps
from fsw.gnc.dead_reckoning import associate_landmark
from fsw.gnc.path_planner import CostMap
from fsw.gnc.pure_pursuit import PurePursuit
from fsw.numerics import hypot2

from ..custody import CUSTODY_CHECK, CUSTODY_EVENTS, CUSTODY_RECONCILED, CustodyLedger
from ..handoff import HandoffEndpoint
from .arm import arm_at, move_arm
from .drive_planning import PlanBound, landmark_in_view, return_path, tube_path
from .mobility import counted_as_navcam
from .modes import ROVER_MODES, ROVER_STEPS
from .navigation import initial_state
from .pickup_geometry import in_reach, tube_in_body, world_of_body
from .topics import (DRIVE_NOTE, DRIVE_ORDER, HANDOFF_NOTE, HANDOFF_REPLY, NAV_STATE, ROVER_FIX, ROVER_STATUS,
                     DriveNote, DriveOrder, HandoffNote, HandoffReply, NavState, PositionFix, RoverStatus)
from fsw.numerics import fixed_sum


@dataclass(frozen=True)
class TubeTask:
    """A tube to collect: its id and where the depot record says it lies (local metres)."""

    tube: int
    x_m: float
    y_m: float


class Rover(Component):
    MODES = ROVER_MODES
    PUBLISHES = (ROVER_FIX, DRIVE_ORDER, ROVER_STATUS, HANDOFF_REPLY)
    SUBSCRIBES = (NAV_STATE, Sub(HANDOFF_NOTE, "_on_handoff"), Sub(DRIVE_NOTE, "_on_drive_note"))
    CHANNELS = (
        Channel("tubes_stowed", int, ""),
        Channel("tubes_handed_over", int, ""), Channel("tubes_skipped", int, ""),
        Channel("step", str, ""), Channel("device_faults", int, ""),
        Channel("plan_inflation_m", float, "m"), Channel("looks", int, ""),
        Channel("navcam_faults", int, ""),
    )
    EVENTS = CUSTODY_EVENTS + (
        EventDef("PATH_PLANNED", Severity.ACTIVITY_LO, "{purpose}: {waypoints} waypoints, {length_m} m", purpose=str, waypoints=int, length_m=float),
        EventDef("NO_PATH", Severity.WARNING_HI, "no safe path for {purpose}", purpose=str),
        EventDef("TUBE_DETECTED", Severity.ACTIVITY_LO, "tube {tube} at body ({bx_m}, {by_m})", tube=int, bx_m=float, by_m=float),
        EventDef("GRASP_FAILED", Severity.WARNING_LO, "tube {tube}: {reason} (attempt {attempt})", tube=int, reason=str, attempt=int),
        EventDef("TUBE_SKIPPED", Severity.WARNING_HI, "tube {tube} left after {attempts} attempts", tube=int, attempts=int),
        EventDef("TUBE_STOWED", Severity.ACTIVITY_HI, "tube {tube} stowed ({count} aboard)", tube=int, count=int),
        EventDef("HANDOFF_RESULT", Severity.ACTIVITY_HI, "tube {tube}: {result}", tube=int, result=str),
        EventDef("STEP_TIMEOUT", Severity.WARNING_HI, "{step} timed out", step=str),
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
        Param("tube_run_in_m", float, 0.0, 10.0, default=2.0,
              doc="straight final approach to a tube's standoff point, so the navcam sees the tube"),
        Param("handoff_run_in_m", float, 0.5, 10.0, default=3.0,
              doc="straight final approach to the hand-off point, so the rover faces the lander"),
        Param("relocalise_on_tubes", bool, default=True,
              doc="fix the position from a detected tube whose depot position is known"),
        Param("landmark_fix_bound_m", float, 0.0, 5.0, default=0.2,
              doc="position-error bound after a fix on a depot tube seen by the navcam, plus..."),
        Param("landmark_fix_bound_per_m", float, 0.0, 1.0, default=0.08,
              doc="...this per metre of range (the ground intersection worsens with range)"),
        Param("landmark_max_range_m", float, 0.5, 10.0, default=4.0, doc="farther sightings give no fix"),
        Param("ground_fix_bound_m", float, 0.0, 5.0, default=0.1, doc="bound after a FIX command"),
        Param("inflate_by_bound", bool, default=True,
              doc="plan on hazards inflated by the position-error bound at the end of the drive"),
        Param("look_uncertainty_m", float, 0.0, 10.0, default=0.6,
              doc="above this bound, stop and look for a known tube when one may be in view"),
        Param("look_every_m", float, 0.5, 100.0, default=3.0, doc="drive between two stop-and-looks"),
        Param("max_pos_bound_m", float, 0.2, 20.0, default=3.0,
              doc="no drive to a tube may end with a larger bound: go back to the lander first, or skip it"),
        Param("bound_slack_m", float, 0.0, 2.0, default=0.15,
              doc="planned on top of the bound; using it up means replanning"),
    )

    def __init__(self, name: str = "rover", *, camera=None, arm=None, gripper=None,
                 slot_sensors: Sequence = (), cost_map: CostMap | None = None, terrain=None, tasks: Sequence[TubeTask] = (),
                 handoff_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), handoff: HandoffEndpoint | None = None,
                 ledger: CustodyLedger | None = None, carried: Sequence[int] = (), slots: int = 10,
                 start_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), egressed: bool = False,
                 control_rate_hz: int = 10) -> None:
        super().__init__(name)
        self.camera = camera
        self.arm, self.gripper, self.slot_sensors = arm, gripper, list(slot_sensors)
        self.cost_map = cost_map
        self.terrain = terrain     # onboard height map (fsw.gnc.hazard.OnboardMap) for localisation
        self.tasks = list(tasks)
        self.handoff_pose = handoff_pose
        self.handoff = handoff
        self.ledger = ledger if ledger is not None else CustodyLedger()
        self.ledger.emit = self.emit
        self.n_slots = slots
        self.dt = 1.0 / control_rate_hz
        self.nav: NavState = initial_state(start_pose)   # navigation's estimate (rover.nav), fixes applied at once
        self.plan = PlanBound()            # the bound the current path was planned with (drive_planning.py)
        self.landmarks: dict[int, tuple[float, float]] = {t.tube: (t.x_m, t.y_m) for t in self.tasks}
        self._looking = False
        self._last_look_m = -1e9
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
        self.attempts = 0
        self.steps = SubSteps(ROVER_STEPS, self)   # the pickup's and hand-off's sub-steps (modes.py)
        self.tube_body: tuple[float, float, float] | None = None
        self._replan = False
        self._g = None
        self._slots: list = []     # last reading of each slot's tube sensor
        self.done = False
        self._pending = 0
        self._navcam_seen = (False, False)    # this step's looks: a frame failed, a frame came (for mobility)
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
        return self.tube_body is not None and self._in_reach(*self.tube_body)

    def grasp_confirmed(self) -> bool:
        return (self._g is not None and bool(self._g.holding) and self.task is not None
                and int(self._g.tube_id) == self.task.tube)

    def retries_left(self) -> bool:
        return self.attempts < self.params["max_pickup_attempts"]

    def stow_confirmed(self) -> bool:
        return (self.task is not None and not self._holding()
                and any(r is not None and r.present and int(r.tube_id) == self.task.tube for r in self._slots))

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
        self.relocalise(x, y, 3.0 * sigma + 0.05, "lander cameras", "lander")   # + target offset, latency

    def relocalise(self, x_m: float, y_m: float, bound_m: float, source: str, kind: str) -> None:
        """A position fix (heading kept): from the lander's cameras or a landmark sighting."""
        self._fix(PositionFix(x_m, y_m, bound_m, source, kind))
        if self.mode == "RETURN" and not self._on_run_in():
            self._replan = True             # the old path was planned from the old estimate

    @command("ADD_TUBE", Arg("tube", int, 1, 65535), Arg("x_m", float, -1e4, 1e4), Arg("y_m", float, -1e4, 1e4),
             doc="Add a depot tube to collect")
    def _cmd_add_tube(self, tube: int, x_m: float, y_m: float) -> None:
        if any(t.tube == tube for t in self.tasks) or not self.ledger.register(tube, "depot"):
            raise CommandError(f"tube {tube} already known")
        self.tasks.append(TubeTask(tube, x_m, y_m))
        self.landmarks[tube] = (x_m, y_m)

    # ------------------------------------------------------------ devices
    def _call(self, fn, *args):
        """A device call through `device_call`: the result, or None once the fault is reported."""
        r = self.device_call(fn, *args)
        return None if failed(r) else r

    def report_device_fault(self, failure: DeviceFailure) -> None:
        if not counted_as_navcam(self, failure):
            super().report_device_fault(failure)

    def _navcam(self):
        """A navcam frame, or None if the camera did not answer (counted in navcam_faults); mobility
        hears of it with the drive order (it watches the camera's health)."""
        r = self._call(self.camera.read)
        failed_, came = self._navcam_seen
        self._navcam_seen = (failed_ or r is None, came or r is not None)
        return r

    def _stop(self) -> None:
        """The wheels stop this step (mobility carries the order out right after this step)."""
        self._action = "stop"

    def _order_drive(self) -> None:
        """Tell mobility what to do with the wheels this step (and a path planned in it)."""
        hx, hy, _ = self.handoff_pose
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
        elif note.kind == "hold":
            self._goto("idle")                 # a held rover's pickup starts again from a look
            self.tlm["step"] = self.steps.state
        elif note.kind == "fault":
            self.trigger("fault")
        elif note.kind == "clear" and not self.trigger("clear"):
            self.egress_start = None
            self.trigger("clear_egress")

    def _holding(self) -> bool:
        return self._g is not None and bool(self._g.holding)

    def _arm_to(self, target) -> None:
        move_arm(self, self.arm, target)

    def _arm_at(self, target) -> bool:
        return arm_at(self, self.arm, target)

    def _goto(self, step: str) -> None:
        """Move to sub-step `step`; the table has every move the rover makes (a refused one is a bug)."""
        if step == self.steps.table.initial:
            self.steps.reset()                   # ends the work from any step, idle included
        elif not self.steps.go(step):
            raise RuntimeError(f"sub-step {self.steps.state} -> {step} is not in ROVER_STEPS")

    # ------------------------------------------------------------ navigation
    def _take_nav(self) -> None:
        """This tick's estimate from navigation (it runs first); a tilt it saw stops the next drive."""
        nav = self.received(NAV_STATE)
        if nav is not None:
            self.nav = nav
        self.tlm["plan_inflation_m"] = self.plan.inflation_m

    def _follow(self, path, purpose: str) -> bool:
        if len(path) < 2:
            path = [(self.nav.x_m, self.nav.y_m)] + list(path)
        self.route = list(path)
        self._new_path = tuple((float(x), float(y)) for x, y in path)
        length = fixed_sum(math.dist(path[k], path[k + 1]) for k in range(len(path) - 1))
        self.emit("PATH_PLANNED", purpose=purpose, waypoints=len(path), length_m=round(length, 2))
        return True

    def _pursue(self) -> None:
        """Drive on along the route (mobility: pursuit, replan and hazard checks), unless stopped to look."""
        if self.route is None:
            self._stop()
        elif not self._stop_and_look():
            self._action = "pursue"

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        self._take_nav()
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
            self._resume()
        self.steps.tick()
        holding = self._holding()
        self.publish(ROVER_STATUS, RoverStatus(self.mode, tuple(self.aboard), bool(self.tasks), holding,
                                               int(self._g.tube_id) if holding else 0))
        self.during()
        if not self.steps.idle and self.steps.cycles > self.params["step_timeout_cycles"]:
            self.emit("STEP_TIMEOUT", step=self.steps.state)
            self._on_timeout()
        self.tlm["step"] = self.steps.state
        self.tlm["tubes_stowed"] = len(self.aboard)
        self._order_drive()

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
        p = self.params
        if self.tasks and self.slot_free():
            self.task = self.tasks[0]
            self.attempts = 0
            path = self._tube_path()
            if path is None:
                if self.nav.bound_m > p["look_uncertainty_m"] and self._relocalise_trips == 0 and self._go_home():
                    self._relocalise_trips += 1   # try again from a fresh fix at the lander
                    self.emit("TOO_UNSURE", purpose=f"tube {self.task.tube}", bound_m=round(self.nav.bound_m, 2))
                    return
                self._skip_task()
                return
            self._follow(path, f"tube {self.task.tube}")
            self.trigger("drive")
        elif self.aboard:
            if not self._go_home():
                self.done = True
                self.trigger("fault")             # no safe way back: wait for the ground
        else:
            self.done = True

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

    def _skip_task(self) -> None:
        self._relocalise_trips = 0
        task = self.tasks.pop(0)
        self.tlm["tubes_skipped"] += 1
        self.emit("TUBE_SKIPPED", tube=task.tube, attempts=self.attempts)
        self.task = None

    def during_TRAVERSE(self) -> None:
        if self._replan:
            self._replan = False
            path = self._tube_path()
            if path is None:
                self._stop()
                self.trigger("abandon")        # IDLE decides: relocalise at the lander, or skip
                return
            self._follow(path, f"tube {self.task.tube}")
        if self.at_goal():
            self._stop()
            self.trigger("arrive_tube")
            self.tube_body = None
            self._goto("look")
        else:
            self._pursue()

    def during_RETURN(self) -> None:
        if self._replan:
            self._replan = False
            if not self._plan_return():
                self._stop()
                self.done = True
                self.trigger("fault")          # no safe way back: stop and wait for the ground
                return
        if self.at_goal():
            self._stop()
            self.trigger("arrived")
            self._progress = True
            self._goto("idle")
        else:
            self._pursue()

    # ------------------------------------------------------------ re-localisation
    def _stop_and_look(self) -> bool:
        """True while stopped to look for a landmark (the pursuit resumes afterwards)."""
        p = self.params
        if not self._looking:
            if (not p["relocalise_on_tubes"] or self.nav.bound_m <= p["look_uncertainty_m"]
                    or self.nav.distance_m - self._last_look_m < p["look_every_m"] or not landmark_in_view(self.nav, self.landmarks, p["landmark_max_range_m"])):
                return False
            self._looking = True
        self._stop()
        if abs(self.nav.wheel_speed_mps) > 1e-3:
            return True                      # no image while still rolling
        self._looking = False
        self._last_look_m = self.nav.distance_m
        self.tlm["looks"] += 1
        self._sight_landmark(self._localise())
        return True

    def _sight_landmark(self, body) -> int | None:
        """Associate a tube seen at body position `body` with a known tube and fix the position on it."""
        if body is None or not self.landmarks:
            return None
        rng = math.hypot(body[0], body[1])
        if rng > self.params["landmark_max_range_m"]:
            return None
        wx, wy, _ = self._world_of_body(body)
        gate = self.nav.bound_m + 0.5
        tid = associate_landmark((wx, wy), self.landmarks, gate)
        if tid is None:
            return None
        if self.params["relocalise_on_tubes"]:
            lx, ly = self.landmarks[tid]
            bound = self.params["landmark_fix_bound_m"] + self.params["landmark_fix_bound_per_m"] * rng
            self.relocalise(self.nav.x_m + lx - wx, self.nav.y_m + ly - wy, bound, f"tube {tid}", "landmark")
        return tid

    # ------------------------------------------------------------ pickup
    def _in_reach(self, bx: float, by: float, bz: float) -> bool:
        p = self.params
        return in_reach((bx, by, bz), p["arm_base_x_m"], p["arm_base_z_m"], p["arm_reach_m"])

    def _localise(self) -> tuple[float, float, float] | None:
        """Tube position in the body frame from a navcam frame (`pickup_geometry.tube_in_body`)."""
        if self.camera is None:
            return None
        r = self._navcam()
        if r is None or not r.detected:
            return None
        p = self.params
        return tube_in_body(r.los_unit, (p["cam_x_m"], p["cam_y_m"], p["cam_z_m"]), p["tube_z_m"], self.nav,
                            self.height_at)

    def _world_of_body(self, b) -> tuple[float, float, float]:
        return world_of_body(b, self.nav, self.height_at)

    def height_at(self, x: float, y: float) -> float:
        return self.terrain.height_at(x, y) if self.terrain is not None else 0.0

    def during_APPROACH_TUBE(self) -> None:
        if self.steps.state == "look":
            self._stop()
            if abs(self.nav.wheel_speed_mps) > 1e-3:
                return                      # stop, then look: no image while still rolling
            self.tube_body = self._localise()
            if self.tube_body is not None:
                bx, by, _ = self.tube_body
                self.emit("TUBE_DETECTED", tube=self.task.tube, bx_m=round(bx, 3), by_m=round(by, 3))
                seen = self._sight_landmark(self.tube_body)
                if seen is not None:
                    self.tube_body = self._localise() or self.tube_body   # heights at the fixed position
                    bx, by, _ = self.tube_body
                if seen is not None and seen != self.task.tube:
                    # Another depot tube: now that the position is fixed, drive on to the right one.
                    path = self._tube_path()
                    if path is None:
                        self._give_up_or_retry("no safe path from here")
                        return
                    self._follow(path, "creep")
                    self._goto("creep")
                    return
                if self.trigger("in_reach"):
                    self._start_grasp()
                    return
                # Seen but out of reach: creep to the standoff point in front of it.
                h = self.nav.heading_rad
                wx = self.nav.x_m + bx * math.cos(h) - by * math.sin(h)
                wy = self.nav.y_m + bx * math.sin(h) + by * math.cos(h)
                back = self.params["standoff_m"]
                dist = math.hypot(wx - self.nav.x_m, wy - self.nav.y_m)
                if dist > back + 0.05:
                    f = (dist - back) / dist
                    self.plan.start = None           # a few metres straight to a tube laid on clear ground
                    self._follow([(self.nav.x_m, self.nav.y_m), (self.nav.x_m + (wx - self.nav.x_m) * f,
                                                           self.nav.y_m + (wy - self.nav.y_m) * f)], "creep")
                    self._goto("creep")
                else:
                    self._give_up_or_retry("too close to reach")
        elif self.steps.state == "creep":
            if self.at_goal():
                self._stop()
                self._goto("look")
            else:
                self._pursue()

    def _give_up_or_retry(self, reason: str) -> None:
        self.attempts += 1
        self.emit("GRASP_FAILED", tube=self.task.tube, reason=reason, attempt=self.attempts)
        if self.retries_left():
            self._goto("look")
        elif self.trigger("give_up"):
            self._skip_task()
            self._goto("idle")

    def _arm_frame(self, bx: float, by: float, bz: float, dz: float = 0.0):
        p = self.params
        return (bx - p["arm_base_x_m"], by, bz - p["arm_base_z_m"] + dz)

    def _start_grasp(self) -> None:
        self.attempts += 1
        if self.gripper is not None:
            self._call(self.gripper.open_jaws)
        self._arm_to(self._arm_frame(*self.tube_body, dz=0.10))
        self._goto("above")

    def during_ACQUIRE(self) -> None:
        above = self._arm_frame(*self.tube_body, dz=0.10)
        at = self._arm_frame(*self.tube_body)
        if self.steps.state == "above" and self._arm_at(above):
            self._arm_to(at)
            self._goto("descend")
        elif self.steps.state == "descend" and self._arm_at(at):
            if self.gripper is not None:
                self._call(self.gripper.close_jaws)
            self._goto("grasp")
        elif self.steps.state == "grasp" and self.steps.cycles > 3:
            if self.trigger("grasped"):
                p = self.params
                self._arm_to((p["stow_x_m"], 0.0, p["stow_z_m"]))
                self._goto("stow")
            else:
                reason = f"gripper holds {int(self._g.tube_id)}" if self._holding() else "nothing grasped"
                self.emit("GRASP_FAILED", tube=self.task.tube, reason=reason, attempt=self.attempts)
                if self.gripper is not None:
                    self._call(self.gripper.open_jaws)
                self._arm_to(above)
                self._goto("backoff")
        elif self.steps.state == "backoff" and self._arm_at(above):
            if self.trigger("retry"):
                self.tube_body = None
                self._goto("look")
            elif self.trigger("give_up"):
                self._skip_task()
                self._goto("idle")

    def during_STOW_TUBE(self) -> None:
        p = self.params
        stow = (p["stow_x_m"], 0.0, p["stow_z_m"])
        if self.steps.state == "stow" and self._arm_at(stow):
            if self.gripper is not None:
                self._call(self.gripper.open_jaws)
            self._goto("confirm_stow")
        elif self.steps.state == "confirm_stow" and self.steps.cycles > 3:
            tube = self.task.tube
            if self.stow_confirmed() and self.ledger.move(tube, "depot", "rover") and self.trigger("stowed"):
                self.aboard.append(tube)
                self.tasks.pop(0)
                self.landmarks.pop(tube, None)      # no longer on the ground to be seen
                self._relocalise_trips = 0
                self.task = None
                self.tlm["tubes_stowed"] = len(self.aboard)
                self.emit("TUBE_STOWED", tube=tube, count=len(self.aboard))
                self._progress = True
                self._goto("idle")

    # ------------------------------------------------------------ hand-off
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

    def _on_timeout(self) -> None:
        mode = self.mode
        if mode in ("APPROACH_TUBE", "ACQUIRE"):
            self._stop()
            self.attempts = self.params["max_pickup_attempts"]  # a timeout ends the pickup
            if self.trigger("give_up"):
                self._skip_task()
            self._goto("idle")
        else:
            self._stop()
            self.trigger("fault")
            self._goto("idle")

    # ------------------------------------------------------------ warm restart
    TLM_KEPT = ("tubes_handed_over", "tubes_skipped", "looks", "device_faults", "navcam_faults")

    def checkpoint_state(self) -> dict[str, Any]:
        """Custody, what is aboard, the tube list and the pickup/hand-off bookkeeping, the counters
        fault protection watches (navigation checkpoints the estimate itself)."""
        return super().checkpoint_state() | {
            "custody": self.ledger.snapshot(), "aboard": list(self.aboard),
            "nav": {"last_look_m": self._last_look_m},
            "tasks": [(t.tube, t.x_m, t.y_m) for t in self.tasks],
            "landmarks": [(k, x, y) for k, (x, y) in sorted(self.landmarks.items())],
            "flags": {"lander_landed": self.lander_landed_flag, "egressed": self.egressed, "done": self.done},
            "egress": (self.egress_start, self._egress_goal),
            "work": {"attempts": self.attempts, "relocalise_trips": self._relocalise_trips},
            "tlm": {k: self.tlm[k] for k in self.TLM_KEPT},
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put the checkpoint back; the next step reconciles custody against the slot sensors and
        the gripper and resumes the interrupted activity (`_resume`)."""
        super().restore_state(state)
        self.ledger.restore((int(t), str(loc)) for t, loc in state.get("custody", ()))
        self.aboard = [int(t) for t in state.get("aboard", ()) if self.ledger.location(int(t)) == "rover"]
        nav = state.get("nav", {})
        if nav:
            self._last_look_m = float(nav["last_look_m"])
        if "tasks" in state:
            self.tasks = [TubeTask(int(t), float(x), float(y)) for t, x, y in state["tasks"]]
        if "landmarks" in state:
            self.landmarks = {int(t): (float(x), float(y)) for t, x, y in state["landmarks"]}
        flags = state.get("flags", {})
        self.lander_landed_flag = bool(flags.get("lander_landed", self.lander_landed_flag))
        self.egressed = bool(flags.get("egressed", self.egressed))
        self.done = bool(flags.get("done", self.done))
        start, goal = state.get("egress", (None, None))
        self.egress_start = None if start is None else (float(start[0]), float(start[1]))
        self._egress_goal = None if goal is None else (float(goal[0]), float(goal[1]))
        work = state.get("work", {})
        self.attempts = int(work.get("attempts", 0))
        self._relocalise_trips = int(work.get("relocalise_trips", 0))
        for k, v in state.get("tlm", {}).items():
            if k in self.TLM_KEPT and isinstance(v, int):
                self.tlm[k] = v
        self.tlm["tubes_stowed"] = len(self.aboard)
        self._restored = True

    def _reconcile(self, tube: int, source: str, dest: str, why: str) -> bool:
        if not self.ledger.move(tube, source, dest):
            return False
        self.emit("CUSTODY_RECONCILED", tube=tube, source=source, dest=dest, why=why)
        return True

    def _resume(self) -> None:
        """First step after a warm restart. Custody first: a tube a slot sensor reads is aboard
        (moved once from the depot if the ledger still had it there; the stow confirmation of the
        current task does that itself); a tube the ledger has aboard that neither a slot nor the
        gripper holds was taken by the lander's arm if the rover was handing over. Then the
        activity: a drive replans from the restored pose, a pickup looks again (or stows the tube
        it holds), a hand-off presents the tube it holds again."""
        self._restored = False
        slots = [self._call(s.read) for s in self.slot_sensors]
        self._slots = slots
        seen = {int(r.tube_id): f"slot{k}" for k, r in enumerate(slots) if r is not None and r.present}
        held = int(self._g.tube_id) if self._holding() else 0
        self.task = self.tasks[0] if self.tasks and self.mode in ("TRAVERSE", "APPROACH_TUBE", "ACQUIRE",
                                                                  "STOW_TUBE") else None
        for tube, slot in sorted(seen.items()):
            if self.ledger.location(tube) == "depot" and not (self.mode == "STOW_TUBE" and self.task is not None
                                                              and tube == self.task.tube):
                if self._reconcile(tube, "depot", "rover", f"seen in {slot}"):
                    self.aboard.append(tube)
                    self.tasks = [t for t in self.tasks if t.tube != tube]
                    self.landmarks.pop(tube, None)
        if self.mode == "HANDOFF":
            for tube in [t for t in self.aboard if t not in seen and t != held]:
                if self._reconcile(tube, "rover", "sta", "in neither a slot nor the gripper: taken"):
                    self.aboard.remove(tube)
                    self.tlm["tubes_handed_over"] += 1
        sensed = set(seen) | ({held} if held else set())
        self.emit("CUSTODY_CHECK", ledger=",".join(map(str, sorted(self.aboard))) or "-",
                  sensors=",".join(map(str, sorted(sensed))) or "-", ok=set(self.aboard) <= sensed)
        self.tlm["tubes_stowed"] = len(self.aboard)
        p = self.params
        mode = self.mode
        if mode == "EGRESS" and self._egress_goal is not None:
            self.plan.start = None
            self._follow([(self.nav.x_m, self.nav.y_m), self._egress_goal], "egress (resumed)")
        elif mode in ("TRAVERSE", "RETURN"):
            self._replan = True
            if mode == "TRAVERSE" and self.task is None:
                self.trigger("abandon")
        elif mode == "APPROACH_TUBE":
            self.tube_body = None
            self._goto("look")
        elif mode == "ACQUIRE":
            if self.grasp_confirmed() and self.trigger("grasped"):
                self._arm_to((p["stow_x_m"], 0.0, p["stow_z_m"]))
                self._goto("stow")
            elif self.trigger("retry"):
                self.tube_body = None
                self._goto("look")
            elif self.trigger("give_up"):
                self._skip_task()
                self._goto("idle")
        elif mode == "STOW_TUBE":
            if self.task is not None and held == self.task.tube:
                self._arm_to((p["stow_x_m"], 0.0, p["stow_z_m"]))
                self._goto("stow")
            elif self.task is not None and self.task.tube in seen:
                self._goto("confirm_stow")
            else:
                self.trigger("fault")          # the tube is in neither the gripper nor a slot: the ground looks
        # HANDOFF: the hand-off component presents a tube still held again (handoff.py)

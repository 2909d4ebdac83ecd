"""The delivering rover's vehicle component: navigation, tube pickup with retries, hand-off.

One component serves both delivery options (scenario configuration): the Sample Fetch Rover
drives from the lander to each depot tube, picks it up and returns; Perseverance arrives
carrying tubes and only drives to the lander and hands them over. Both use the same
hand-off interface (`fsw.vehicles.handoff`) and custody ledger (depot -> rover -> sta).

Navigation: dead reckoning from wheel odometry along the IMU-integrated heading; hazard-aware
A* over the onboard cost map (replanned after any hazard stop); pure pursuit in the control
rate group. Safety does not rest on the dead reckoning being good: the rover keeps a bound
on its position error (`PositionBound`: reset by fixes, grown per metre driven) and plans on
hazards inflated by the bound it will have at the end of the drive. When the bound outgrows
the path's inflation it stops and replans; above `look_uncertainty_m` it stops and looks for
a depot tube (a landmark of known position) to re-localise; a tube it cannot reach safely is
skipped, and a rover too unsure to go on drives back to the lander (whose cameras fix it)
with what it has. A fix further off than the bound allowed raises the bound's growth rate
(BOUND_RAISED): the bound learns from its own misses. Pickup: drive to a point short of the tube, detect and localise it with the tube
camera (line of sight onto the ground plane), grasp with the arm, confirm by the gripper's
id reader, stow and confirm by the stowage slots' tube sensors. A failed grasp backs off and retries.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.events import EventDef, Severity
from fsw.gnc.dead_reckoning import DeadReckoning, PositionBound, associate_landmark, wrap
from fsw.gnc.path_planner import CostMap, ErrorBound, line_free, plan, plan_bounded
from fsw.gnc.pure_pursuit import PurePursuit
from hal.errors import DeviceFault

from ..custody import CUSTODY_CHECK, CUSTODY_EVENTS, CUSTODY_RECONCILED, CustodyLedger
from ..handoff import HandoffEndpoint
from .modes import DRIVING, ROVER_MODES

NAVCAM_MODES = DRIVING + ("HAZARD_STOP",)   # the navcam is read (and watched) while driving or held


@dataclass(frozen=True)
class TubeTask:
    """A tube to collect: its id and where the depot record says it lies (local metres)."""

    tube: int
    x_m: float
    y_m: float


def truncate_path(path: Sequence[tuple[float, float]], back_m: float) -> list[tuple[float, float]]:
    """The path shortened by `back_m` from its end (at least its first point)."""
    pts = [tuple(p) for p in path]
    remaining = back_m
    while len(pts) >= 2 and remaining > 0:
        (ax, ay), (bx, by) = pts[-2], pts[-1]
        L = math.hypot(bx - ax, by - ay)
        if L > remaining:
            f = (L - remaining) / L
            pts[-1] = (ax + (bx - ax) * f, ay + (by - ay) * f)
            return pts
        remaining -= L
        pts.pop()
    return pts


class Rover(Component):
    MODES = ROVER_MODES
    CHANNELS = (
        Channel("dr_x_m", float, "m"), Channel("dr_y_m", float, "m"), Channel("dr_heading_rad", float, "rad"),
        Channel("odometer_m", float, "m"), Channel("speed_cmd_mps", float, "m/s"),
        Channel("curvature_cmd_1pm", float, "1/m"), Channel("tubes_stowed", int, ""),
        Channel("tubes_handed_over", int, ""), Channel("tubes_skipped", int, ""),
        Channel("hazard_stops", int, ""), Channel("step", str, ""), Channel("device_faults", int, ""),
        Channel("pos_bound_m", float, "m"), Channel("plan_inflation_m", float, "m"),
        Channel("landmark_fixes", int, ""), Channel("lander_fixes", int, ""), Channel("looks", int, ""),
        Channel("bound_growth_per_m", float, ""),
        Channel("stalled_s", float, "s"), Channel("navcam_stale_s", float, "s"), Channel("navcam_faults", int, ""),
        Channel("holds", int, ""),
    )
    EVENTS = CUSTODY_EVENTS + (
        EventDef("PATH_PLANNED", Severity.ACTIVITY_LO, "{purpose}: {waypoints} waypoints, {length_m} m", purpose=str, waypoints=int, length_m=float),
        EventDef("NO_PATH", Severity.WARNING_HI, "no safe path for {purpose}", purpose=str),
        EventDef("HAZARD_STOP", Severity.WARNING_HI, "{reason} at ({x_m}, {y_m})", reason=str, x_m=float, y_m=float),
        EventDef("TUBE_DETECTED", Severity.ACTIVITY_LO, "tube {tube} at body ({bx_m}, {by_m})", tube=int, bx_m=float, by_m=float),
        EventDef("GRASP_FAILED", Severity.WARNING_LO, "tube {tube}: {reason} (attempt {attempt})", tube=int, reason=str, attempt=int),
        EventDef("TUBE_SKIPPED", Severity.WARNING_HI, "tube {tube} left after {attempts} attempts", tube=int, attempts=int),
        EventDef("TUBE_STOWED", Severity.ACTIVITY_HI, "tube {tube} stowed ({count} aboard)", tube=int, count=int),
        EventDef("HANDOFF_RESULT", Severity.ACTIVITY_HI, "tube {tube}: {result}", tube=int, result=str),
        EventDef("STEP_TIMEOUT", Severity.WARNING_HI, "{step} timed out", step=str),
        EventDef("DEVICE_FAULT", Severity.WARNING_HI, "{device}: {error}", device=str, error=str),
        EventDef("RELOCALISED", Severity.ACTIVITY_LO, "{source}: moved {shift_m} m, bound {bound_m} m", source=str, shift_m=float, bound_m=float),
        EventDef("REPLAN", Severity.ACTIVITY_LO, "{purpose}: position bound {bound_m} m outgrew the plan's {inflation_m} m", purpose=str, bound_m=float, inflation_m=float),
        EventDef("FIX_REJECTED", Severity.WARNING_LO, "{source}: not a finite position (shift {shift_m} m, bound {bound_m} m)",
                 source=str, shift_m=float, bound_m=float),
        EventDef("BOUND_RAISED", Severity.WARNING_HI,
                 "a fix {shift_m} m off a {bound_m} m bound: growth now {growth} per m", shift_m=float, bound_m=float, growth=float),
        EventDef("TOO_UNSURE", Severity.WARNING_HI, "{purpose}: position bound {bound_m} m; returning to the lander", purpose=str, bound_m=float),
        EventDef("HOLD", Severity.WARNING_HI, "{reason}: stopped until it clears", reason=str),
        EventDef("HOLD_CLEARED", Severity.ACTIVITY_HI, "{reason} clear after {held_s} s: replanning", reason=str, held_s=float),
        EventDef("HOLD_TIMEOUT", Severity.WARNING_HI, "{reason} not clear after {held_s} s", reason=str, held_s=float),
        CUSTODY_RECONCILED,
        CUSTODY_CHECK,
    )
    PARAMS = (
        Param("drive_speed_mps", float, 0.01, 0.1, default=0.07),
        Param("egress_distance_m", float, 0.5, 10.0, default=3.0),
        Param("standoff_m", float, 0.8, 2.0, default=1.25, doc="rover centre to tube when stopping"),
        Param("max_tilt_deg", float, 5.0, 40.0, default=22.0),
        Param("max_pickup_attempts", int, 1, 10, default=3),
        Param("max_hazard_stops", int, 1, 100, default=5, doc="hazard stops in a row before SAFE"),
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
        Param("present_x_m", float, -2.0, 2.0, default=0.9),
        Param("present_z_m", float, -1.0, 2.0, default=0.3),
        Param("tube_run_in_m", float, 0.0, 10.0, default=2.0,
              doc="straight final approach to a tube's standoff point, so the navcam sees the tube"),
        Param("handoff_run_in_m", float, 0.5, 10.0, default=3.0,
              doc="straight final approach to the hand-off point, so the rover faces the lander"),
        Param("heading_source", str, choices=("imu", "wheels"), default="imu",
              doc="dead-reckoning heading: integrated IMU yaw rate, or the wheels' odometry heading"),
        Param("relocalise_on_tubes", bool, default=True,
              doc="fix the position from a detected tube whose depot position is known"),
        Param("pos_bound_start_m", float, 0.0, 10.0, default=0.1, doc="position-error bound on the deck"),
        Param("pos_bound_per_m", float, 0.0, 0.5, default=0.03,
              doc="growth of the position-error bound per metre driven without a fix"),
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
        Param("lost_bound_m", float, 1.0, 50.0, default=8.0,
              doc="localisation lost beyond this bound: the lander's stereo tracker (15 m reach) may no "
                  "longer see the rover where it believes the hand-off run-in starts (~6 m out)"),
        Param("min_drive_speed_mps", float, 0.001, 0.1, default=0.01,
              doc="a commanded speed at or above this must turn the wheels"),
        Param("no_progress_s", float, 0.5, 60.0, default=2.0,
              doc="commanded to drive this long without the odometer advancing: the drive is stuck"),
        Param("navcam_poll_cycles", int, 1, 100, default=5,
              doc="while driving the navcam is read this often (hazard and look frames): a dead camera shows"),
        Param("hold_clear_s", float, 0.1, 60.0, default=2.0, doc="a held device must answer this long to resume"),
        Param("hold_timeout_s", float, 1.0, 3600.0, default=120.0, doc="a hold not clear by then safes the rover"),
    )

    def __init__(self, name: str = "rover", *, wheels=None, imu=None, camera=None, arm=None, gripper=None,
                 slot_sensors: Sequence = (), cost_map: CostMap | None = None, terrain=None, tasks: Sequence[TubeTask] = (),
                 handoff_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), handoff: HandoffEndpoint | None = None,
                 ledger: CustodyLedger | None = None, carried: Sequence[int] = (), slots: int = 10,
                 start_pose: tuple[float, float, float] = (0.0, 0.0, 0.0), egressed: bool = False,
                 control_rate_hz: int = 10) -> None:
        super().__init__(name)
        self.wheels, self.imu, self.camera = wheels, imu, camera
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
        self.dr = DeadReckoning(*start_pose)
        self.bound = PositionBound(self.params["pos_bound_start_m"], self.params["pos_bound_per_m"])
        self.plan_inflation = 0.0          # error bound the current path was planned with at its start
        self._plan_bound: tuple[float, float] | None = None   # (planned bound at the start, odometer)
        self.landmarks: dict[int, tuple[float, float]] = {t.tube: (t.x_m, t.y_m) for t in self.tasks}
        self._looking = False
        self._last_look_m = -1e9
        self._inbox: list = []
        self._relocalise_trips = 0         # trips back to the lander for a fix, for the current task
        self.imu_heading = start_pose[2]
        self.pursuit: PurePursuit | None = None
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
        self.seq = "idle"
        self.cycles = 0
        self.tube_body: tuple[float, float, float] | None = None
        self._accel = None
        self._wheel_speed = 0.0
        self.handoff_refusals = 0
        self._replan = False
        self._was_free = True
        self._stops_in_a_row = 0
        self._wheel_heading = start_pose[2]
        self._heading_offset = 0.0
        self.hazard_reason = ""
        self.speed = 0.0
        self._g = None
        self._slots: list = []     # last reading of each slot's tube sensor
        self.done = False
        self._pending = 0
        self._last_odo: float | None = None   # odometer at the last read (no-progress check)
        self._stalled = 0                     # cycles commanded to drive with the odometer still
        self._navcam_poll = 0
        self._navcam_stale = 0                # cycles since the last good navcam frame (while polling)
        self._navcam_good = 1 << 30           # cycles since the navcam last failed to answer
        self._hold = ""                       # what a hold waits for ("" = none)
        self._held = 0                        # cycles held
        self._restored = False                # a warm restart put the state back: reconcile first
        if egressed:
            self.force_mode("IDLE")

    # ------------------------------------------------------------ guards
    def lander_landed(self) -> bool:
        return self.lander_landed_flag

    def off_deck(self) -> bool:
        return self.egressed

    def path_ok(self) -> bool:
        return self.pursuit is not None

    def slot_free(self) -> bool:
        return len(self.aboard) < self.n_slots

    def at_goal(self) -> bool:
        return self.pursuit is not None and self.pursuit.done(self.dr.x, self.dr.y)

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
        self.dr.fix(x_m, y_m, heading_rad)
        self.imu_heading = self.dr.heading
        self._heading_offset = wrap(self.dr.heading - self._wheel_heading)
        self.bound.fix(self.params["ground_fix_bound_m"])
        self._replan = self.mode == "RETURN"   # the old path was planned from the old estimate

    def _lander_fix(self, x: float, y: float, sigma: float) -> None:
        """Take the lander's fix (its tracker sends only well-conditioned ones); heading is kept:
        course fixes from successive lander fixes were tried and were worse than the gyro."""
        if not (math.isfinite(x) and math.isfinite(y) and math.isfinite(sigma)):
            self.emit("FIX_REJECTED", source="lander cameras", shift_m=-1.0, bound_m=round(self.bound.bound_m, 3))
            return
        self.tlm["lander_fixes"] += 1
        self.relocalise(x, y, 3.0 * sigma + 0.05, "lander cameras")   # + target offset, latency

    def relocalise(self, x_m: float, y_m: float, bound_m: float, source: str) -> None:
        """A position fix (heading kept): from the lander's cameras or a landmark sighting."""
        shift = math.hypot(x_m - self.dr.x, y_m - self.dr.y)
        if shift > self.bound.bound_m + bound_m and self.bound.since_fix_m > 1.0:
            # The bound did not hold: it grows faster from now on (never slower).
            growth = min(0.5, 1.5 * shift / self.bound.since_fix_m)
            if growth > self.bound.growth_per_m:
                self.emit("BOUND_RAISED", shift_m=round(shift, 3), bound_m=round(self.bound.bound_m, 3),
                          growth=round(growth, 4))
                self.bound.growth_per_m = growth
        self.dr.fix(x_m, y_m)
        self.bound.fix(bound_m)
        self.emit("RELOCALISED", source=source, shift_m=round(shift, 3), bound_m=round(bound_m, 3))
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
    def _io(self, fn, *args, counter: str = "device_faults"):
        """A device call; a fault is counted (`counter`) and reported, never raised into the loop.
        Navcam faults have their own counter: the rover holds for a blind camera, not safes."""
        try:
            return fn(*args)
        except DeviceFault as exc:
            self.tlm[counter] += 1
            self.emit("DEVICE_FAULT", device=getattr(getattr(fn, "__self__", None), "name", "?"), error=str(exc))
            return None

    def _navcam(self):
        """A navcam frame, or None if the camera did not answer (counted in navcam_faults)."""
        r = self._io(self.camera.read, counter="navcam_faults")
        if r is None:
            self._navcam_good = 0
        else:
            self._navcam_stale = 0
        return r

    def _poll_navcam(self) -> None:
        """While driving (or held) the navcam takes a frame every `navcam_poll_cycles`: the
        hazard and look frames a rover drives on. `navcam_stale_s` is the age of the last good one."""
        self._navcam_good += 1
        if self.camera is None or self.mode not in NAVCAM_MODES:
            self._navcam_stale = self._navcam_poll = 0
        else:
            self._navcam_stale += 1
            self._navcam_poll += 1
            if self._navcam_poll >= self.params["navcam_poll_cycles"]:
                self._navcam_poll = 0
                self._navcam()
        self.tlm["navcam_stale_s"] = self._navcam_stale * self.dt

    def _blind(self) -> bool:
        """The navcam failed to answer within the last `hold_clear_s`: no drive may start."""
        return self.camera is not None and self._navcam_good * self.dt < self.params["hold_clear_s"]

    def _drive(self, speed: float, curvature: float) -> None:
        self.speed = speed
        self.tlm["speed_cmd_mps"], self.tlm["curvature_cmd_1pm"] = speed, curvature
        if self.wheels is not None:
            self._io(self.wheels.drive, speed, curvature)

    def _stop(self) -> None:
        self._drive(0.0, 0.0)

    def _holding(self) -> bool:
        return self._g is not None and bool(self._g.holding)

    def _arm_to(self, target) -> None:
        if self.arm is not None:
            self._io(self.arm.move_to, tuple(float(c) for c in target))

    def _arm_at(self, target) -> bool:
        if self.arm is None:
            return False
        r = self._io(self.arm.read)
        return r is not None and bool(r.at_target) and max(abs(r.position_m[k] - target[k]) for k in range(3)) < 0.02

    def _goto(self, seq: str) -> None:
        self.seq, self.cycles = seq, 0

    # ------------------------------------------------------------ navigation
    def _navigate(self) -> None:
        if self.wheels is not None:
            w = self._io(self.wheels.read)
            if w is not None:
                self._wheel_speed = float(w.speed_mps)
                if self._restored:
                    # The reboot gap: the gyro was not integrated, the wheels' odometry heading was.
                    self.imu_heading = wrap(self.imu_heading + wrap(float(w.heading_rad) - self._wheel_heading))
                use_imu = self.imu is not None and self.params["heading_source"] == "imu"
                self._wheel_heading = float(w.heading_rad)
                heading = self.imu_heading if use_imu else wrap(self._wheel_heading + self._heading_offset)
                before = self.dr.distance_m
                self.dr.update(float(w.odometer_m), heading)
                self.bound.drive(self.dr.distance_m - before)
            moved = w is not None and self._last_odo is not None and float(w.odometer_m) != self._last_odo
            if w is not None:
                self._last_odo = float(w.odometer_m)
            # Commanded to drive (last cycle's command) and the wheels' odometer did not move:
            # a stuck or stalled drive, or a frozen wheel sensor. Nominally it advances every cycle.
            driving = abs(self.speed) >= self.params["min_drive_speed_mps"]
            self._stalled = self._stalled + 1 if driving and not moved else 0
        if self.imu is not None:
            r = self._io(self.imu.read)
            if r is not None:
                self.imu_heading = wrap(self.imu_heading + float(r.rate_radps[2]) * self.dt)
                ax, ay, az = r.accel_mps2
                self._accel = (float(ax), float(ay), float(az))
                tilt = math.degrees(math.atan2(math.hypot(ax, ay), az)) if az > 0 else 90.0
                if tilt > self.params["max_tilt_deg"]:
                    self.hazard_reason = f"tilt {tilt:.1f} deg"
        tl = self.tlm
        tl["dr_x_m"], tl["dr_y_m"], tl["dr_heading_rad"] = self.dr.x, self.dr.y, self.dr.heading
        tl["odometer_m"] = self.dr.distance_m
        tl["pos_bound_m"] = self.bound.bound_m
        tl["bound_growth_per_m"] = self.bound.growth_per_m
        tl["plan_inflation_m"] = self.plan_inflation
        tl["stalled_s"] = self._stalled * self.dt

    def _safe_path(self, goal: tuple[float, float], purpose: str, goal_tolerance_cells: int = 6,
                   max_end_bound_m: float = math.inf, report: bool = True):
        """A path to `goal` that keeps every mapped hazard further than the rover's half-width
        margin plus the position-error bound it will have at each point (`plan_bounded`), or None.

        The bound is planned with `bound_slack_m` on top; the pursuit replans once the real bound
        eats that slack (a detour, a slip the odometer saw). A path ending with a bound above
        `max_end_bound_m` is refused too."""
        start = (self.dr.x, self.dr.y)
        p = self.params
        if self.cost_map is None:
            self._plan_bound = None
            return [start, goal]
        if not p["inflate_by_bound"]:
            self._plan_bound = None
            path = plan(self.cost_map, start, goal, goal_tolerance_cells)
        else:
            bound = ErrorBound(self.bound.bound_m + p["bound_slack_m"], self.bound.growth_per_m)
            found = plan_bounded(self.cost_map, start, goal, bound, goal_tolerance_cells)
            path = None
            if found is not None and found[1] <= max_end_bound_m:
                path = found[0]
                self._plan_bound = (bound.now_m, self.dr.distance_m)
        if path is None and report:
            self.emit("NO_PATH", purpose=f"{purpose} (bound {self.bound.bound_m:.2f} m)")
        self.plan_inflation = self.bound.bound_m + p["bound_slack_m"] if path is not None and p["inflate_by_bound"] else 0.0
        return path

    def _bound_outgrew_plan(self) -> bool:
        """The bound is larger than the path was planned for at this point of it."""
        if self._plan_bound is None or self.pursuit is None:
            return False
        b0, _ = self._plan_bound
        allowed = b0 + self.bound.growth_per_m * self.pursuit.progress(self.dr.x, self.dr.y)
        return self.bound.bound_m > allowed + 1e-9

    def _follow(self, path, purpose: str) -> bool:
        if len(path) < 2:
            path = [(self.dr.x, self.dr.y)] + list(path)
        self.pursuit = PurePursuit(list(path))
        length = sum(math.dist(path[k], path[k + 1]) for k in range(len(path) - 1))
        self.emit("PATH_PLANNED", purpose=purpose, waypoints=len(path), length_m=round(length, 2))
        return True

    def _pursue(self) -> None:
        p = self.pursuit
        if p is None:
            self._stop()
            return
        if self._stop_and_look():
            return
        if self.mode in ("TRAVERSE", "RETURN") and self._bound_outgrew_plan():
            self._stop()
            self.emit("REPLAN", purpose=self.mode, bound_m=round(self.bound.bound_m, 2),
                      inflation_m=round(self._plan_bound[0], 2))
            self.pursuit = None
            self._replan = True
            return
        # The run-in to the hand-off point goes close to the lander on purpose (its keep-out is planning margin).
        free = self.cost_map is None or self._on_run_in() or self.cost_map.free_at(self.dr.x, self.dr.y)
        if self._was_free and not free and self.egressed:
            self.hazard_reason = "entering a mapped hazard"   # leaving one (after a slip) is allowed
        self._was_free = free
        if self.hazard_reason:
            self._stop()
            self.tlm["hazard_stops"] += 1
            self.emit("HAZARD_STOP", reason=self.hazard_reason, x_m=round(self.dr.x, 2), y_m=round(self.dr.y, 2))
            self.hazard_reason = ""
            self.pursuit = None
            self.trigger("hazard")
            return
        v = self.params["drive_speed_mps"]
        d = p.distance_to_goal(self.dr.x, self.dr.y)
        v = min(v, max(0.02, 0.5 * d))
        self._drive(v, p.curvature(self.dr.x, self.dr.y, self.dr.heading, v))

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        self._navigate()
        self._inbox = []
        if self.handoff is not None:
            for m in self.handoff.receive():
                if m.kind == "FIX" and m.xyz_m is not None:
                    self._lander_fix(float(m.xyz_m[0]), float(m.xyz_m[1]), float(m.sigma_m))
                elif self.mode == "HANDOFF":
                    self._inbox.append(m)   # nothing else is expected outside a hand-off: drop strays
        if self.gripper is not None:
            g = self._io(self.gripper.read)
            if g is not None:
                self._g = g
        if self.slot_sensors and self.mode in ("STOW_TUBE", "HANDOFF"):
            self._slots = [self._io(s.read) for s in self.slot_sensors]
        self._poll_navcam()
        if self._restored:
            self._resume()
        self.cycles += 1
        handler = getattr(self, "_mode_" + self.mode, None)
        if handler is not None:
            handler()
        if self.seq != "idle" and self.cycles > self.params["step_timeout_cycles"]:
            self.emit("STEP_TIMEOUT", step=self.seq)
            self._on_timeout()
        self.tlm["step"] = self.seq
        self.tlm["tubes_stowed"] = len(self.aboard)

    def _mode_STOWED(self) -> None:
        if self.lander_landed_flag:
            self.trigger("egress")

    def _mode_EGRESS(self) -> None:
        if self.egress_start is None:
            self.egress_start = (self.dr.x, self.dr.y)
            h = self.dr.heading
            d = self.params["egress_distance_m"]
            self._plan_bound = None                   # straight off the ramp onto the landing site
            self._egress_goal = (self.dr.x + d * math.cos(h), self.dr.y + d * math.sin(h))
            self._follow([self.egress_start, self._egress_goal], "egress")
        if self.pursuit is not None and self.pursuit.done(self.dr.x, self.dr.y):
            self._stop()
            self.egressed = True
            self.pursuit = None
            self.trigger("egress_done")
        else:
            self._pursue()

    def _mode_HAZARD_STOP(self) -> None:
        """Stopped: replan from here at once (a hazard), or hold while the navcam is not answering
        (fault protection stops a blind rover here) and replan once it has answered for
        `hold_clear_s`; blind for `hold_timeout_s`, the rover safes and the ground looks."""
        self._stop()
        if self._blind() or self._hold:
            if not self._hold:
                self._hold, self._held = "navcam", 0
                self._goto("idle")
                self.tlm["holds"] += 1
                self.emit("HOLD", reason=self._hold)
            self._held += 1
            held_s = round(self._held * self.dt, 1)
            if self._blind():
                if held_s >= self.params["hold_timeout_s"]:
                    self.emit("HOLD_TIMEOUT", reason=self._hold, held_s=held_s)
                    self._hold = ""
                    self.trigger("fault")
                return
            self.emit("HOLD_CLEARED", reason=self._hold, held_s=held_s)
            self._hold = ""                           # a hold is not a hazard stop: not counted
        else:
            self._stops_in_a_row += 1
            if self._stops_in_a_row > self.params["max_hazard_stops"]:
                self.trigger("fault")             # no way round: wait for the ground
                return
        self._was_free = False                    # the new plan starts from here
        if not self.trigger("clear"):
            self.egress_start = None
            self.trigger("clear_egress")

    def _mode_SAFE(self) -> None:
        self._stop()

    def _mode_IDLE(self) -> None:
        self._stop()
        if self.done:
            return
        p = self.params
        if self.tasks and self.slot_free():
            self.task = self.tasks[0]
            self.attempts = 0
            path = self._tube_path()
            if path is None:
                if self.bound.bound_m > p["look_uncertainty_m"] and self._relocalise_trips == 0 and self._go_home():
                    self._relocalise_trips += 1   # try again from a fresh fix at the lander
                    self.emit("TOO_UNSURE", purpose=f"tube {self.task.tube}", bound_m=round(self.bound.bound_m, 2))
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
        """A safe path to the task tube's standoff point ending in a straight run-in at the tube,
        so the rover stops facing it with the tube in the navcam's view. The run-in comes from
        the rover's side first, else from other directions (30 deg steps); it must be free on the
        nominal map, the path to its start free with the growing bound (`_safe_path`)."""
        t, p = self.task, self.params
        dx, dy = t.x_m - self.dr.x, t.y_m - self.dr.y
        base = math.atan2(dy, dx) if math.hypot(dx, dy) > 1e-6 else self.dr.heading
        back = p["standoff_m"] + p["tube_run_in_m"]
        for k in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6):
            a = base + k * math.pi / 6.0
            ux, uy = math.cos(a), math.sin(a)
            pre = (t.x_m - back * ux, t.y_m - back * uy)
            stand = (t.x_m - p["standoff_m"] * ux, t.y_m - p["standoff_m"] * uy)
            if self.cost_map is not None and not (self.cost_map.free_at(*pre) and line_free(
                    self.cost_map, self.cost_map.cell_of(*pre), self.cost_map.cell_of(*stand))):
                continue
            path = self._safe_path(pre, f"tube {t.tube}", 0, p["max_pos_bound_m"], report=False)
            if path is not None:
                return list(path) + [stand]
        self.emit("NO_PATH", purpose=f"tube {t.tube} (bound {self.bound.bound_m:.2f} m)")
        return None

    def _go_home(self) -> bool:
        return self._plan_return() and self.trigger("go_home" if self.aboard else "relocalise")

    def _on_run_in(self) -> bool:
        """On the straight final approach to the hand-off point (it ends next to the lander)."""
        hx, hy, _ = self.handoff_pose
        return self.mode == "RETURN" and math.hypot(self.dr.x - hx, self.dr.y - hy) <= self.params["handoff_run_in_m"] + 0.5

    def _plan_return(self) -> bool:
        """Path to the hand-off point ending in a straight run-in, so the rover parks facing the lander."""
        hx, hy, hh = self.handoff_pose
        run_in = self.params["handoff_run_in_m"]
        pre = (hx - run_in * math.cos(hh), hy - run_in * math.sin(hh))
        path = self._safe_path(pre, "return to lander")
        if path is None:
            self.pursuit = None
            return False
        return self._follow(list(path) + [(hx, hy)], "return to lander")

    def _skip_task(self) -> None:
        self._relocalise_trips = 0
        task = self.tasks.pop(0)
        self.tlm["tubes_skipped"] += 1
        self.emit("TUBE_SKIPPED", tube=task.tube, attempts=self.attempts)
        self.task = None

    def _mode_TRAVERSE(self) -> None:
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

    def _mode_RETURN(self) -> None:
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
            self._stops_in_a_row = 0
            self._goto("idle")
        else:
            self._pursue()

    # ------------------------------------------------------------ re-localisation
    def _landmark_in_view(self) -> bool:
        """A known tube may be in the navcam's view (range ~6 m, plus the position bound)."""
        reach = self.params["landmark_max_range_m"] + self.bound.bound_m
        h = self.dr.heading
        for x, y in self.landmarks.values():
            dx, dy = x - self.dr.x, y - self.dr.y
            if math.hypot(dx, dy) < reach and dx * math.cos(h) + dy * math.sin(h) > 0.0:
                return True
        return False

    def _stop_and_look(self) -> bool:
        """True while stopped to look for a landmark (the pursuit resumes afterwards)."""
        p = self.params
        if not self._looking:
            if (not p["relocalise_on_tubes"] or self.bound.bound_m <= p["look_uncertainty_m"]
                    or self.dr.distance_m - self._last_look_m < p["look_every_m"] or not self._landmark_in_view()):
                return False
            self._looking = True
        self._stop()
        if abs(self._wheel_speed) > 1e-3:
            return True                      # no image while still rolling
        self._looking = False
        self._last_look_m = self.dr.distance_m
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
        gate = self.bound.bound_m + 0.5
        tid = associate_landmark((wx, wy), self.landmarks, gate)
        if tid is None:
            return None
        if self.params["relocalise_on_tubes"]:
            lx, ly = self.landmarks[tid]
            self.tlm["landmark_fixes"] += 1
            bound = self.params["landmark_fix_bound_m"] + self.params["landmark_fix_bound_per_m"] * rng
            self.relocalise(self.dr.x + lx - wx, self.dr.y + ly - wy, bound, f"tube {tid}")
        return tid

    # ------------------------------------------------------------ pickup
    def _in_reach(self, bx: float, by: float, bz: float) -> bool:
        p = self.params
        dx = bx - p["arm_base_x_m"]
        dz = bz - p["arm_base_z_m"]
        return 0.25 <= dx and math.sqrt(dx * dx + by * by + dz * dz) <= 0.95 * p["arm_reach_m"]

    def _level_axes(self):
        """Forward-level, left-level and up unit vectors in body coordinates (from the IMU's gravity)."""
        a = self._accel
        n = math.sqrt(sum(c * c for c in a)) if a is not None else 0.0
        up = (0.0, 0.0, 1.0) if n < 1e-6 else tuple(c / n for c in a)
        f = (1.0 - up[0] * up[0], -up[0] * up[1], -up[0] * up[2])
        fn = math.sqrt(sum(c * c for c in f))
        f = tuple(c / fn for c in f)
        left = (up[1] * f[2] - up[2] * f[1], up[2] * f[0] - up[0] * f[2], up[0] * f[1] - up[1] * f[0])
        return f, left, up

    def _localise(self) -> tuple[float, float, float] | None:
        """Tube position in the body frame: the camera's line of sight met with the terrain.

        The line of sight is levelled with the IMU's gravity vector and intersected with the
        onboard height map around the dead-reckoned position (a few fixed-point iterations),
        so terrain relief and rover tilt do not bias the grasp point.
        """
        if self.camera is None:
            return None
        r = self._navcam()
        if r is None or not r.detected:
            return None
        p = self.params
        f, left, up = self._level_axes()
        los = r.los_unit
        cam = (p["cam_x_m"], p["cam_y_m"], p["cam_z_m"])
        dot = lambda u, v: u[0] * v[0] + u[1] * v[1] + u[2] * v[2]  # noqa: E731
        lf, ll, lu = dot(los, f), dot(los, left), dot(los, up)
        cf, cl, cu = dot(cam, f), dot(cam, left), dot(cam, up)
        if lu >= -1e-3:
            return None
        h = self.dr.heading
        ground = self.height_at(self.dr.x, self.dr.y)
        dz = p["tube_z_m"]                           # tube height above the rover's ground point
        for _ in range(4):
            t = (dz - cu) / lu
            tf, tl = cf + t * lf, cl + t * ll
            wx = self.dr.x + tf * math.cos(h) - tl * math.sin(h)
            wy = self.dr.y + tf * math.sin(h) + tl * math.cos(h)
            dz = self.height_at(wx, wy) - ground + p["tube_z_m"]
        t = (dz - cu) / lu
        tf, tl, tu = cf + t * lf, cl + t * ll, dz
        return tuple(tf * f[k] + tl * left[k] + tu * up[k] for k in range(3))

    def _world_of_body(self, b) -> tuple[float, float, float]:
        """A body-frame point in the local frame (levelled by the IMU, placed by dead reckoning)."""
        f, left, up = self._level_axes()
        bf = sum(b[k] * f[k] for k in range(3))
        bl = sum(b[k] * left[k] for k in range(3))
        bu = sum(b[k] * up[k] for k in range(3))
        h = self.dr.heading
        return (self.dr.x + bf * math.cos(h) - bl * math.sin(h), self.dr.y + bf * math.sin(h) + bl * math.cos(h),
                self.height_at(self.dr.x, self.dr.y) + bu)

    def height_at(self, x: float, y: float) -> float:
        return self.terrain.height_at(x, y) if self.terrain is not None else 0.0

    def _mode_APPROACH_TUBE(self) -> None:
        if self.seq == "look":
            self._stop()
            if abs(self._wheel_speed) > 1e-3:
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
                h = self.dr.heading
                wx = self.dr.x + bx * math.cos(h) - by * math.sin(h)
                wy = self.dr.y + bx * math.sin(h) + by * math.cos(h)
                back = self.params["standoff_m"]
                dist = math.hypot(wx - self.dr.x, wy - self.dr.y)
                if dist > back + 0.05:
                    f = (dist - back) / dist
                    self._plan_bound = None           # a few metres straight to a tube laid on clear ground
                    self._follow([(self.dr.x, self.dr.y), (self.dr.x + (wx - self.dr.x) * f,
                                                           self.dr.y + (wy - self.dr.y) * f)], "creep")
                    self._goto("creep")
                else:
                    self._give_up_or_retry("too close to reach")
        elif self.seq == "creep":
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
            self._io(self.gripper.open_jaws)
        self._arm_to(self._arm_frame(*self.tube_body, dz=0.10))
        self._goto("above")

    def _mode_ACQUIRE(self) -> None:
        above = self._arm_frame(*self.tube_body, dz=0.10)
        at = self._arm_frame(*self.tube_body)
        if self.seq == "above" and self._arm_at(above):
            self._arm_to(at)
            self._goto("descend")
        elif self.seq == "descend" and self._arm_at(at):
            if self.gripper is not None:
                self._io(self.gripper.close_jaws)
            self._goto("grasp")
        elif self.seq == "grasp" and self.cycles > 3:
            if self.trigger("grasped"):
                p = self.params
                self._arm_to((p["stow_x_m"], 0.0, p["stow_z_m"]))
                self._goto("stow")
            else:
                reason = f"gripper holds {int(self._g.tube_id)}" if self._holding() else "nothing grasped"
                self.emit("GRASP_FAILED", tube=self.task.tube, reason=reason, attempt=self.attempts)
                if self.gripper is not None:
                    self._io(self.gripper.open_jaws)
                self._arm_to(above)
                self._goto("backoff")
        elif self.seq == "backoff" and self._arm_at(above):
            if self.trigger("retry"):
                self.tube_body = None
                self._goto("look")
            elif self.trigger("give_up"):
                self._skip_task()
                self._goto("idle")

    def _mode_STOW_TUBE(self) -> None:
        p = self.params
        stow = (p["stow_x_m"], 0.0, p["stow_z_m"])
        if self.seq == "stow" and self._arm_at(stow):
            if self.gripper is not None:
                self._io(self.gripper.open_jaws)
            self._goto("confirm_stow")
        elif self.seq == "confirm_stow" and self.cycles > 3:
            tube = self.task.tube
            if self.stow_confirmed() and self.ledger.move(tube, "depot", "rover") and self.trigger("stowed"):
                self.aboard.append(tube)
                self.tasks.pop(0)
                self.landmarks.pop(tube, None)      # no longer on the ground to be seen
                self._relocalise_trips = 0
                self.task = None
                self.tlm["tubes_stowed"] = len(self.aboard)
                self.emit("TUBE_STOWED", tube=tube, count=len(self.aboard))
                self._stops_in_a_row = 0
                self._goto("idle")

    # ------------------------------------------------------------ hand-off
    def _mode_HANDOFF(self) -> None:
        msgs = self._inbox
        p = self.params
        stow = (p["stow_x_m"], 0.0, p["stow_z_m"])
        present = (p["present_x_m"], 0.0, p["present_z_m"])
        if self.seq == "idle":
            if not self.aboard:
                if self.handoff is not None and not self.tasks:
                    self.handoff.send("DONE")       # a trip back only for a fix is not the end
                self.trigger("handoff_done")
                self.done = not self.tasks
                return
            if self.gripper is not None:
                self._io(self.gripper.open_jaws)
            self._arm_to(stow)
            self._goto("to_slot")
        elif self.seq == "to_slot" and self._arm_at(stow):
            if self.gripper is not None:
                self._io(self.gripper.close_jaws)
            self._goto("take_from_slot")
        elif self.seq == "take_from_slot" and self.cycles > 3:
            if self._holding() and int(self._g.tube_id) in self.aboard:
                self._arm_to(present)
                self._goto("present")
        elif self.seq == "present" and self._arm_at(present):
            self.handoff.send("OFFER", int(self._g.tube_id), self._world_of_body(
                (p["arm_base_x_m"] + present[0], present[1], p["arm_base_z_m"] + present[2])))
            self._goto("wait_taken")
        elif self.seq == "wait_taken":
            for m in msgs:
                if m.kind == "TAKEN":
                    if self.gripper is not None:
                        self._io(self.gripper.open_jaws)
                    self._goto("release")
                    self._pending = m.tube
                elif m.kind == "REFUSED":
                    self.handoff_refusals += 1
                    self.emit("HANDOFF_RESULT", tube=m.tube, result="refused")
                    self._arm_to(stow)
                    self._goto("return_to_slot")
        elif self.seq == "release" and self.cycles > 3 and not self._holding():
            tube = self._pending
            if tube in self.aboard and self.ledger.move(tube, "rover", "sta"):
                self.aboard.remove(tube)
                self.tlm["tubes_handed_over"] += 1
                self.emit("HANDOFF_RESULT", tube=tube, result="taken")
            self._goto("idle")
        elif self.seq == "return_to_slot" and self._arm_at(stow):
            if self.gripper is not None:
                self._io(self.gripper.open_jaws)
            self._goto("idle")
            if self.handoff_refusals >= self.params["max_pickup_attempts"]:
                self.done = True
                self.trigger("fault")      # the ground has to look at this hand-off

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
    TLM_KEPT = ("tubes_handed_over", "tubes_skipped", "hazard_stops", "landmark_fixes", "lander_fixes", "looks",
                "holds", "device_faults", "navcam_faults")

    def checkpoint_state(self) -> dict[str, Any]:
        """Custody, what is aboard, the navigation state (pose, odometer latch, headings, error
        bound), the tube list and the pickup/hand-off bookkeeping, the counters fault protection watches."""
        b = self.bound
        return super().checkpoint_state() | {
            "custody": self.ledger.snapshot(), "aboard": list(self.aboard),
            "pose": (self.dr.x, self.dr.y, self.dr.heading),
            "nav": {"distance_m": self.dr.distance_m, "odo_latch_m": self.dr._odo, "imu_heading": self.imu_heading,
                    "wheel_heading": self._wheel_heading, "heading_offset": self._heading_offset,
                    "bound_m": b.bound_m, "growth_per_m": b.growth_per_m, "since_fix_m": b.since_fix_m,
                    "last_look_m": self._last_look_m},
            "tasks": [(t.tube, t.x_m, t.y_m) for t in self.tasks],
            "landmarks": [(k, x, y) for k, (x, y) in sorted(self.landmarks.items())],
            "flags": {"lander_landed": self.lander_landed_flag, "egressed": self.egressed, "done": self.done},
            "egress": (self.egress_start, self._egress_goal),
            "work": {"attempts": self.attempts, "relocalise_trips": self._relocalise_trips,
                     "handoff_refusals": self.handoff_refusals, "stops_in_a_row": self._stops_in_a_row,
                     "hold": self._hold, "held": self._held},
            "tlm": {k: self.tlm[k] for k in self.TLM_KEPT},
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put the checkpoint back; the next step reconciles custody against the slot sensors and
        the gripper and resumes the interrupted activity (`_resume`)."""
        super().restore_state(state)
        self.ledger.restore((int(t), str(loc)) for t, loc in state.get("custody", ()))
        self.aboard = [int(t) for t in state.get("aboard", ()) if self.ledger.location(int(t)) == "rover"]
        if state.get("pose") is not None:
            self.dr.x, self.dr.y, self.dr.heading = (float(c) for c in state["pose"])
        nav = state.get("nav", {})
        if nav:
            self.dr.distance_m = float(nav["distance_m"])
            self.dr._odo = None if nav["odo_latch_m"] is None else float(nav["odo_latch_m"])
            self.imu_heading = float(nav["imu_heading"])
            self._wheel_heading = float(nav["wheel_heading"])
            self._heading_offset = float(nav["heading_offset"])
            self.bound.bound_m, self.bound.growth_per_m = float(nav["bound_m"]), float(nav["growth_per_m"])
            self.bound.since_fix_m = float(nav["since_fix_m"])
            self._last_look_m = float(nav["last_look_m"])
            self._last_odo = self.dr._odo
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
        self.handoff_refusals = int(work.get("handoff_refusals", 0))
        self._stops_in_a_row = int(work.get("stops_in_a_row", 0))
        self._hold, self._held = str(work.get("hold", "")), int(work.get("held", 0))
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
        slots = [self._io(s.read) for s in self.slot_sensors]
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
            self._plan_bound = None
            self._follow([(self.dr.x, self.dr.y), self._egress_goal], "egress (resumed)")
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
        elif mode == "HANDOFF":
            if held and held in self.aboard:
                self._arm_to((p["present_x_m"], 0.0, p["present_z_m"]))
                self._goto("present")
            else:
                self._goto("idle")

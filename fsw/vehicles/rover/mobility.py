"""Rover mobility: pure pursuit of the manager's path, the hazard stop, navcam health, holds, the wheels.

The manager plans (it must know at once whether a safe path exists, to pick its next mode)
and says each step what it wants of the wheels on `rover.drive` (DriveOrder: stop, pursue,
or leave them; a new path when it planned one). This component runs right after the manager
in the control group and carries the order out in the same tick: it follows the path with
pure pursuit, stops for a tilt navigation saw or for entering a mapped hazard (HAZARD_STOP),
stops when the position bound outgrew what the path was planned for (REPLAN), and commands
the wheels (`rover.drive_speed` to navigation's stall watch on every change). A stop it
decides is told to the manager on `rover.drive_note`; the manager's handler changes its mode
on delivery, in the same tick, as when the manager stopped itself. It polls the navcam while
driving or held and decides the manager's HAZARD_STOP steps: hold while the navcam is blind,
"clear" (replan) once it answers, "fault" when blind too long or stopped too often in a row.
Requirements: DESIGN.md (ROV-MOB-*).
"""
from __future__ import annotations

from typing import Any, Mapping

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.devices import DEVICE_FAULT, DeviceFailure, device_name, failed
from fsw.core.events import EventDef, Severity
from fsw.gnc.path_planner import CostMap
from fsw.gnc.pure_pursuit import PurePursuit

from .modes import DRIVING
from .topics import DRIVE_NOTE, DRIVE_ORDER, DRIVE_SPEED, NAV_STATE, DriveNote, DriveOrder, NavState

NAVCAM_MODES = DRIVING + ("HAZARD_STOP",)   # the navcam is read (and watched) while driving or held
KEPT = ("hazard_stops", "device_faults", "holds", "navcam_faults")


def counted_as_navcam(component: Component, failure: DeviceFailure) -> bool:
    """A blind navcam holds the rover (navcam_faults), it does not safe it (device_faults):
    the rule for both of its readers, mobility's polls and the manager's looks."""
    camera = getattr(component, "camera", None)
    if camera is None or failure.device != device_name(camera.read):
        return False
    component.tlm["navcam_faults"] += 1
    component.emit("DEVICE_FAULT", device=failure.device, error=failure.error)
    return True


class RoverMobility(Component):
    PUBLISHES = (DRIVE_SPEED, DRIVE_NOTE)
    SUBSCRIBES = (NAV_STATE, DRIVE_ORDER)
    CHANNELS = (
        Channel("speed_cmd_mps", float, "m/s"), Channel("curvature_cmd_1pm", float, "1/m"),
        Channel("hazard_stops", int, ""), Channel("device_faults", int, ""),
        Channel("navcam_stale_s", float, "s"), Channel("navcam_faults", int, ""), Channel("holds", int, ""),
    )
    EVENTS = (
        EventDef("HAZARD_STOP", Severity.WARNING_HI, "{reason} at ({x_m}, {y_m})", reason=str, x_m=float, y_m=float),
        EventDef("REPLAN", Severity.ACTIVITY_LO, "{purpose}: position bound {bound_m} m outgrew the plan's {inflation_m} m",
                 purpose=str, bound_m=float, inflation_m=float),
        EventDef("HOLD", Severity.WARNING_HI, "{reason}: stopped until it clears", reason=str),
        EventDef("HOLD_CLEARED", Severity.ACTIVITY_HI, "{reason} clear after {held_s} s: replanning", reason=str, held_s=float),
        EventDef("HOLD_TIMEOUT", Severity.WARNING_HI, "{reason} not clear after {held_s} s", reason=str, held_s=float),
        DEVICE_FAULT,
    )
    PARAMS = (
        Param("max_hazard_stops", int, 1, 100, default=5, doc="hazard stops in a row before SAFE"),
        Param("navcam_poll_cycles", int, 1, 100, default=5,
              doc="while driving the navcam is read this often (hazard and look frames): a dead camera shows"),
        Param("hold_clear_s", float, 0.1, 60.0, default=2.0, doc="a held device must answer this long to resume"),
        Param("hold_timeout_s", float, 1.0, 3600.0, default=120.0, doc="a hold not clear by then safes the rover"),
    )

    def __init__(self, name: str = "rover_mobility", *, wheels=None, camera=None, cost_map: CostMap | None = None,
                 control_rate_hz: int = 10) -> None:
        super().__init__(name)
        self.wheels, self.camera, self.cost_map = wheels, camera, cost_map
        self.dt = 1.0 / control_rate_hz
        self.pursuit: PurePursuit | None = None
        self.speed = 0.0
        self.hazard_reason = ""            # a tilt navigation saw: stops the next drive
        self._was_free = True
        self._navcam_poll = 0
        self._navcam_stale = 0                # cycles since the last good navcam frame (while polling)
        self._navcam_good = 1 << 30           # cycles since the navcam last failed to answer
        self._hold = ""                       # what a hold waits for ("" = none)
        self._held = 0                        # cycles held
        self._stops_in_a_row = 0

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        nav: NavState | None = self.received(NAV_STATE)
        order: DriveOrder | None = self.received(DRIVE_ORDER)
        if nav is not None and nav.tilt_hazard:
            self.hazard_reason = nav.tilt_hazard
        if order is None or nav is None:
            return
        if order.path is not None:
            self.pursuit = PurePursuit(list(order.path))
        self._poll_navcam(order.poll_mode)
        if order.progress:
            self._stops_in_a_row = 0
        if order.action == "stop":
            self._drive(0.0, 0.0)
        elif order.action == "pursue":
            self._pursue(order, nav)
        if order.stopped:
            self._stopped()
        if order.navcam_failed:            # the manager's looks read the same camera
            self._navcam_good = 0
        if order.navcam_answered:
            self._navcam_stale = 0

    # ------------------------------------------------------------ navcam health, holds
    def report_device_fault(self, failure: DeviceFailure) -> None:
        if not counted_as_navcam(self, failure):
            super().report_device_fault(failure)

    def _poll_navcam(self, mode: str) -> None:
        """While driving (or held) the navcam takes a frame every `navcam_poll_cycles`: the
        hazard and look frames a rover drives on. `navcam_stale_s` is the age of the last good one."""
        self._navcam_good += 1
        if self.camera is None or mode not in NAVCAM_MODES:
            self._navcam_stale = self._navcam_poll = 0
        else:
            self._navcam_stale += 1
            self._navcam_poll += 1
            if self._navcam_poll >= self.params["navcam_poll_cycles"]:
                self._navcam_poll = 0
                if failed(self.device_call(self.camera.read)):
                    self._navcam_good = 0
                else:
                    self._navcam_stale = 0
        self.tlm["navcam_stale_s"] = self._navcam_stale * self.dt

    def _blind(self) -> bool:
        """The navcam failed to answer within the last `hold_clear_s`: no drive may start."""
        return self.camera is not None and self._navcam_good * self.dt < self.params["hold_clear_s"]

    def _stopped(self) -> None:
        """A HAZARD_STOP step: clear at once (a hazard: replan from here), or hold while the navcam
        is not answering (fault protection stops a blind rover) and clear once it has answered
        for `hold_clear_s`; blind for `hold_timeout_s`, or stopped more than `max_hazard_stops`
        times in a row, the ground has to look ("fault")."""
        if self._blind() or self._hold:
            if not self._hold:
                self._hold, self._held = "navcam", 0
                self.tlm["holds"] += 1
                self.publish(DRIVE_NOTE, DriveNote("hold"))
                self.emit("HOLD", reason=self._hold)
            self._held += 1
            held_s = round(self._held * self.dt, 1)
            if self._blind():
                if held_s >= self.params["hold_timeout_s"]:
                    self.emit("HOLD_TIMEOUT", reason=self._hold, held_s=held_s)
                    self._hold = ""
                    self.publish(DRIVE_NOTE, DriveNote("fault"))
                return
            self.emit("HOLD_CLEARED", reason=self._hold, held_s=held_s)
            self._hold = ""                           # a hold is not a hazard stop: not counted
        else:
            self._stops_in_a_row += 1
            if self._stops_in_a_row > self.params["max_hazard_stops"]:
                self.publish(DRIVE_NOTE, DriveNote("fault"))   # no way round: wait for the ground
                return
        self._was_free = False                    # the new plan starts from here
        self.publish(DRIVE_NOTE, DriveNote("clear"))

    def _drive(self, speed: float, curvature: float) -> None:
        if speed != self.speed:
            self.publish(DRIVE_SPEED, float(speed))     # navigation's stall watch compares it with the odometer
        self.speed = speed
        self.tlm["speed_cmd_mps"], self.tlm["curvature_cmd_1pm"] = speed, curvature
        if self.wheels is not None:
            self.device_call(self.wheels.drive, speed, curvature)

    def _outgrew_plan(self, order: DriveOrder, nav: NavState) -> bool:
        """The bound is larger than the path was planned for at this point of it."""
        if order.plan_bound_m is None or self.pursuit is None:
            return False
        allowed = order.plan_bound_m + nav.growth_per_m * self.pursuit.progress(nav.x_m, nav.y_m)
        return nav.bound_m > allowed + 1e-9

    def _pursue(self, order: DriveOrder, nav: NavState) -> None:
        p = self.pursuit
        if p is None:
            self._drive(0.0, 0.0)
            return
        if order.mode in ("TRAVERSE", "RETURN") and self._outgrew_plan(order, nav):
            self._drive(0.0, 0.0)
            self.emit("REPLAN", purpose=order.mode, bound_m=round(nav.bound_m, 2),
                      inflation_m=round(order.plan_bound_m, 2))
            self.pursuit = None
            self.publish(DRIVE_NOTE, DriveNote("replan"))
            return
        # The run-in to the hand-off point goes close to the lander on purpose (its keep-out is planning margin).
        free = self.cost_map is None or order.on_run_in or self.cost_map.free_at(nav.x_m, nav.y_m)
        if self._was_free and not free and order.egressed:
            self.hazard_reason = "entering a mapped hazard"   # leaving one (after a slip) is allowed
        self._was_free = free
        if self.hazard_reason:
            self._drive(0.0, 0.0)
            self.tlm["hazard_stops"] += 1
            self.emit("HAZARD_STOP", reason=self.hazard_reason, x_m=round(nav.x_m, 2), y_m=round(nav.y_m, 2))
            self.hazard_reason = ""
            self.pursuit = None
            self.publish(DRIVE_NOTE, DriveNote("hazard"))
            return
        v = order.speed_mps
        d = p.distance_to_goal(nav.x_m, nav.y_m)
        v = min(v, max(0.02, 0.5 * d))
        self._drive(v, p.curvature(nav.x_m, nav.y_m, nav.heading_rad, v))

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        """The hold, the stops in a row and the counters (the manager replans a drive from the
        restored pose)."""
        return super().checkpoint_state() | {
            "work": {"stops_in_a_row": self._stops_in_a_row, "hold": self._hold, "held": self._held},
            "tlm": {k: self.tlm[k] for k in KEPT}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        work = state.get("work", {})
        self._stops_in_a_row = int(work.get("stops_in_a_row", 0))
        self._hold, self._held = str(work.get("hold", "")), int(work.get("held", 0))
        for k, v in state.get("tlm", {}).items():
            if k in KEPT and isinstance(v, int):
                self.tlm[k] = v

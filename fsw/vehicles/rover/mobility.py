"""Rover mobility: pure pursuit of the manager's path, the hazard stop, the wheels.

The manager plans (it must know at once whether a safe path exists, to pick its next mode)
and says each step what it wants of the wheels on `rover.drive` (DriveOrder: stop, pursue,
or leave them; a new path when it planned one). This component runs right after the manager
in the control group and carries the order out in the same tick: it follows the path with
pure pursuit, stops for a tilt navigation saw or for entering a mapped hazard (HAZARD_STOP),
stops when the position bound outgrew what the path was planned for (REPLAN), and commands
the wheels (`rover.drive_speed` to navigation's stall watch on every change). A stop it
decides is told to the manager on `rover.drive_note`; the manager's handler changes its mode
on delivery, in the same tick, as when the manager stopped itself.
Requirements: DESIGN.md (ROV-MOB-*).
"""
from __future__ import annotations

from typing import Any, Mapping

from fsw.core.component import Component
from fsw.core.declarations import Channel
from fsw.core.devices import DEVICE_FAULT
from fsw.core.events import EventDef, Severity
from fsw.gnc.path_planner import CostMap
from fsw.gnc.pure_pursuit import PurePursuit

from .topics import DRIVE_NOTE, DRIVE_ORDER, DRIVE_SPEED, NAV_STATE, DriveNote, DriveOrder, NavState


class RoverMobility(Component):
    PUBLISHES = (DRIVE_SPEED, DRIVE_NOTE)
    SUBSCRIBES = (NAV_STATE, DRIVE_ORDER)
    CHANNELS = (
        Channel("speed_cmd_mps", float, "m/s"), Channel("curvature_cmd_1pm", float, "1/m"),
        Channel("hazard_stops", int, ""), Channel("device_faults", int, ""),
    )
    EVENTS = (
        EventDef("HAZARD_STOP", Severity.WARNING_HI, "{reason} at ({x_m}, {y_m})", reason=str, x_m=float, y_m=float),
        EventDef("REPLAN", Severity.ACTIVITY_LO, "{purpose}: position bound {bound_m} m outgrew the plan's {inflation_m} m",
                 purpose=str, bound_m=float, inflation_m=float),
        DEVICE_FAULT,
    )

    def __init__(self, name: str = "rover_mobility", *, wheels=None, cost_map: CostMap | None = None) -> None:
        super().__init__(name)
        self.wheels, self.cost_map = wheels, cost_map
        self.pursuit: PurePursuit | None = None
        self.speed = 0.0
        self.hazard_reason = ""            # a tilt navigation saw: stops the next drive
        self._was_free = True

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
        if order.fresh_start:
            self._was_free = False         # after a hazard stop the new plan starts from here
        if order.action == "stop":
            self._drive(0.0, 0.0)
        elif order.action == "pursue":
            self._pursue(order, nav)

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
        """The hazard-stop count (the manager replans a drive from the restored pose)."""
        return super().checkpoint_state() | {"tlm": {k: self.tlm[k] for k in ("hazard_stops", "device_faults")}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        for k, v in state.get("tlm", {}).items():
            if k in ("hazard_stops", "device_faults") and isinstance(v, int):
                self.tlm[k] = v

"""Rover pickup: the navcam's looks and a depot tube from the ground into a stowage slot.

Look (stop, find the tube with the navcam, fix the position on a known tube), creep closer
(or on to the right tube), grasp with the arm (above, descend, close, confirm by the
gripper's id reader; a miss backs off and looks again), stow and confirm by the slot's tube
sensor. Its sub-steps are the declared table `ROVER_STEPS` (modes.py), with a timeout; the
work of each sub-step is one method (`STEP_WORK`, built with the class). While the manager
drives (EGRESS, TRAVERSE, RETURN, the creep) and its bound is large, it also stops to look
for a known tube and fixes the position on it (`looks`): every navcam frame the rover's
software takes outside mobility's polls is taken here.

It runs right after the manager in the control group, on the order the manager published at
the end of its step (`rover.pickup_order`: mode, task, landmarks, gripper and slot readings,
the drive). The manager owns the mode table, custody and the planner: a mode move is a
`rover.pickup_note`, with the facts its guards test; what the pickup wants of the wheels, a
path it asks for and the fix a look made go in one `rover.pickup_wish` at the end of every
step. All of it reaches the manager on delivery, in the same tick, before mobility runs, so
the wheels get the same command on the same tick as when the manager did the pickup itself.
A path the manager cannot give comes back on `rover.pickup_reply`, also in the same tick.
Requirements: DESIGN.md (ROV-PICK-*, ROV-STEP-*).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from fsw.core.component import Component
from fsw.core.devices import DeviceFailure, failed
from fsw.core.ports import Sub
from fsw.core.substeps import SubSteps

from .arm import ArmUser
from .looks import look_due, sighting, tube_from_frame
from .mobility import counted_as_navcam
from .modes import PICKUP_STEPS, ROVER_MODES, ROVER_STEPS
from .pickup_decl import PICKUP_CHANNELS, PICKUP_EVENTS, PICKUP_PARAMS
from .pickup_geometry import in_reach
from .topics import (NAV_STATE, PICKUP_NOTE, PICKUP_ORDER, PICKUP_REPLY, PICKUP_WISH, ROVER_FIX, NavState,
                     PickupNote, PickupOrder, PickupWish, PositionFix)

KEPT = ("looks", "navcam_faults", "device_faults")


class RoverPickup(ArmUser, Component):
    PUBLISHES = (PICKUP_NOTE, PICKUP_WISH, ROVER_FIX)
    SUBSCRIBES = (PICKUP_ORDER, NAV_STATE, Sub(PICKUP_REPLY, "_on_refused"))
    CHANNELS, EVENTS, PARAMS = PICKUP_CHANNELS, PICKUP_EVENTS, PICKUP_PARAMS

    def __init__(self, name: str = "rover_pickup", *, camera=None, arm=None, gripper=None, terrain=None) -> None:
        super().__init__(name)
        self.camera, self.arm, self.gripper, self.terrain = camera, arm, gripper, terrain
        self.steps = SubSteps(ROVER_STEPS, self)
        self.attempts = 0
        self.tube_body: tuple[float, float, float] | None = None
        self.order = PickupOrder("")
        self.nav: NavState | None = None
        self._mode = ""                     # the manager's mode, with the moves asked for this step
        self._looking = False
        self._last_look_m = -1e9
        self._restored = False
        self._clear_wish()

    # ------------------------------------------------------------ guards (what the notes claim)
    def tube_localised(self) -> bool:
        return self.tube_body is not None and self._in_reach(*self.tube_body)

    def grasp_confirmed(self) -> bool:
        o = self.order
        return o.holding and o.tube != 0 and o.gripper_tube == o.tube

    def retries_left(self) -> bool:
        return self.attempts < self.params["max_pickup_attempts"]

    def stow_confirmed(self) -> bool:
        o = self.order
        return o.tube != 0 and not o.holding and o.tube in o.slot_tubes

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        order: PickupOrder | None = self.received(PICKUP_ORDER)
        nav: NavState | None = self.received(NAV_STATE)
        if order is None or nav is None:
            return
        self.order, self.nav, self._mode = order, nav, order.mode
        self._clear_wish()
        active = order.mode in PICKUP_STEPS
        if not active and not self.steps.idle:
            self.steps.reset()              # the manager left the pickup (hazard, fault): the next starts afresh
        if self._restored:
            self._restored = False
            if active:
                self._resume()
        self.steps.tick()
        if order.new_approach:
            self.attempts = 0
            self.tube_body = None
            self._go("look")                # at the tube's standoff point: look on the next step
        elif self._mode in PICKUP_STEPS and self.steps.state in PICKUP_STEPS[self._mode]:
            STEP_WORK[self.steps.state](self)
        if order.pursuing and self._stop_and_look():
            self._action = "stop"
        if not self.steps.idle and self.steps.cycles > self.params["step_timeout_cycles"]:
            self.emit("STEP_TIMEOUT", step=self.steps.state)
            self.steps.reset()
            self._action = "stop"
            if self._mode in ("APPROACH_TUBE", "ACQUIRE"):
                self.attempts = self.params["max_pickup_attempts"]   # a timeout ends the pickup
                self._note("give_up")
            else:
                self._note("fault")
        self.tlm["step"] = self.steps.state
        self.publish(PICKUP_WISH, PickupWish(self._action, self._creep, self._seen, self._fix, *self._cam))

    def _clear_wish(self) -> None:
        self._action, self._creep, self._seen = "", "", (0.0, 0.0)
        self._fix: PositionFix | None = None
        self._cam = (False, False)          # a look's frame failed, a frame came (mobility watches the navcam)

    def _note(self, kind: str) -> None:
        """Ask the manager for a move of its mode table; the rest of this step goes on in its
        destination (the guards are this component's facts, so the move happens)."""
        self.publish(PICKUP_NOTE, PickupNote(kind, self.order.tube, self.attempts, self.tube_localised(),
                                             self.grasp_confirmed(), self.stow_confirmed(), self.retries_left()))
        self._mode = next((e.dest for e in ROVER_MODES.edges() if e.trigger == kind
                           and e.source == self._mode), self._mode)

    def _go(self, step: str) -> None:
        """Move to sub-step `step`; the table has every move the pickup makes (a refused one is a bug)."""
        if step == self.steps.table.initial:
            self.steps.reset()
        elif not self.steps.go(step):
            raise RuntimeError(f"sub-step {self.steps.state} -> {step} is not in ROVER_STEPS")

    # ------------------------------------------------------------ APPROACH_TUBE: look, creep
    def _look(self) -> None:
        self._action = "stop"
        if abs(self.nav.wheel_speed_mps) > 1e-3:
            return                          # stop, then look: no image while still rolling
        self.tube_body = self._localise()
        if self.tube_body is None:
            return
        bx, by, _ = self.tube_body
        self.emit("TUBE_DETECTED", tube=self.order.tube, bx_m=round(bx, 3), by_m=round(by, 3))
        seen = self._sight_landmark(self.tube_body)
        if seen is not None:
            self.tube_body = self._localise() or self.tube_body   # heights at the fixed position
            bx, by, _ = self.tube_body
        if seen is not None and seen != self.order.tube:
            self._creep = "task"            # another depot tube: the position is fixed, drive on to the right one
            self._go("creep")
            return
        if self.tube_localised():
            self._note("in_reach")
            self._start_grasp()
            return
        h = self.nav.heading_rad            # seen but out of reach: creep to the standoff point in front of it
        self._creep = "seen"
        self._seen = (self.nav.x_m + bx * math.cos(h) - by * math.sin(h), self.nav.y_m + bx * math.sin(h) + by * math.cos(h))
        self._go("creep")

    def _creep_on(self) -> None:
        if self.order.at_goal:
            self._action = "stop"
            self._go("look")
        elif not self.order.has_route or self._stop_and_look():
            self._action = "stop"
        else:
            self._action = "pursue"

    def _on_refused(self, reason: str) -> None:
        """The manager has no path for the creep asked for this step."""
        self._give_up_or_retry(reason)
        self.tlm["step"] = self.steps.state

    def _give_up_or_retry(self, reason: str) -> None:
        self.attempts += 1
        self.emit("GRASP_FAILED", tube=self.order.tube, reason=reason, attempt=self.attempts)
        if self.retries_left():
            self._go("look")
        else:
            self._note("give_up")
            self._go("idle")

    # ------------------------------------------------------------ ACQUIRE: above, descend, grasp, backoff
    def _arm_frame(self, dz: float = 0.0) -> tuple[float, float, float]:
        p = self.params
        bx, by, bz = self.tube_body
        return (bx - p["arm_base_x_m"], by, bz - p["arm_base_z_m"] + dz)

    def _start_grasp(self) -> None:
        self.attempts += 1
        self._jaws(open_=True)
        self._arm_to(self._arm_frame(dz=0.10))
        self._go("above")

    def _above(self) -> None:
        if self._arm_at(self._arm_frame(dz=0.10)):
            self._arm_to(self._arm_frame())
            self._go("descend")

    def _descend(self) -> None:
        if self._arm_at(self._arm_frame()):
            self._jaws(open_=False)
            self._go("grasp")

    def _grasp(self) -> None:
        if self.steps.cycles <= 3:
            return
        if self.grasp_confirmed():
            self._note("grasped")
            self._arm_to(self._stow_point())
            self._go("stow")
            return
        o = self.order
        reason = f"gripper holds {o.gripper_tube}" if o.holding else "nothing grasped"
        self.emit("GRASP_FAILED", tube=o.tube, reason=reason, attempt=self.attempts)
        self._jaws(open_=True)
        self._arm_to(self._arm_frame(dz=0.10))
        self._go("backoff")

    def _backoff(self) -> None:
        if self._arm_at(self._arm_frame(dz=0.10)):
            self._retry_or_give_up()

    def _retry_or_give_up(self) -> None:
        if self.retries_left():
            self._note("retry")
            self.tube_body = None
            self._go("look")
        else:
            self._note("give_up")
            self._go("idle")

    # ------------------------------------------------------------ STOW_TUBE: stow, confirm_stow
    def _stow_point(self) -> tuple[float, float, float]:
        return (self.params["stow_x_m"], 0.0, self.params["stow_z_m"])

    def _stow(self) -> None:
        if self._arm_at(self._stow_point()):
            self._jaws(open_=True)
            self._go("confirm_stow")

    def _confirm_stow(self) -> None:
        if self.steps.cycles > 3 and self.stow_confirmed():
            self._note("stowed")            # custody moves in the manager's ledger
            self._go("idle")

    # ------------------------------------------------------------ looks
    def _stop_and_look(self) -> bool:
        """True while stopped to look for a landmark (the manager's pursuit resumes afterwards)."""
        if not self._looking:
            if not look_due(self.nav, self._last_look_m, self._landmarks(), self.params):
                return False
            self._looking = True
        if abs(self.nav.wheel_speed_mps) > 1e-3:
            return True                     # no image while still rolling
        self._looking = False
        self._last_look_m = self.nav.distance_m
        self.tlm["looks"] += 1
        self._sight_landmark(self._localise())
        return True

    def _landmarks(self) -> dict[int, tuple[float, float]]:
        return {t: (x, y) for t, x, y in self.order.landmarks}

    def _sight_landmark(self, body) -> int | None:
        """The known tube seen at body position `body`; its fix goes to navigation (applied when
        this step returns) and this step goes on from it at once."""
        tid, fix = sighting(body, self.nav, self._landmarks(), self.params, self._height_at)
        if fix is not None:
            self.nav = self.nav.after_fix(fix)
            self.publish(ROVER_FIX, fix)
            self._fix = fix
        return tid

    def _localise(self) -> tuple[float, float, float] | None:
        """Tube position in the body frame from a navcam frame, or None (the frame's answer is
        told to mobility with the wish)."""
        if self.camera is None:
            return None
        r = self.device_call(self.camera.read)
        r = None if failed(r) else r
        self._cam = (self._cam[0] or r is None, self._cam[1] or r is not None)
        return tube_from_frame(r, self.nav, self.params, self._height_at)

    def _in_reach(self, bx: float, by: float, bz: float) -> bool:
        p = self.params
        return in_reach((bx, by, bz), p["arm_base_x_m"], p["arm_base_z_m"], p["arm_reach_m"])

    # ------------------------------------------------------------ devices
    def report_device_fault(self, failure: DeviceFailure) -> None:
        if not counted_as_navcam(self, failure):
            super().report_device_fault(failure)

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        """The attempts at the current tube, the odometer at the last look, the counters fault
        protection and the ground watch (the sub-step restarts from what the sensors show)."""
        return super().checkpoint_state() | {
            "attempts": self.attempts, "last_look_m": self._last_look_m,
            "tlm": {k: self.tlm[k] for k in KEPT}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        self.attempts = int(state.get("attempts", 0))
        self._last_look_m = float(state.get("last_look_m", -1e9))
        for k, v in state.get("tlm", {}).items():
            if k in KEPT and isinstance(v, int):
                self.tlm[k] = v
        self._restored = True

    def _resume(self) -> None:
        """First step after a warm restart in a pickup mode: look again, stow a tube the gripper
        holds, confirm one a slot reads; a tube in neither calls the ground (SAFE)."""
        o = self.order
        if o.mode == "APPROACH_TUBE":
            self.tube_body = None
            self._go("look")
        elif o.mode == "ACQUIRE":
            if self.grasp_confirmed():
                self._note("grasped")
                self._arm_to(self._stow_point())
                self._go("stow")
            else:
                self._retry_or_give_up()
        elif o.tube != 0 and o.gripper_tube == o.tube:
            self._arm_to(self._stow_point())
            self._go("stow")
        elif o.tube != 0 and o.tube in o.slot_tubes:
            self._go("confirm_stow")
        else:
            self._note("fault")             # the tube is in neither the gripper nor a slot: the ground looks


# The work of each sub-step (ROV-STEP-002: each belongs to one mode of the manager), a table
# built with the class, not names made at run time.
STEP_WORK: dict[str, Callable[[RoverPickup], None]] = {
    "look": RoverPickup._look, "creep": RoverPickup._creep_on, "above": RoverPickup._above,
    "descend": RoverPickup._descend, "grasp": RoverPickup._grasp, "backoff": RoverPickup._backoff,
    "stow": RoverPickup._stow, "confirm_stow": RoverPickup._confirm_stow,
}

__all__ = ["RoverPickup", "STEP_WORK"]

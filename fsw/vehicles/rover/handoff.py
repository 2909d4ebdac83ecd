"""Rover hand-off: give the tubes aboard to the lander's arm, one at a time, in HANDOFF.

Take a tube from its slot with the rover's arm, present it where the lander's transfer arm
reaches (OFFER over the hand-off link, with the point in the local frame), wait for TAKEN
(open the jaws, let go) or REFUSED (back into its slot). Its sub-steps are the declared table
`HANDOFF_STEPS`, with a timeout. Custody stays with the manager: this component tells it
what happened (`rover.handoff_note`: taken, refused, done, fault) and reads what is aboard,
the mode and the gripper on `rover.status`, the lander's answers on `rover.handoff_reply`.

It runs right after the manager in the control group and works while the status the manager
published before its own per-mode work says HANDOFF, so the arm moves on the same ticks as
when the manager did this itself. Requirements: DESIGN.md (ROV-HO-*).
"""
from __future__ import annotations

from typing import Any, Mapping

from fsw.core.component import Component
from fsw.core.declarations import Channel, Param
from fsw.core.devices import DEVICE_FAULT
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.core.substeps import SubSteps

from ..handoff import HandoffEndpoint
from .arm import ArmUser
from .modes import HANDOFF_STEPS
from .pickup_geometry import world_of_body
from .topics import HANDOFF_NOTE, HANDOFF_REPLY, NAV_STATE, ROVER_STATUS, HandoffNote, HandoffReply, RoverStatus


class RoverHandoff(ArmUser, Component):
    PUBLISHES = (HANDOFF_NOTE,)
    SUBSCRIBES = (ROVER_STATUS, NAV_STATE, Sub(HANDOFF_REPLY, "_on_reply"))
    CHANNELS = (Channel("step", str, ""), Channel("refusals", int, ""), Channel("device_faults", int, ""))
    EVENTS = (EventDef("STEP_TIMEOUT", Severity.WARNING_HI, "{step} timed out", step=str), DEVICE_FAULT)
    PARAMS = (
        Param("max_refusals", int, 1, 10, default=3, doc="refused offers before the ground has to look"),
        Param("step_timeout_cycles", int, 10, 100_000, default=400),
        Param("arm_base_x_m", float, -2.0, 2.0, default=0.55),
        Param("arm_base_z_m", float, 0.0, 2.0, default=0.45),
        Param("stow_x_m", float, -2.0, 2.0, default=-0.7),
        Param("stow_z_m", float, -1.0, 2.0, default=0.35),
        Param("present_x_m", float, -2.0, 2.0, default=0.9),
        Param("present_z_m", float, -1.0, 2.0, default=0.3),
    )

    def __init__(self, name: str = "rover_handoff", *, arm=None, gripper=None, terrain=None,
                 handoff: HandoffEndpoint | None = None) -> None:
        super().__init__(name)
        self.arm, self.gripper, self.terrain, self.handoff = arm, gripper, terrain, handoff
        self.steps = SubSteps(HANDOFF_STEPS, self)
        self.refusals = 0
        self._inbox: list[HandoffReply] = []
        self._pending = 0
        self._was_handing_over = False
        self._restored = False

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        status: RoverStatus | None = self.received(ROVER_STATUS)
        active = status is not None and status.mode == "HANDOFF"
        if active and not self._was_handing_over:
            self.steps.reset()                     # a new hand-off starts from its first step
        self._was_handing_over = active
        if self._restored:
            self._restored = False
            if active:
                self._resume(status)
        self.steps.tick()
        if active:
            self._work(status)
        if not self.steps.idle and self.steps.cycles > self.params["step_timeout_cycles"]:
            self.emit("STEP_TIMEOUT", step=self.steps.state)
            self.steps.reset()
            self.publish(HANDOFF_NOTE, HandoffNote("fault", stop=True))
        self._inbox = []
        self.tlm["step"] = self.steps.state
        self.tlm["refusals"] = self.refusals

    def _on_reply(self, reply: HandoffReply) -> None:
        self._inbox.append(reply)

    def _work(self, s: RoverStatus) -> None:
        p = self.params
        stow = (p["stow_x_m"], 0.0, p["stow_z_m"])
        present = (p["present_x_m"], 0.0, p["present_z_m"])
        state = self.steps.state
        if state == "idle":
            if not s.aboard:
                if self.handoff is not None and not s.tasks_left:
                    self.handoff.send("DONE")       # a trip back only for a fix is not the end
                self.publish(HANDOFF_NOTE, HandoffNote("done", all_done=not s.tasks_left))
                return
            self._jaws(open_=True)
            self._arm_to(stow)
            self._go("to_slot")
        elif state == "to_slot" and self._arm_at(stow):
            self._jaws(open_=False)
            self._go("take_from_slot")
        elif state == "take_from_slot" and self.steps.cycles > 3:
            if s.holding and s.gripper_tube in s.aboard:
                self._arm_to(present)
                self._go("present")
        elif state == "present" and self._arm_at(present):
            nav = self.received(NAV_STATE)
            body = (p["arm_base_x_m"] + present[0], present[1], p["arm_base_z_m"] + present[2])
            self.handoff.send("OFFER", s.gripper_tube, world_of_body(body, nav, self._height_at))
            self._go("wait_taken")
        elif state == "wait_taken":
            for m in self._inbox:
                if m.kind == "TAKEN":
                    self._jaws(open_=True)
                    self._go("release")
                    self._pending = m.tube
                    break
                if m.kind == "REFUSED":
                    self.refusals += 1
                    self.publish(HANDOFF_NOTE, HandoffNote("refused", m.tube))
                    self._arm_to(stow)
                    self._go("return_to_slot")
                    break
        elif state == "release" and self.steps.cycles > 3 and not s.holding:
            self.publish(HANDOFF_NOTE, HandoffNote("taken", self._pending))
            self.steps.reset()
        elif state == "return_to_slot" and self._arm_at(stow):
            self._jaws(open_=True)
            self.steps.reset()
            if self.refusals >= self.params["max_refusals"]:
                self.publish(HANDOFF_NOTE, HandoffNote("fault"))   # the ground has to look at this hand-off

    def _resume(self, s: RoverStatus) -> None:
        """After a warm restart in HANDOFF: a tube still held (and aboard) is presented again."""
        if s.holding and s.gripper_tube and s.gripper_tube in s.aboard:
            p = self.params
            self._arm_to((p["present_x_m"], 0.0, p["present_z_m"]))
            self._go("present")

    # ------------------------------------------------------------ devices
    def _go(self, step: str) -> None:
        if not self.steps.go(step):
            raise RuntimeError(f"hand-off sub-step {self.steps.state} -> {step} is not in HANDOFF_STEPS")

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        """The refusal count (the sub-step restarts from what the sensors show)."""
        return super().checkpoint_state() | {"refusals": self.refusals}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        self.refusals = int(state.get("refusals", 0))
        self._restored = True

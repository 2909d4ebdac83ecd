"""Sample Transfer Arm (2.5 m): takes offered tubes from a rover, inserts them one by one into
the Orbiting Sample container, confirms each by the OS tube sensor, then seals the OS.

Custody is tracked in a `CustodyLedger` (rover -> sta -> os): a tube is recorded in the arm
only when the gripper reads its id, and in the OS only when the OS tube sensor reads the
same id; a duplicate offer or a tube already in the OS is refused with an event. The arm
steps are a declared sub-step table inside the modes (`STA_STEPS`: reach, grasp, carry,
release), each with a timeout; an insertion that is not confirmed is retried, then the arm
goes SAFE. The lander's mode comes in, and the arm's status goes out, on the lander's bus
(`topics.py`); devices are called through `device_call`.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

from fsw.core.component import Component, CommandError, command
from fsw.core.declarations import Channel, Param
from fsw.core.devices import DEVICE_FAULT, failed
from fsw.core.events import EventDef, Severity
from fsw.core.substeps import SubSteps

from ..custody import CUSTODY_CHECK, CUSTODY_EVENTS, CUSTODY_RECONCILED, CustodyLedger
from ..handoff import HandoffEndpoint
from .modes import STA_MODES, STA_STEPS
from .topics import LANDER_MODE, STA_STATUS, StaStatus


class SampleTransferArm(Component):
    MODES = STA_MODES
    PUBLISHES = (STA_STATUS,)
    SUBSCRIBES = (LANDER_MODE,)
    CHANNELS = (
        Channel("tubes_in_os", int, ""), Channel("tubes_taken", int, ""),
        Channel("offers_pending", int, ""), Channel("insert_retries", int, ""),
        Channel("step", str, ""), Channel("device_faults", int, ""),
    )
    EVENTS = CUSTODY_EVENTS + (
        EventDef("OFFER_RECEIVED", Severity.ACTIVITY_LO, "tube {tube} offered", tube=int),
        EventDef("OFFER_REFUSED", Severity.WARNING_LO, "tube {tube}: {reason}", tube=int, reason=str),
        EventDef("TUBE_INSERTED", Severity.ACTIVITY_HI, "tube {tube} confirmed in the OS ({count})", tube=int, count=int),
        EventDef("STEP_TIMEOUT", Severity.WARNING_HI, "{step} timed out", step=str),
        EventDef("OS_SEALED", Severity.ACTIVITY_HI, "OS sealed with {count} tubes", count=int),
        DEVICE_FAULT,
        CUSTODY_RECONCILED,
        CUSTODY_CHECK,
    )
    PARAMS = (
        Param("handoff_x_m", float, -2.5, 2.5, default=2.0),
        Param("handoff_y_m", float, -2.5, 2.5, default=0.0),
        Param("handoff_z_m", float, -2.5, 2.5, default=-0.9),
        Param("os_x_m", float, -2.5, 2.5, default=0.2),
        Param("os_y_m", float, -2.5, 2.5, default=0.6),
        Param("os_z_m", float, -2.5, 2.5, default=0.9),
        Param("os_capacity", int, 1, 43, default=30),
        Param("reach_m", float, 0.5, 3.0, default=2.5, doc="Sample Transfer Arm reach (MSR_FACTS.md)"),
        Param("step_timeout_cycles", int, 5, 10_000, default=600),
        Param("max_insert_retries", int, 0, 10, default=2),
        Param("auto_seal", bool, default=True, doc="seal once the rover says DONE"),
    )

    def __init__(self, name: str = "sta", *, arm=None, gripper=None, os_sensor=None, seal=None,
                 handoff: HandoffEndpoint | None = None, ledger: CustodyLedger | None = None,
                 base_xyz_m: tuple[float, float, float] | None = None) -> None:
        super().__init__(name)
        self.arm, self.gripper, self.os_sensor, self.seal_pyro = arm, gripper, os_sensor, seal
        self.handoff = handoff
        self.base_xyz_m = base_xyz_m   # arm shoulder in the local frame (lander position + mount)
        self.offer_xyz: dict[int, tuple[float, float, float]] = {}
        self.ledger = ledger if ledger is not None else CustodyLedger()
        self.ledger.emit = self.emit
        self.offers: list[int] = []
        self.rover_done = False
        self.held = 0              # tube id the software believes the gripper holds
        self.steps = SubSteps(STA_STEPS, self)
        self.retries = 0
        self.os_confirmed: list[int] = []
        self.seal_fired = False
        self._g = None             # last gripper reading
        self._os = None            # last OS sensor reading
        self._restored = False     # a warm restart put the state back: reconcile on the next step
        self._status: StaStatus | None = None   # the status last published

    # ------------------------------------------------------------ guards
    def lander_on_surface(self) -> bool:
        return self.received(LANDER_MODE) in ("SURFACE_IDLE", "SAMPLE_TRANSFER")

    def tube_in_gripper(self) -> bool:
        return self._g is not None and bool(self._g.holding) and int(self._g.tube_id) != 0

    def os_slot_free(self) -> bool:
        return len(self.os_confirmed) < self.params["os_capacity"]

    def tube_sensor_confirms(self) -> bool:
        return (self._os is not None and bool(self._os.present) and self.held != 0
                and int(self._os.tube_id) == self.held and not self.tube_in_gripper())

    def os_has_tubes(self) -> bool:
        return len(self.os_confirmed) > 0

    def seal_confirmed(self) -> bool:
        return self.seal_fired

    @property
    def busy(self) -> bool:
        """Work to do or under way (the lander stays in SAMPLE_TRANSFER meanwhile)."""
        return bool(self.offers) or self.mode in ("HOLDING", "INSERTING") or not self.steps.idle

    @property
    def sealed(self) -> bool:
        return self.mode == "SEALED"

    # ------------------------------------------------------------ commands
    @command("SEAL", modes=("READY",), doc="Seal the Orbiting Sample container now")
    def _cmd_seal(self) -> None:
        if not self.trigger("seal"):
            raise CommandError("seal refused")
        self._fire_seal()

    @command("UNSTOW", modes=("STOWED",), doc="Unstow the arm (lander on the surface)")
    def _cmd_unstow(self) -> None:
        if not self.trigger("unstow"):
            raise CommandError("unstow refused")

    @command("FAULT", doc="Go to SAFE (fault response)")
    def _cmd_fault(self) -> None:
        self.trigger("fault")

    @command("RECOVER", modes=("SAFE",), doc="Leave SAFE once the cause is cleared")
    def _cmd_recover(self) -> None:
        if not (self.trigger("recover") or self.trigger("recover_holding")):
            raise CommandError("recovery refused")

    def on_mode_change(self, source: str, dest: str) -> None:
        self._publish_status()

    def _publish_status(self) -> None:
        """Every step: while the arm idles (most of a delivery) the status is the last one
        published, so that very (immutable, equal) payload goes out again instead of a new one."""
        mode, busy, sealed = self.mode, self.busy, self.sealed
        last = self._status
        if last is None or last.mode != mode or last.busy != busy or last.sealed != sealed:
            last = self._status = StaStatus(mode, busy, sealed)
        self.publish(STA_STATUS, last)

    # ------------------------------------------------------------ devices
    def _sense(self) -> None:
        if self.gripper is not None:
            r = self.device_call(self.gripper.read)
            if not failed(r):
                self._g = r
        if self.os_sensor is not None:
            r = self.device_call(self.os_sensor.read)
            if not failed(r):
                self._os = r

    def _arm_at(self, target) -> bool:
        r = self.device_call(self.arm.read)
        if failed(r) or not r.at_target:
            return False
        return max(abs(r.position_m[k] - target[k]) for k in range(3)) < 0.02

    def _handoff_pos(self):
        """Where the rover says it holds the tube, else the nominal hand-off point (arm frame)."""
        if self.offers and self.offers[0] in self.offer_xyz:
            return self.offer_xyz[self.offers[0]]
        p = self.params
        return (p["handoff_x_m"], p["handoff_y_m"], p["handoff_z_m"])

    def _os_pos(self):
        p = self.params
        return (p["os_x_m"], p["os_y_m"], p["os_z_m"])

    # ------------------------------------------------------------ hand-off messages
    def _receive(self) -> None:
        if self.handoff is None:
            return
        for msg in self.handoff.receive():
            if msg.kind == "DONE":
                self.rover_done = True
            elif msg.kind == "OFFER":
                where = self.ledger.location(msg.tube)
                if where == "sta" and msg.tube == self.held and self.tube_in_gripper() \
                        and int(self._g.tube_id) == msg.tube:
                    self.handoff.send("TAKEN", msg.tube)   # offered again after a rover restart: we have it
                elif msg.tube in self.offers or (where is not None and where != "rover") or msg.tube <= 0:
                    reason = "already offered" if msg.tube in self.offers else f"custody says {where}"
                    self.emit("OFFER_REFUSED", tube=msg.tube, reason=reason)
                    self.handoff.send("REFUSED", msg.tube)
                elif msg.xyz_m is not None and self.base_xyz_m is not None and math.dist(
                        msg.xyz_m, self.base_xyz_m) > self.params["reach_m"]:
                    self.emit("OFFER_REFUSED", tube=msg.tube, reason="out of reach")
                    self.handoff.send("REFUSED", msg.tube)
                else:
                    self.offers.append(msg.tube)
                    if msg.xyz_m is not None and self.base_xyz_m is not None:
                        self.offer_xyz[msg.tube] = tuple(msg.xyz_m[k] - self.base_xyz_m[k] for k in range(3))
                    self.emit("OFFER_RECEIVED", tube=msg.tube)

    # ------------------------------------------------------------ the loop
    def step(self, t_ns: int) -> None:
        self._sense()
        self._receive()
        if self._restored:
            self._resume()
        self.steps.tick()
        self.during()
        if not self.steps.idle and self.steps.cycles > self.params["step_timeout_cycles"]:
            self.emit("STEP_TIMEOUT", step=self.steps.state)
            self._timeout()
        self.tlm["tubes_in_os"] = len(self.os_confirmed)
        self.tlm["offers_pending"] = len(self.offers)
        self.tlm["insert_retries"] = self.retries
        self.tlm["step"] = self.steps.state
        self._publish_status()

    def during_STOWED(self) -> None:
        if self.lander_on_surface():
            self.trigger("unstow")

    def during_SEALING(self) -> None:
        if self.seal_pyro is not None:
            r = self.device_call(self.seal_pyro.read)
            self.seal_fired = bool(not failed(r) and r.fired)
        if self.trigger("sealed"):
            self.emit("OS_SEALED", count=len(self.os_confirmed))

    def during_READY(self) -> None:
        if (self.rover_done and not self.offers and self.steps.idle and self.os_has_tubes()
                and self.params["auto_seal"] and self.lander_on_surface()):
            if self.trigger("seal"):
                self._fire_seal()
            return
        if self.received(LANDER_MODE) != "SAMPLE_TRANSFER":
            return
        if self.steps.state == "idle" and self.offers:
            self.device_call(self.gripper.open_jaws)
            self.device_call(self.arm.move_to, self._handoff_pos())
            self.steps.go("reach")
        elif self.steps.state == "reach" and self._arm_at(self._handoff_pos()):
            self.device_call(self.gripper.close_jaws)
            self.steps.go("grasp")
        elif self.steps.state == "grasp" and self.tube_in_gripper():
            tube = self.offers.pop(0)
            got = int(self._g.tube_id)
            if got != tube:
                self.emit("OFFER_REFUSED", tube=got, reason=f"gripper reads {got}, offered {tube}")
                self.device_call(self.gripper.open_jaws)
                self.handoff.send("REFUSED", tube)
                self.steps.go("idle")
                return
            if self.ledger.location(tube) is None:
                self.ledger.register(tube, "rover")
            if self.ledger.move(tube, "rover", "sta") and self.trigger("take_tube"):
                self.held = tube
                self.tlm["tubes_taken"] += 1
                self.handoff.send("TAKEN", tube)
                self.device_call(self.arm.move_to, self._os_pos())
                self.steps.go("carry")

    def during_HOLDING(self) -> None:
        if self.steps.state == "carry" and self._arm_at(self._os_pos()):
            if self.trigger("insert"):
                self.device_call(self.gripper.open_jaws)
                self.steps.go("release")

    def during_INSERTING(self) -> None:
        if self.steps.state == "release" and self.tube_sensor_confirms():
            tube = self.held
            if self.ledger.move(tube, "sta", "os") and self.trigger("confirm"):
                self.os_confirmed.append(tube)
                self.held = 0
                self.retries = 0
                self.emit("TUBE_INSERTED", tube=tube, count=len(self.os_confirmed))
                self.steps.go("idle")

    def _timeout(self) -> None:
        if self.mode == "INSERTING" and self.retries < self.params["max_insert_retries"]:
            self.retries += 1
            self.device_call(self.gripper.close_jaws)
            self._sense()
            if self.trigger("retry_insert"):
                self.steps.go("carry")
                self.device_call(self.arm.move_to, self._os_pos())
                return
        if self.mode == "READY" and self.steps.state in ("reach", "grasp") and self.offers:
            tube = self.offers.pop(0)
            self.emit("OFFER_REFUSED", tube=tube, reason="not grasped in time")
            self.device_call(self.gripper.open_jaws)
            self.handoff.send("REFUSED", tube)
            self.steps.go("idle")
            return
        self.trigger("fault")
        self.steps.go("idle")

    def _fire_seal(self) -> None:
        if self.seal_pyro is None:
            self.seal_fired = True
        else:
            self.device_call(self.seal_pyro.fire)

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | {
            "custody": self.ledger.snapshot(), "os_confirmed": list(self.os_confirmed), "held": self.held,
            "offers": [(t, self.offer_xyz.get(t)) for t in self.offers], "rover_done": self.rover_done,
            "seal_fired": self.seal_fired, "retries": self.retries,
            "tlm": {"tubes_taken": self.tlm["tubes_taken"], "device_faults": self.tlm["device_faults"]}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put the checkpoint back; the next step reconciles against the gripper and the OS tube sensor."""
        super().restore_state(state)
        self.ledger.restore((int(t), str(loc)) for t, loc in state.get("custody", ()))
        self.os_confirmed = [int(t) for t in state.get("os_confirmed", ()) if self.ledger.location(int(t)) == "os"]
        self.held = int(state.get("held", 0))
        self.offers, self.offer_xyz = [], {}
        for t, xyz in state.get("offers", ()):
            self.offers.append(int(t))
            if xyz is not None:
                self.offer_xyz[int(t)] = tuple(float(c) for c in xyz)
        self.rover_done = bool(state.get("rover_done", False))
        self.seal_fired = bool(state.get("seal_fired", False))
        self.retries = int(state.get("retries", 0))
        for k, v in state.get("tlm", {}).items():
            if k in ("tubes_taken", "device_faults") and isinstance(v, int):
                self.tlm[k] = v
        self._restored = True

    def _resume(self) -> None:
        """First step after a warm restart: the tube the arm had is in the OS (the OS tube sensor
        reads it: moved there once), still in the gripper (carry it on and insert it), or, grasped
        after the checkpoint, an offered tube is in the gripper (take it as the grasp step would)."""
        self._restored = False
        os_id = int(self._os.tube_id) if self._os is not None and self._os.present else 0
        grip = int(self._g.tube_id) if self.tube_in_gripper() else 0
        held = self.held if self.held and self.ledger.location(self.held) == "sta" else 0
        mode = self.mode
        if held and os_id == held and grip != held:
            if mode == "HOLDING":
                self.trigger("insert")
            if self.mode == "INSERTING":
                self.steps.force("release")          # the confirmation step moves it (sta -> os) once
            elif self.ledger.move(held, "sta", "os"):
                self.emit("CUSTODY_RECONCILED", tube=held, source="sta", dest="os", why="the OS tube sensor reads it")
                self.os_confirmed.append(held)
                self.held = 0
        elif held and grip == held:
            if mode == "INSERTING":
                self.device_call(self.gripper.open_jaws)
                self.steps.force("release")
            elif mode == "HOLDING":
                self.device_call(self.arm.move_to, self._os_pos())
                self.steps.force("carry")
        elif held:
            self.trigger("fault")              # the tube is in neither the gripper nor the OS: the ground looks
        elif mode == "READY" and grip and self.offers and grip == self.offers[0]:
            self.steps.force("grasp")                # grasped after the checkpoint: the grasp step takes it
        self.emit("CUSTODY_CHECK", ledger=f"arm {self.held or '-'}, OS {','.join(map(str, self.os_confirmed)) or '-'}",
                  sensors=f"gripper {grip or '-'}, OS {os_id or '-'}",
                  ok=(not self.held or self.held == grip) and (not self.os_confirmed or self.os_confirmed[-1] == os_id))

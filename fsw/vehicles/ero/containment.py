"""ERO containment (CCRS): custody of the captured OS, the verified containment steps, the
Earth cruise timer (requirements ERO-CON-001..008 in DESIGN.md).

Follows the capture manager's mode (`ccrs.mode`): entering ORIENT, CONTAIN, BREAK_THE_CHAIN,
EEV_TRANSFER or EEV_RELEASE starts that step (`ccrs.py`); each cycle the step is polled and,
once *verified*, containment asks the manager for the next mode (`containment.request`); a
step that fails or times out holds (CONTAINMENT_HOLD, never onwards). In BREAK_THE_CHAIN and
EEV_TRANSFER both leak checks are read every cycle: a seal that no longer reads the OS, or a
sensor that stops answering, holds the OS out of the EEV. It runs before the manager in the
executive order, so a request changes the manager's mode in the same tick, as when this code
was the manager's own.

Warm restart: custody, verified steps, failures, the cruise end and tubes are checkpointed;
the first cycle after a restore restarts the step of the current mode from its beginning,
re-verifies containment from the leak checks before anything moves towards the EEV, and
reconciles custody against the capture mechanism and the EEV seat.
"""
from __future__ import annotations

from typing import Any, Mapping

from fsw.core.component import CommandError, Component, command
from fsw.core.declarations import Arg, Channel, Param
from fsw.core.devices import DEVICE_FAULT, failed
from fsw.core.events import EventDef, Severity
from fsw.core.ports import Sub
from fsw.core.time import NS_PER_S
from fsw.vehicles.custody import CUSTODY_CHECK, CUSTODY_EVENTS, CustodyLedger

from .ccrs import FAILED, STEP_NAMES, VERIFIED, CcrsSteps
from .devices import EroDevices
from .modes import CONTAINMENT_MODES, ERO_MODES
from .topics import CONTAINMENT_REQUEST, CONTAINMENT_STATUS, ERO_MODE, ContainmentStatus

WATCHED_CONTAINMENT = ("BREAK_THE_CHAIN", "EEV_TRANSFER")   # seals re-read every cycle
# mode -> (its step, the trigger asked for once it is verified)
STEP_OF_MODE = {"ORIENT": ("orient", "oriented"), "CONTAIN": ("contain", "contained"),
                "BREAK_THE_CHAIN": ("break_the_chain", "sterilised"),
                "EEV_TRANSFER": ("eev_transfer", "transferred"), "EEV_RELEASE": ("eev_release", "eev_released")}
BEFORE_CAPTURE = ERO_MODES.modes[:7]        # PHASING .. BACK_OFF: the OS is still in orbit
APPROACH = BEFORE_CAPTURE + ("CAPTURE",)


class EroContainment(Component):
    CHANNELS = (
        Channel("step_failures", int, doc="containment steps failed since the last verified one"),
        Channel("step", str, doc="containment step under way ('' when none)"),
    )
    EVENTS = CUSTODY_EVENTS + (
        EventDef("STEP_VERIFIED", Severity.ACTIVITY_HI, "{step} verified", step=str),
        EventDef("CONTAINMENT_NOT_VERIFIED", Severity.WARNING_HI, "{step}: {reason}; holding", step=str, reason=str),
        EventDef("RESUMED", Severity.ACTIVITY_HI, "warm restart in {mode}: {action}", mode=str, action=str),
        DEVICE_FAULT,
        CUSTODY_CHECK,
    )
    PARAMS = (
        Param("os_id", int, 1, 65535, default=1000),
        Param("sterilise_C", float, 0.0, 1000.0, default=200.0),
        Param("sterilise_dwell_s", float, 0.0, 36000.0, default=30.0),
        Param("sterilise_power_W", float, 0.0, 5000.0, default=400.0),
        Param("step_timeout_s", float, 1.0, 36000.0, default=600.0),
        Param("earth_cruise_s", float, 0.0, 1e8, default=3600.0),
    )
    PUBLISHES = (CONTAINMENT_STATUS, CONTAINMENT_REQUEST)
    SUBSCRIBES = (Sub(ERO_MODE, "_on_mode"),)

    def __init__(self, name: str, devices: EroDevices) -> None:
        super().__init__(name)
        self.dev = devices
        self.custody = CustodyLedger(emit=self.emit)
        self._mode = ERO_MODES.initial        # the manager's mode, as last seen
        self.steps = CcrsSteps(devices, self.params)
        self._verified: set[str] = set()
        self._cruise_until: float | None = None
        self.captured_tubes: list[int] = []
        self.contained_tubes: list[int] = []
        self._t = 0.0
        self._resume = False

    # ------------------------------------------------------------ queries (the summary's)
    def verified(self, step: str) -> bool:
        return step in self._verified

    # ------------------------------------------------------------ ports
    def _publish(self) -> None:
        self.publish(CONTAINMENT_STATUS, ContainmentStatus(tuple(sorted(self._verified)), self._cruise_until))

    def _ask(self, trigger: str) -> None:
        self._publish()
        self.publish(CONTAINMENT_REQUEST, trigger)

    def _on_mode(self, mode: str) -> None:
        """The manager changed mode: do what entering it asks of containment."""
        if mode == self._mode:
            return                            # a warm restart's force_mode: `_resume` does it
        self._mode = mode
        if mode in STEP_OF_MODE:
            if mode == "ORIENT":
                for tube in self.custody.tubes_at("orbit"):
                    if self.custody.move(tube, "orbit", "ero"):
                        self.captured_tubes.append(tube)
            self._start_step(mode)
        elif mode == "EARTH_CRUISE":
            self._cruise_until = self._t + self.params["earth_cruise_s"]
            self._publish()
        elif mode == "CONTAINMENT_HOLD":
            self._enter_hold()

    # ------------------------------------------------------------ commands
    @command("EXPECT_TUBES", Arg("tubes", str), doc="Register the tubes the OS carries (from the MAV's "
             "custody record) as in orbit; before the capture only")
    def _cmd_expect_tubes(self, tubes: str) -> None:
        if self._mode not in BEFORE_CAPTURE:
            raise CommandError(f"EXPECT_TUBES refused in {self._mode}")
        try:
            ids = sorted({int(x) for x in tubes.split(",") if x.strip()})
        except ValueError:
            raise CommandError(f"bad tube list {tubes!r}") from None
        for t in ids:
            if self.custody.location(t) is None and not self.custody.register(t, "orbit"):
                raise CommandError(f"tube {t} refused")

    @command("RETRY_CONTAINMENT", doc="From CONTAINMENT_HOLD: forget the verifications, start again at ORIENT")
    def _cmd_retry_containment(self) -> None:
        if self._mode != "CONTAINMENT_HOLD":
            raise CommandError(f"RETRY_CONTAINMENT refused in {self._mode}")
        self._verified.clear()
        self.steps.stop()
        self.tlm["step_failures"] = 0
        self._ask("retry_containment")

    # ------------------------------------------------------------ steps
    def _start_step(self, mode: str) -> None:
        self.steps.start(STEP_OF_MODE[mode][0], self._t)
        self.tlm["step"] = self.steps.name

    def _stop_step(self) -> None:
        self.steps.stop()
        self.tlm["step"] = ""

    def _enter_hold(self) -> None:
        self._stop_step()
        self.device_call(self.dev.btc_heater.set_power, 0.0)
        arm = self.device_call(self.dev.transfer_arm.read)
        if not failed(arm):    # stop the transfer arm where it is (a hold mid-transfer)
            self.device_call(self.dev.transfer_arm.move_to, arm.position_m)

    def _run_step(self, verified_trigger: str) -> None:
        if not self.steps.active:
            return
        state, name = self.steps.poll(self._t), self.steps.name
        if state == VERIFIED:
            self._verified.add(name)
            self.emit("STEP_VERIFIED", step=name)
            self._stop_step()
            if name == "contain":
                self.contained_tubes = self.custody.tubes_at("ero")
            if name == "eev_transfer":
                for tube in self.custody.tubes_at("ero"):
                    self.custody.move(tube, "ero", "eev")
            self.tlm["step_failures"] = 0
            self._ask(verified_trigger)
        elif state == FAILED:
            self._hold(name, self.steps.reason)

    def _hold(self, step: str, reason: str) -> None:
        """A step not verified: event, counter, CONTAINMENT_HOLD (never onwards)."""
        self.emit("CONTAINMENT_NOT_VERIFIED", step=step, reason=reason)
        self.tlm["step_failures"] += 1
        self._stop_step()
        self._ask("transfer_failed" if self._mode == "EEV_TRANSFER" else "containment_failed")

    def containment_intact(self) -> str | None:
        """None while both leak checks read the OS id, else why not (a sensor that does not
        answer cannot vouch for the seal)."""
        os_id = self.params["os_id"]
        for chk in (self.dev.primary_check, self.dev.secondary_check):
            r = self.device_call(chk.read)
            if failed(r):
                return f"{chk.name}: device fault: {r.error}"
            if not (r.present and r.tube_id == os_id):
                return f"{chk.name} no longer reads OS {os_id}"
        return None

    def _watch_containment(self) -> bool:
        """BREAK_THE_CHAIN / EEV_TRANSFER: containment must stay verified; False: now holding."""
        if "contain" not in self._verified:
            self._hold("contain", "containment not verified")
            return False
        why = self.containment_intact()
        if why is not None:
            self._verified.discard("contain")
            self._hold("contain", why)
            return False
        return True

    # ------------------------------------------------------------ loop
    def step(self, t_ns: int) -> None:
        self._t = t_ns / NS_PER_S
        if self._resume:
            self._resume = False
            self._resume_after_restart()
        mode = self._mode
        if mode in STEP_OF_MODE:
            if mode not in WATCHED_CONTAINMENT or self._watch_containment():
                self._run_step(STEP_OF_MODE[mode][1])
        elif mode == "EARTH_CRUISE" and self._cruise_until is not None and self._t >= self._cruise_until:
            self._ask("approach_earth")

    # ------------------------------------------------------------ warm restart
    def checkpoint_state(self) -> dict:
        return super().checkpoint_state() | {
            "custody": self.custody.snapshot(), "verified": sorted(self._verified), "seen_mode": self._mode,
            "cruise_until": self._cruise_until, "captured_tubes": list(self.captured_tubes),
            "contained_tubes": list(self.contained_tubes), "step_failures": self.tlm["step_failures"],
            "t": self._t,
        }

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """Put back what `checkpoint_state` saved; the step of the restored mode is started
        again (and containment re-verified) on the first cycle after."""
        super().restore_state(state)
        self.custody.restore((int(t), str(loc)) for t, loc in state.get("custody", ()))
        self._verified = {str(v) for v in state.get("verified", ())} & set(STEP_NAMES)
        mode = str(state.get("seen_mode", ERO_MODES.initial))
        self._mode = mode if mode in ERO_MODES.modes else ERO_MODES.initial
        cruise = state.get("cruise_until")
        self._cruise_until = None if cruise is None else float(cruise)
        self.captured_tubes = [int(t) for t in state.get("captured_tubes", ())]
        self.contained_tubes = [int(t) for t in state.get("contained_tubes", ())]
        self.tlm["step_failures"] = int(state.get("step_failures", 0))
        self._t = float(state.get("t", 0.0))
        self.steps.stop()
        self._resume = True

    def _resume_after_restart(self) -> None:
        """First cycle after a warm restart: restart the step of the mode from its beginning
        (it must verify again), re-verify containment before anything moves towards the EEV,
        reconcile custody."""
        mode = self._mode
        action = ""
        if mode in WATCHED_CONTAINMENT:
            # a checkpointed "contain" is not enough to go on towards the EEV: read the seals
            self._verified.discard("contain")
            why = self.containment_intact()
            if why is not None:
                self.emit("RESUMED", mode=mode, action="containment not re-verified: holding")
                self._hold("contain", why)
                self._check_custody()
                return
            self._verified.add("contain")
            self.emit("STEP_VERIFIED", step="contain")
            action = "containment re-verified; step restarted"
        if mode in STEP_OF_MODE:
            self._start_step(mode)
            action = action or "step restarted"
        elif mode == "CONTAINMENT_HOLD":
            self._enter_hold()
            action = "holding"
        self._publish()
        if action or mode in CONTAINMENT_MODES + ("COMPLETE",):
            self.emit("RESUMED", mode=mode, action=action or "continue")
        self._check_custody()

    def _check_custody(self) -> None:
        """Custody against the sensors: the OS held by the capture mechanism or seated in the
        EEV. A move the sensors prove happened after the last checkpoint is made once (the
        ledger refuses any second one); a disagreement is reported, never guessed away."""
        seen = []
        cap = self.device_call(self.dev.capture.read)
        if failed(cap):
            seen.append("ero?")
        elif cap.triggered and cap.lid_closed:
            seen.append("ero")
        slot = self.device_call(self.dev.eev_slot.read)
        if failed(slot):
            seen.append("eev?")
        elif slot.present and slot.tube_id == self.params["os_id"]:
            seen.append("eev")
        aboard = list(self.custody.tubes_at("orbit")) if "ero" in seen and self._mode not in APPROACH else []
        for tube in aboard:                       # captured after the checkpoint
            if self.custody.move(tube, "orbit", "ero"):
                self.captured_tubes.append(tube)
        held = sorted({loc for _, loc in self.custody.snapshot()})
        if "eev" in held:
            ok = "eev" in seen or self._mode in ("EEV_RELEASE", "COMPLETE")
        elif "ero" in held:
            ok = "ero" in seen or "ero?" in seen
        else:
            ok = "ero" not in seen or self._mode == "CAPTURE"   # CAPTURE hands it over on ORIENT entry
        self.emit("CUSTODY_CHECK", ledger=",".join(f"{t}@{loc}" for t, loc in self.custody.snapshot()),
                  sensors=",".join(seen) or "none", ok=ok)


__all__ = ["EroContainment", "STEP_NAMES", "STEP_OF_MODE", "WATCHED_CONTAINMENT"]

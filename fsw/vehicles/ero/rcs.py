"""ERO RCS health (requirements ERO-RCS-001..003 in DESIGN.md): the one component that
commands the reaction control system, and the one that watches it.

A thrust command arrives on `rcs.force` and is sent at once (the manager publishes it; it is
delivered when the manager's step returns, before anything else touches the RCS). Every
cycle the RCS status is polled, so a bank that stops answering is seen while the ERO coasts,
not first when a burn is due. `rcs_faults` counts consecutive cycles with the RCS not
answering (a failed command counts for its cycle); one DEVICE_FAULT per run.
"""
from __future__ import annotations

from fsw.core.component import Component
from fsw.core.declarations import Channel
from fsw.core.devices import DEVICE_FAULT, DeviceFailure, failed
from fsw.core.ports import Sub
from hal.devices import Rcs
from hal.errors import DeviceFault

from .topics import RCS_FORCE

ZERO_TORQUE = (0.0, 0.0, 0.0)


class RunCounted:
    """Device faults counted as runs: `runs[device]` names the channel of that device's run
    (reset by the next good call); DEVICE_FAULT only for the first fault of a run, so a unit
    that stays dead is one event, not one per cycle. (A mixin for ERO components; the core's
    `report_device_fault` emits every time.)"""

    RUNS: dict[str, str] = {}

    def report_device_fault(self, failure: DeviceFailure) -> None:
        channel = self.RUNS.get(failure.device)
        if channel is None:
            super().report_device_fault(failure)
            return
        self.tlm[channel] += 1
        if self.tlm[channel] == 1:
            super().report_device_fault(failure)

    def device_ok(self, device: str) -> None:
        self.tlm[self.RUNS[device]] = 0


class RcsHealth(RunCounted, Component):
    CHANNELS = (Channel("rcs_faults", int, doc="consecutive cycles with the RCS not answering"),)
    EVENTS = (DEVICE_FAULT,)
    SUBSCRIBES = (Sub(RCS_FORCE, "_on_force"),)

    def __init__(self, name: str, rcs: Rcs) -> None:
        super().__init__(name)
        self.rcs = rcs
        self.RUNS = {rcs.name: "rcs_faults"}
        self._error: DeviceFault | None = None

    def _on_force(self, force: tuple) -> None:
        try:
            self.rcs.command(force, ZERO_TORQUE)
        except DeviceFault as exc:     # reported by this cycle's poll, as one fault of the run
            self._error = exc

    def step(self, t_ns: int) -> None:
        exc, self._error = self._error, None
        if exc is not None:
            self.report_device_fault(DeviceFailure(self.rcs.name, str(exc)))
            return
        if not failed(self.device_call(self.rcs.read)):
            self.device_ok(self.rcs.name)


__all__ = ["RcsHealth", "RunCounted"]

"""The lockstep-over-serial clock: waiting for a deadline asks the bench emulator to step its
plant there and waits for the acknowledgement, so a HIL run sees exactly SIL's time line."""
from __future__ import annotations

from hal.errors import DeviceFault
from hal.serial.link import SerialLink


class BenchClockFault(DeviceFault):
    """The bench did not acknowledge a clock step (emulator dead, hung or not lockstep)."""


class LockstepSerialClock:
    """`fsw.core.clock.Clock` whose time only moves when the emulator has stepped its plant."""

    def __init__(self, link: SerialLink, start_ns: int = 0) -> None:
        self.link = link
        self._now = int(start_ns)
        self.advances = 0

    def now_ns(self) -> int:
        return self._now

    def sync(self) -> int:
        """Take the bench plant's time as ours (a board resuming after a reset: the bench held
        its plant at the last step the board asked for). Returns it."""
        try:
            self._now = max(self._now, self.link.plant_time())
        except DeviceFault as exc:
            raise BenchClockFault(f"the bench emulator did not tell its plant time ({type(exc).__name__}: "
                                  f"{exc}); is `msr hil emulate` running, in lockstep mode?", "clock") from exc
        return self._now

    def sleep_until(self, deadline_ns: int) -> int:
        if deadline_ns > self._now:
            try:
                self.link.advance_to(deadline_ns)
            except DeviceFault as exc:
                raise BenchClockFault(
                    f"the bench emulator did not step its plant to t={deadline_ns} ns "
                    f"({type(exc).__name__}: {exc}); is `msr hil emulate` running, in lockstep mode?",
                    "clock") from exc
            self._now = deadline_ns
            self.advances += 1
        return 0


__all__ = ["BenchClockFault", "LockstepSerialClock"]

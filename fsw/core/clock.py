"""The clock seam: flight code waits for deadlines and never reads the wall clock itself.

`SimClock` makes waiting step the attached plant (lockstep SIL); `LinuxClock` sleeps to
absolute CLOCK_MONOTONIC deadlines so a fixed-rate loop never drifts.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import time
from typing import Protocol


class Steppable(Protocol):
    """Anything that can be advanced to an absolute simulated time (a plant, an emulator link)."""

    def advance_to(self, t_ns: int) -> None: ...


class Clock(Protocol):
    """Time source and waiter of the executive. All times are integer nanoseconds."""

    def now_ns(self) -> int: ...

    def sleep_until(self, deadline_ns: int) -> int:
        """Wait for `deadline_ns`; return how late the wake-up was (ns, >= 0)."""
        ...


class SimClock:
    """Simulated time: waiting for a deadline advances every attached plant to it, in order."""

    def __init__(self, start_ns: int = 0) -> None:
        self._now = int(start_ns)
        self._steppers: list[Steppable] = []

    def attach(self, stepper: Steppable) -> None:
        self._steppers.append(stepper)

    def now_ns(self) -> int:
        return self._now

    def sleep_until(self, deadline_ns: int) -> int:
        if deadline_ns > self._now:
            for stepper in self._steppers:
                stepper.advance_to(deadline_ns)
            self._now = deadline_ns
        return 0

    def charge(self, duration_ns: int) -> None:
        """Model execution time in SIL (used to inject overruns); time moves, the plant follows."""
        self.sleep_until(self._now + int(duration_ns))


CLOCK_MONOTONIC = 1
TIMER_ABSTIME = 1


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _load_clock_nanosleep():
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "clock_nanosleep", None)
    if fn is None:
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.POINTER(_Timespec), ctypes.POINTER(_Timespec)]
    fn.restype = ctypes.c_int
    return fn


class LinuxClock:
    """CLOCK_MONOTONIC with absolute-deadline sleeps (clock_nanosleep, TIMER_ABSTIME).

    Sleeping to an absolute deadline means a late wake-up never shifts the next one, so the
    loop keeps its phase for as long as it runs. Falls back to a relative sleep where
    clock_nanosleep is missing (not Linux), which is still drift-free because the remaining
    time is recomputed from the absolute deadline on every call.
    """

    def __init__(self) -> None:
        self._nanosleep = _load_clock_nanosleep()
        self._ts = _Timespec()

    @property
    def absolute(self) -> bool:
        return self._nanosleep is not None

    def now_ns(self) -> int:
        return time.monotonic_ns()

    def sleep_until(self, deadline_ns: int) -> int:
        if self._nanosleep is not None:
            ts = self._ts
            ts.tv_sec, ts.tv_nsec = divmod(deadline_ns, 1_000_000_000)
            while True:
                rc = self._nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ctypes.byref(ts), None)
                if rc != 4:  # EINTR: a signal woke us early; sleep again to the same deadline
                    break
        else:  # pragma: no cover - non-Linux fallback
            remaining = deadline_ns - time.monotonic_ns()
            if remaining > 0:
                time.sleep(remaining / 1e9)
        return max(0, time.monotonic_ns() - deadline_ns)


def reduce_timer_slack(slack_ns: int = 1) -> bool:
    """Ask Linux for a tighter timer slack (PR_SET_TIMERSLACK); returns False where refused."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        PR_SET_TIMERSLACK = 29
        return libc.prctl(PR_SET_TIMERSLACK, ctypes.c_ulong(slack_ns), 0, 0, 0) == 0
    except (OSError, AttributeError, TypeError):  # pragma: no cover
        return False


__all__ = ["Clock", "SimClock", "LinuxClock", "Steppable", "reduce_timer_slack"]

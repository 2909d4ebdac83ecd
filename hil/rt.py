"""Real-time set-up of the board process: each step tried, reported, and undone on exit.

Steps: SCHED_FIFO priority, CPU affinity, mlockall, gc freeze/disable, timer slack. A step
the kernel or container refuses is reported "not permitted" (or "not supported") and the
run goes on with a warning listing them; nothing here raises for a refusal. `realtime()`
is a context manager that restores the previous scheduling, affinity, memory locking, gc
and timer slack, so a test process is left as it was found.
"""
from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import gc
import os
from dataclasses import dataclass, field
from typing import Iterator

from fsw.core.clock import reduce_timer_slack
from hil.bench import RealtimeSettings

OK, NOT_PERMITTED, NOT_SUPPORTED, SKIPPED = "ok", "not permitted", "not supported", "skipped"
MCL_CURRENT, MCL_FUTURE = 1, 2
PR_GET_TIMERSLACK = 30
DEFAULT_TIMER_SLACK_NS = 50_000


@dataclass
class RtReport:
    steps: dict[str, str] = field(default_factory=dict)     # step -> status
    details: dict[str, str] = field(default_factory=dict)   # step -> why (errors)

    def set(self, step: str, status: str, detail: str = "") -> None:
        self.steps[step] = status
        if detail:
            self.details[step] = detail

    @property
    def refused(self) -> list[str]:
        return [s for s, st in self.steps.items() if st in (NOT_PERMITTED, NOT_SUPPORTED)]

    def warning(self) -> str | None:
        if not self.refused:
            return None
        parts = [f"{s} ({self.steps[s]}{': ' + self.details[s] if s in self.details else ''})"
                 for s in self.refused]
        return "real-time set-up incomplete, timing will be worse: " + "; ".join(parts)

    def as_dict(self) -> dict:
        return {"steps": dict(self.steps), "details": dict(self.details), "warning": self.warning()}


def _libc():
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    except OSError:  # pragma: no cover
        return None


def _status(exc: OSError) -> str:
    return NOT_PERMITTED if exc.errno in (errno.EPERM, errno.EACCES) else NOT_SUPPORTED


def _timer_slack(libc) -> int | None:
    try:
        v = libc.prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)
        return v if v >= 0 else None
    except (AttributeError, TypeError):  # pragma: no cover
        return None


@contextlib.contextmanager
def realtime(settings: RealtimeSettings) -> Iterator[RtReport]:
    """Apply `settings` to this process (its calling thread for scheduling) and undo on exit."""
    report = RtReport()
    undo: list = []
    libc = _libc()
    try:
        # scheduling
        if settings.priority > 0 and hasattr(os, "sched_setscheduler"):
            try:
                old = (os.sched_getscheduler(0), os.sched_getparam(0))
                os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(settings.priority))
                undo.append(lambda o=old: os.sched_setscheduler(0, o[0], o[1]))
                report.set("sched_fifo", OK, f"priority {settings.priority}")
            except OSError as exc:
                report.set("sched_fifo", _status(exc), exc.strerror or str(exc))
        elif settings.priority > 0:
            report.set("sched_fifo", NOT_SUPPORTED, "no sched_setscheduler on this platform")
        else:
            report.set("sched_fifo", SKIPPED, "priority 0 in the bench file")
        # affinity
        if settings.cpus and hasattr(os, "sched_setaffinity"):
            try:
                old_cpus = os.sched_getaffinity(0)
                os.sched_setaffinity(0, set(settings.cpus))
                undo.append(lambda o=old_cpus: os.sched_setaffinity(0, o))
                report.set("cpu_affinity", OK, f"cpus {sorted(settings.cpus)}")
            except OSError as exc:
                report.set("cpu_affinity", _status(exc), exc.strerror or str(exc))
        else:
            report.set("cpu_affinity", SKIPPED if not settings.cpus else NOT_SUPPORTED)
        # memory locking
        if settings.mlockall and libc is not None and hasattr(libc, "mlockall"):
            if libc.mlockall(MCL_CURRENT | MCL_FUTURE) == 0:
                undo.append(libc.munlockall)
                report.set("mlockall", OK)
            else:
                e = ctypes.get_errno()
                report.set("mlockall", NOT_PERMITTED if e in (errno.EPERM, errno.ENOMEM) else NOT_SUPPORTED,
                           os.strerror(e))
        else:
            report.set("mlockall", SKIPPED if not settings.mlockall else NOT_SUPPORTED)
        # garbage collector
        if settings.gc in ("freeze", "disable"):
            was_enabled = gc.isenabled()
            gc.collect()
            if settings.gc == "freeze":
                gc.freeze()
                undo.append(gc.unfreeze)
            gc.disable()
            undo.append(lambda w=was_enabled: gc.enable() if w else None)
            report.set("gc", OK, settings.gc)
        else:
            report.set("gc", SKIPPED, "gc left on")
        # timer slack
        old_slack = _timer_slack(libc) if libc is not None else None
        if reduce_timer_slack(settings.timer_slack_ns):
            undo.append(lambda s=old_slack or DEFAULT_TIMER_SLACK_NS: reduce_timer_slack(s))
            report.set("timer_slack", OK, f"{settings.timer_slack_ns} ns")
        else:
            report.set("timer_slack", NOT_SUPPORTED)
        yield report
    finally:
        for fn in reversed(undo):
            with contextlib.suppress(OSError):
                fn()


__all__ = ["RtReport", "realtime", "OK", "NOT_PERMITTED", "NOT_SUPPORTED", "SKIPPED"]

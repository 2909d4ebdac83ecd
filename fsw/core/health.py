"""Health: turns the executive's own accounting into telemetry, events and FDIR inputs.

It listens for steps that raised (the executive isolates them) and watches cycle slips. A
step fault is loud: the first exception of a step, and every `report_every`-th after it, is a
STEP_FAULT event naming the step, the exception type, its message and the raising line
(`Executive.fault_info`), and every one counts in the `step_faults` channel. A component
whose step raised on `dead_after` consecutive runs is declared dead (an event and the
`components_dead` channel, which an FDIR monitor turns into a response); one that then
runs clean for `recover_after` runs is declared recovered (a transient fault, e.g. a reset
peripheral, need not keep the vehicle safed forever). The dead set survives a warm restart. A loop that
stops ticking altogether is the job of `LoopWatchdog` (a thread, like a hardware watchdog),
which reports the component whose step is stuck.
"""
from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable, Mapping

from .component import Component
from .declarations import Channel
from .events import EventDef, Severity


class Health(Component):
    CHANNELS = (Channel("slips", int), Channel("ticks_skipped", int), Channel("step_faults", int),
                Channel("components_dead", int), Channel("loop_stalls", int))
    EVENTS = (
        EventDef("STEP_FAULT", Severity.WARNING_HI,
                 "{component} raised {error}: {message} at {where} (fault {count})", component=str, error=str, message=str, where=str, count=int),
        EventDef("COMPONENT_DEAD", Severity.FATAL, "{component} raised on {runs} runs in a row", component=str, runs=int),
        EventDef("CYCLE_SLIP", Severity.WARNING_LO, "{slips} slips, {skipped} ticks skipped so far", slips=int, skipped=int),
        EventDef("LOOP_STALL", Severity.FATAL, "loop stalled {stalled_ms} ms in {component}", stalled_ms=int, component=str),
        EventDef("COMPONENT_RECOVERED", Severity.ACTIVITY_HI, "{component} ran clean on {runs} runs in a row", component=str, runs=int),
    )

    def __init__(self, name: str, executive: Any, *, dead_after: int = 3, recover_after: int = 20,
                 report_every: int = 100) -> None:
        super().__init__(name)
        self.executive = executive
        self.dead_after = dead_after
        self.recover_after = recover_after
        self.report_every = max(1, int(report_every))
        self.dead: set[str] = set()
        self._clean: dict[str, int] = {}   # dead component -> clean runs since its last fault
        self._streak: dict[str, int] = {}
        self._faulted_since_step: set[str] = set()
        self._seen_slips = 0
        executive.fault_listeners.append(self._on_fault)

    def _on_fault(self, component: str, t_ns: int, exc: Exception) -> None:
        self._faulted_since_step.add(component)
        self.tlm["step_faults"] += 1
        info = self.executive.fault_info.get(component)
        count = self.executive.step_faults.get(component, 1)   # kept across a warm restart
        if count == 1 or count % self.report_every == 0 or (info is not None and info.count == 1):
            self.emit("STEP_FAULT", component=component, error=type(exc).__name__,
                      message=info.message if info is not None else str(exc),
                      where=info.where if info is not None else "?", count=count)

    def on_loop_stall(self, component: str, stalled_ns: int) -> None:
        """Called by the LoopWatchdog (from its thread) when the loop stops ticking."""
        self.tlm["loop_stalls"] += 1
        self.emit("LOOP_STALL", component=component, stalled_ms=stalled_ns // 1_000_000)

    def step(self, t_ns: int) -> None:
        ex = self.executive
        if not (self._faulted_since_step or self._streak or self.dead) and ex.slips == self._seen_slips:
            tlm = self.tlm   # the quiet path, every fdir cycle of every flight
            tlm["ticks_skipped"] = ex.ticks_skipped
            if ex.step_faults:   # restored across a warm restart
                tlm["step_faults"] = sum(ex.step_faults.values())
            return
        for comp in list(self._streak):
            if comp not in self._faulted_since_step:
                del self._streak[comp]
        for comp in sorted(self._faulted_since_step):
            n = self._streak.get(comp, 0) + 1
            self._streak[comp] = n
            if n >= self.dead_after and comp not in self.dead:
                self.dead.add(comp)
                self.emit("COMPONENT_DEAD", component=comp, runs=n)
        for comp in sorted(self.dead):
            clean = 0 if comp in self._faulted_since_step else self._clean.get(comp, 0) + 1
            self._clean[comp] = clean
            if clean >= self.recover_after:
                self.dead.discard(comp)
                del self._clean[comp]
                self.emit("COMPONENT_RECOVERED", component=comp, runs=clean)
        self._faulted_since_step.clear()
        if ex.slips != self._seen_slips:
            self._seen_slips = ex.slips
            self.emit("CYCLE_SLIP", slips=ex.slips, skipped=ex.ticks_skipped)
        tlm = self.tlm
        tlm["slips"] = ex.slips
        tlm["ticks_skipped"] = ex.ticks_skipped
        tlm["step_faults"] = sum(ex.step_faults.values())
        tlm["components_dead"] = len(self.dead)

    def checkpoint_state(self) -> dict[str, Any]:
        """A dead component stays dead across a reset until it has run clean again."""
        return super().checkpoint_state() | {"dead": sorted(self.dead)}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        dead = state.get("dead", [])
        if isinstance(dead, list):
            self.dead = {str(c) for c in dead}
            self._clean = {c: 0 for c in self.dead}
            self.tlm["components_dead"] = len(self.dead)


def running_component(thread_id: int) -> str:
    """Name of the innermost component whose method is on the given thread's stack."""
    frame = sys._current_frames().get(thread_id)
    while frame is not None:
        obj = frame.f_locals.get("self")
        if isinstance(obj, Component):
            return obj.name
        frame = frame.f_back
    return "<executive>"


class LoopWatchdog:
    """A thread that expects the executive's tick counter to move at least every `timeout_ns`.

    On a stall it names the component stuck on the loop thread and calls `on_stall(component,
    stalled_ns)` once per stall (for example Health.on_loop_stall, or a handler that resets
    the processor). Used in real time; in SIL overruns are modelled with SimClock.charge.
    `poll()` is one look of the thread (tests drive it with a fake `now_ns`, no thread).
    """

    def __init__(self, executive: Any, timeout_ns: int,
                 on_stall: Callable[[str, int], None], *, now_ns: Callable[[], int] = time.monotonic_ns) -> None:
        self.executive = executive
        self.timeout_ns = int(timeout_ns)
        self.on_stall = on_stall
        self.now_ns = now_ns
        self.stalls = 0
        self._loop_thread = threading.get_ident()
        self._last_tick = executive.tick
        self._last_move = now_ns()
        self._reported = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="loop-watchdog", daemon=True)

    def __enter__(self) -> "LoopWatchdog":
        self._loop_thread = threading.get_ident()
        self._last_tick, self._last_move, self._reported = self.executive.tick, self.now_ns(), False
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def poll(self) -> bool:
        """Look at the tick counter once; True when this look reported a (new) stall."""
        tick = self.executive.tick
        now = self.now_ns()
        if tick != self._last_tick:
            self._last_tick, self._last_move, self._reported = tick, now, False
        elif not self._reported and now - self._last_move > self.timeout_ns:
            self._reported = True
            self.stalls += 1
            self.on_stall(running_component(self._loop_thread), now - self._last_move)
            return True
        return False

    def _watch(self) -> None:
        poll = self.timeout_ns / 4e9
        while not self._stop.wait(poll):
            self.poll()

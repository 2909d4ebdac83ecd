"""The fixed-step executive: one base rate, rate groups as integer divisors, fixed order.

The same loop runs lockstep SIL and real time; only the Clock differs. Tick k is due at
start + k * period (absolute deadlines, so no drift). If a tick's work runs past the next
deadline that is one cycle slip, counted once, and the loop rejoins the grid at the next
deadline still ahead (skipped ticks are counted too). A step that raises is isolated: the
exception is counted against it and passed to the fault listeners (FDIR), and the rest of
the tick runs. Execution times are measured for the
statistics only and never enter the deterministic telemetry stream.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from math import gcd
from typing import Callable, Iterable, Sequence

from .bus import Bus
from .clock import Clock
from .component import Component, TimeRef
from .time import period_ns


@dataclass
class GroupStats:
    runs: int = 0
    exec_ns_total: int = 0
    exec_ns_max: int = 0
    slips: int = 0  # ticks whose overrun started while this group was running last

    @property
    def exec_ns_mean(self) -> float:
        return self.exec_ns_total / self.runs if self.runs else 0.0


@dataclass
class RateGroup:
    name: str
    divisor: int
    steps: list[Callable[[int], None]]
    components: list[Component]
    offset: int = 0
    stats: GroupStats = field(default_factory=GroupStats)


class Executive:
    def __init__(self, clock: Clock, base_rate_hz: int, *, bus: Bus | None = None,
                 start_ns: int | None = None) -> None:
        self.clock = clock
        self.base_rate_hz = base_rate_hz
        self.period_ns = period_ns(base_rate_hz)
        self.bus = bus if bus is not None else Bus()
        self.time = TimeRef()
        self.groups: list[RateGroup] = []
        self.start_ns = clock.now_ns() if start_ns is None else start_ns
        self.tick = 0              # index of the next tick to run
        self.slips = 0
        self.ticks_skipped = 0
        self.max_lateness_ns = 0   # latest wake-up seen (real time only)
        self.step_faults: dict[str, int] = {}  # exceptions caught per step (component name)
        self.fault_listeners: list[Callable[[str, int, Exception], None]] = []
        self._schedule: list[list[RateGroup]] | None = None
        self._stopped = False

    def add_group(self, name: str, divisor: int, items: Iterable[Component | Callable[[int], None]],
                  offset: int = 0) -> RateGroup:
        """Add a rate group running every `divisor` base ticks (phase `offset`), in list order."""
        if not isinstance(divisor, int) or divisor < 1:
            raise ValueError(f"rate group {name}: divisor must be a positive integer")
        if not 0 <= offset < divisor:
            raise ValueError(f"rate group {name}: offset must be in [0, {divisor})")
        steps: list[Callable[[int], None]] = []
        comps: list[Component] = []
        for it in items:
            if isinstance(it, Component):
                it.time = self.time
                comps.append(it)
                steps.append(it.step)
            elif callable(it):
                steps.append(it)
            else:
                raise TypeError(f"rate group {name}: {it!r} is neither a component nor callable")
        group = RateGroup(name, divisor, steps, comps, offset)
        self.groups.append(group)
        self._schedule = None
        return group

    @property
    def components(self) -> list[Component]:
        return [c for g in self.groups for c in g.components]

    def _build_schedule(self) -> list[list[RateGroup]]:
        hyper = 1
        for g in self.groups:
            hyper = hyper * g.divisor // gcd(hyper, g.divisor)
        return [[g for g in self.groups if k % g.divisor == g.offset] for k in range(hyper)]

    def _step_fault(self, group: RateGroup, index: int, t_ns: int, exc: Exception) -> None:
        step = group.steps[index]
        name = getattr(getattr(step, "__self__", None), "name", None) or getattr(step, "__name__", repr(step))
        self.step_faults[name] = self.step_faults.get(name, 0) + 1
        for listener in self.fault_listeners:
            listener(name, t_ns, exc)

    def now_ns(self) -> int:
        """Time of the current (or last started) tick."""
        return self.time.now_ns

    def stop(self) -> None:
        """Ask the loop to end after the current tick (from a component or a test)."""
        self._stopped = True

    def run(self, *, ticks: int | None = None, until_ns: int | None = None,
            stop_when: Callable[[], bool] | None = None) -> int:
        """Run ticks until a limit is reached; returns the number of ticks run."""
        if self._schedule is None:
            self._schedule = self._build_schedule()
        schedule = self._schedule
        hyper = len(schedule)
        clock = self.clock
        bus = self.bus
        timeref = self.time
        period = self.period_ns
        start = self.start_ns
        perf = time.perf_counter_ns
        ran = 0
        self._stopped = False
        end_tick = None if ticks is None else self.tick + ticks
        while not self._stopped:
            k = self.tick
            if end_tick is not None and k >= end_tick:
                break
            deadline = start + k * period
            if until_ns is not None and deadline > until_ns:
                break
            late = clock.sleep_until(deadline)
            if late > self.max_lateness_ns:
                self.max_lateness_ns = late
            timeref.now_ns = deadline
            last = None
            for group in schedule[k % hyper]:
                t0 = perf()
                steps = group.steps
                n = len(steps)
                i = 0
                while i < n:  # the try costs nothing until a step raises
                    try:
                        while i < n:
                            steps[i](deadline)
                            i += 1
                    except Exception as exc:  # isolate the faulty step, keep the loop alive
                        self._step_fault(group, i, deadline, exc)
                        i += 1
                dt = perf() - t0
                st = group.stats
                st.runs += 1
                st.exec_ns_total += dt
                if dt > st.exec_ns_max:
                    st.exec_ns_max = dt
                if bus._queue:
                    bus.deliver()
                last = group
            ran += 1
            nxt = k + 1
            now = clock.now_ns()
            if now > start + nxt * period:  # this tick overran the next deadline: one slip
                self.slips += 1
                if last is not None:
                    last.stats.slips += 1
                ahead = (now - start) // period + 1
                self.ticks_skipped += ahead - nxt
                nxt = ahead
            self.tick = nxt
            if stop_when is not None and stop_when():
                break
        return ran

    def stats(self) -> dict[str, dict[str, float]]:
        """Execution statistics (non-deterministic: keep out of the telemetry log)."""
        return {g.name: {"runs": g.stats.runs, "exec_us_mean": g.stats.exec_ns_mean / 1e3,
                         "exec_us_max": g.stats.exec_ns_max / 1e3, "slips": g.stats.slips}
                for g in self.groups} | {"_total": {"slips": self.slips,
                                                    "ticks_skipped": self.ticks_skipped}}



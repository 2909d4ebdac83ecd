"""The fixed-step executive: one base rate, rate groups as integer divisors, fixed order.

The same loop runs lockstep SIL and real time; only the Clock differs. Tick k is due at
start + k * period (absolute deadlines, so no drift). If a tick's work runs past the next
deadline that is one cycle slip, counted once, and the loop rejoins the grid at the next
deadline still ahead (skipped ticks are counted too). A step that raises is isolated: the
exception is counted against it (`step_faults`, and `fault_info` with its type, message and
raising line), passed to the fault listeners (Health turns it into a STEP_FAULT event and
telemetry), and the rest of the tick runs. Bus messages (fsw.core.ports) are delivered as soon
as the step that published them returns, so every later step of the tick sees them; a
subscriber's handler that raises counts as a fault of the publishing step. Execution times are measured for the statistics only and never enter the
deterministic telemetry stream.

A vehicle may declare more than one *rate set* (say "nominal" at 50 Hz and "quiet" at 1 Hz
for a long settled coast). `select_rate_set` switches at the next tick boundary: the new
grid starts at the deadline the old one would have used next, so time stays exact and a
lockstep HIL run switches on the very same tick as SIL.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from math import gcd
from typing import Callable, Iterable

from .bus import Bus
from .clock import Clock
from .component import Component, TimeRef
from .origin import MESSAGE_MAX, raising_line
from .time import period_ns

NOMINAL = "nominal"


@dataclass
class GroupStats:
    runs: int = 0
    exec_ns_total: int = 0
    exec_ns_max: int = 0
    slips: int = 0  # overruns that ended while this group was the last one run
    step_faults: int = 0  # steps of this group that raised

    @property
    def exec_ns_mean(self) -> float:
        return self.exec_ns_total / self.runs if self.runs else 0.0


@dataclass
class StepFault:
    """What the executive knows of the exceptions one step raised: how many, the first and
    the latest (type, message, raising line, tick time)."""

    step: str
    count: int = 0
    first_t_ns: int = 0
    first: str = ""            # "KeyError: 'x' at fsw/x.py:12"
    t_ns: int = 0
    error: str = ""            # type name of the latest exception
    message: str = ""
    where: str = ""

    def record(self, t_ns: int, exc: BaseException) -> None:
        self.count += 1
        self.t_ns = t_ns
        self.error = type(exc).__name__
        self.message = str(exc)[:MESSAGE_MAX]
        self.where = raising_line(exc)
        if self.count == 1:
            self.first_t_ns = t_ns
            self.first = self.describe()

    def describe(self) -> str:
        return f"{self.error}: {self.message} at {self.where}"


@dataclass
class RateGroup:
    name: str
    divisor: int
    steps: list[Callable[[int], None]]
    components: list[Component]
    offset: int = 0
    stats: GroupStats = field(default_factory=GroupStats)


@dataclass
class RateSet:
    name: str
    base_rate_hz: int
    period_ns: int
    groups: list[RateGroup] = field(default_factory=list)
    table: list[list[RateGroup]] | None = None  # groups due on each tick of the hyperperiod

    def build(self) -> list[list[RateGroup]]:
        hyper = 1
        for g in self.groups:
            hyper = hyper * g.divisor // gcd(hyper, g.divisor)
        self.table = [[g for g in self.groups if k % g.divisor == g.offset] for k in range(hyper)]
        return self.table


class Executive:
    def __init__(self, clock: Clock, base_rate_hz: int, *, bus: Bus | None = None,
                 start_ns: int | None = None) -> None:
        self.clock = clock
        self.bus = bus if bus is not None else Bus()
        self.rate_sets: dict[str, RateSet] = {}
        self.add_rate_set(NOMINAL, base_rate_hz)
        self._active = self.rate_sets[NOMINAL]
        self._pending: str | None = None
        self.start_ns = clock.now_ns() if start_ns is None else start_ns
        self.time = TimeRef(self.start_ns)   # events emitted while building carry the start time
        self.tick = 0              # index of the next tick on the active rate set's grid
        self.ticks_run = 0
        self.slips = 0
        self.ticks_skipped = 0
        self.max_lateness_ns = 0   # latest wake-up seen (real time only)
        self.step_faults: dict[str, int] = {}  # exceptions caught per step (component name)
        self.fault_info: dict[str, StepFault] = {}   # the same, with what was raised and where
        self.fault_listeners: list[Callable[[str, int, Exception], None]] = []
        self._stopped = False

    # ------------------------------------------------------------------ set-up
    @property
    def base_rate_hz(self) -> int:
        return self._active.base_rate_hz

    @property
    def period_ns(self) -> int:
        return self._active.period_ns

    @property
    def rate_set(self) -> str:
        return self._active.name

    @property
    def groups(self) -> list[RateGroup]:
        return [g for rs in self.rate_sets.values() for g in rs.groups]

    def add_rate_set(self, name: str, base_rate_hz: int) -> None:
        if name in self.rate_sets:
            raise ValueError(f"rate set {name} already defined")
        self.rate_sets[name] = RateSet(name, base_rate_hz, period_ns(base_rate_hz))

    def add_group(self, name: str, divisor: int, items: Iterable[Component | Callable[[int], None]],
                  offset: int = 0, rate_set: str = NOMINAL) -> RateGroup:
        """Add a rate group running every `divisor` base ticks (phase `offset`), in list order."""
        if not isinstance(divisor, int) or divisor < 1:
            raise ValueError(f"rate group {name}: divisor must be a positive integer")
        if not 0 <= offset < divisor:
            raise ValueError(f"rate group {name}: offset must be in [0, {divisor})")
        rs = self.rate_sets.get(rate_set)
        if rs is None:
            raise ValueError(f"rate group {name}: no rate set {rate_set!r}")
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
            self._join_bus(getattr(it, "__self__", it), name)
        group = RateGroup(name, divisor, steps, comps, offset)
        rs.groups.append(group)
        rs.table = None
        return group

    def _join_bus(self, owner: object, group: str) -> None:
        """Deliver the bus a scheduled component was wired to (fsw.core.ports): the executive
        adopts it while its own is unused; two buses in one executive are an error."""
        ports = getattr(owner, "ports", None)
        bus = getattr(ports, "bus", None)
        if bus is None or bus is self.bus:
            return
        if self.bus.pending or self.bus.subscribed:
            raise ValueError(f"rate group {group}: {getattr(owner, 'name', owner)} is wired to another bus")
        self.bus = bus

    @property
    def components(self) -> list[Component]:
        seen: dict[int, Component] = {}
        for g in self.groups:
            for c in g.components:
                seen.setdefault(id(c), c)
        return list(seen.values())

    def grid_after_tick(self) -> tuple[str, int]:
        """(rate set, grid anchor) the loop will run on after the current tick: a switch asked
        for during the tick starts on the new set's grid at the next deadline (what a
        checkpoint taken inside the tick must record)."""
        if self._pending is None:
            return self._active.name, self.start_ns
        return self._pending, self.start_ns + (self.tick + 1) * self._active.period_ns

    def select_rate_set(self, name: str) -> None:
        """Switch rate sets after the current tick (callable from a component's step)."""
        if name not in self.rate_sets:
            raise ValueError(f"no rate set {name!r}")
        self._pending = None if name == self._active.name else name

    def resume(self, rate_set: str, start_ns: int, after_ns: int) -> None:
        """Warm restart: continue on `rate_set`'s grid anchored at `start_ns`, with the first
        tick strictly after `after_ns` (the time of the reset)."""
        if rate_set not in self.rate_sets:
            raise ValueError(f"no rate set {rate_set!r}")
        self._active = self.rate_sets[rate_set]
        self._pending = None
        self.start_ns = int(start_ns)
        self.tick = max(0, (int(after_ns) - self.start_ns) // self._active.period_ns + 1)

    def restart_at(self, start_ns: int) -> None:
        """Re-anchor the grid (a real-time run starting later than construction)."""
        self.start_ns = int(start_ns)
        self.tick = 0

    def _step_fault(self, group: RateGroup, index: int, t_ns: int, exc: Exception) -> None:
        step = group.steps[index]
        name = getattr(getattr(step, "__self__", None), "name", None) or getattr(step, "__name__", repr(step))
        self.step_faults[name] = self.step_faults.get(name, 0) + 1
        info = self.fault_info.get(name)
        if info is None:
            info = self.fault_info[name] = StepFault(name)
        info.record(t_ns, exc)
        group.stats.step_faults += 1
        for listener in self.fault_listeners:
            listener(name, t_ns, exc)

    def now_ns(self) -> int:
        """Time of the current (or last started) tick."""
        return self.time.now_ns

    def stop(self) -> None:
        """Ask the loop to end after the current tick (from a component or a test)."""
        self._stopped = True

    # ------------------------------------------------------------------ loop
    def run(self, *, ticks: int | None = None, until_ns: int | None = None,
            stop_when: Callable[[], bool] | None = None) -> int:
        """Run ticks until a limit is reached; returns the number of ticks run."""
        clock = self.clock
        bus = self.bus
        queue = bus._queue
        timeref = self.time
        perf = time.perf_counter_ns
        ran = 0
        self._stopped = False
        while True:
            rs = self._active
            table = rs.table if rs.table is not None else rs.build()
            hyper = len(table)
            period = rs.period_ns
            start = self.start_ns
            while not self._stopped:
                if ticks is not None and ran >= ticks:
                    return ran
                k = self.tick
                deadline = start + k * period
                if until_ns is not None and deadline > until_ns:
                    return ran
                late = clock.sleep_until(deadline)
                if late > self.max_lateness_ns:
                    self.max_lateness_ns = late
                timeref.now_ns = deadline
                last = None
                if queue:                 # published between ticks (a restore, a test)
                    bus.deliver()
                t0 = perf()     # one clock read a group: its end is the next group's start
                for group in table[k % hyper]:
                    steps = group.steps
                    n = len(steps)
                    i = 0
                    while i < n:  # the try costs nothing until a step raises
                        try:
                            while i < n:
                                steps[i](deadline)
                                if queue:     # ports: delivered as soon as the publishing step returns
                                    bus.deliver()
                                i += 1
                        except Exception as exc:  # isolate the faulty step (or its subscribers' handlers)
                            self._step_fault(group, i, deadline, exc)
                            i += 1
                    t1 = perf()
                    dt = t1 - t0
                    t0 = t1
                    st = group.stats
                    st.runs += 1
                    st.exec_ns_total += dt
                    if dt > st.exec_ns_max:
                        st.exec_ns_max = dt
                    last = group
                ran += 1
                self.ticks_run += 1
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
                if self._pending is not None:
                    self.start_ns = start + nxt * period
                    self.tick = 0
                    self._active = self.rate_sets[self._pending]
                    self._pending = None
                    if stop_when is not None and stop_when():
                        return ran
                    break  # re-enter with the new rate set's grid
                if stop_when is not None and stop_when():
                    return ran
            else:
                return ran

    def stats(self) -> dict[str, dict[str, float]]:
        """Execution statistics (non-deterministic: keep out of the telemetry log)."""
        out: dict[str, dict[str, float]] = {}
        for rs in self.rate_sets.values():
            for g in rs.groups:
                key = g.name if rs.name == NOMINAL else f"{rs.name}.{g.name}"
                out[key] = {"runs": g.stats.runs, "exec_us_mean": g.stats.exec_ns_mean / 1e3,
                            "exec_us_max": g.stats.exec_ns_max / 1e3, "slips": g.stats.slips,
                            "step_faults": g.stats.step_faults}
        out["_total"] = {"slips": self.slips, "ticks_skipped": self.ticks_skipped,
                         "ticks_run": self.ticks_run, "step_faults": sum(self.step_faults.values())}  # integer sum
        out["_step_faults"] = dict(sorted(self.step_faults.items()))
        return out

    def step_fault_lines(self) -> list[str]:
        """One line per step that raised: count, first and latest exception with its line."""
        out = []
        for name, info in sorted(self.fault_info.items()):
            line = f"{name}: {info.count} step fault(s), first at t={info.first_t_ns / 1e9:.3f} s: {info.first}"
            if info.count > 1:
                line += f"; latest at t={info.t_ns / 1e9:.3f} s: {info.describe()}"
            out.append(line)
        return out

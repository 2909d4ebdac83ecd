"""SIL run harness: one vehicle topology in the executive, lockstep with its plant.

This is what scenarios build and what SIL tests drive: run for a while, wait (in simulated
time) for a mode, an event or a telemetry condition, read recorded telemetry series, and
send commands. A wait that times out raises `SilTimeout` with what the vehicle was doing
(modes, step faults with their raising lines, the last events), so a failing test says why.
A step that raises is never silent: unless the run allows step faults (`allow_step_faults`),
the first run or wait after one raises `SilStepFault` naming the component, the exception
and its line.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np

from fsw.core import Component, Event, Executive, SimClock, Topology
from fsw.core.component import CommandResult
from fsw.core.time import NS_PER_S, ns_to_seconds, seconds_to_ns


class SilTimeout(AssertionError):
    """A SIL wait ran out of simulated time; the message shows the vehicle's state."""


class SilStepFault(AssertionError):
    """A component's step raised during a SIL run that does not allow step faults."""


class TelemetryRecorder:
    """Topology sink keeping every sampled channel value as a time series in memory."""

    def __init__(self) -> None:
        self._t: dict[str, list[int]] = {}
        self._v: dict[str, list[Any]] = {}

    def on_channels(self, t_ns: int, component: Component, values: Mapping[str, Any]) -> None:
        prefix = component.name + "."
        for name, value in values.items():
            key = prefix + name
            ts = self._t.get(key)
            if ts is None:
                ts = self._t[key] = []
                self._v[key] = []
            ts.append(t_ns)
            self._v[key].append(value)

    def on_event(self, event: Event, component: Component) -> None:
        pass

    def channels(self) -> list[str]:
        return sorted(self._t)

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """(time in s, values) of channel "component.channel"."""
        if key not in self._t:
            known = ", ".join(self.channels()) or "none recorded yet"
            raise KeyError(f"no telemetry channel {key!r}; known: {known}")
        return np.asarray(self._t[key], dtype=np.int64) / NS_PER_S, np.asarray(self._v[key])

    def last(self, key: str) -> Any:
        return self.series(key)[1][-1]


class SilRun:
    """A vehicle in the loop with its plant. `plant` is stepped by the SimClock (lockstep)."""

    def __init__(self, topology: Topology, executive: Executive, clock: SimClock,
                 plant: Any = None, *, allow_step_faults: bool = True) -> None:
        self.topology = topology
        self.executive = executive
        self.clock = clock
        self.plant = plant
        self.allow_step_faults = allow_step_faults
        self._reported = 0
        self.recorder = TelemetryRecorder()
        topology.attach(self.recorder)

    def _run(self, *, stop_when: Callable[[], bool] | None = None, **kw: Any) -> int:
        if not self.allow_step_faults:   # stop on the tick that raised
            faults = self.executive.step_faults
            cond = stop_when
            stop_when = (lambda: bool(faults) or cond()) if cond is not None else (lambda: bool(faults))
        ran = self.executive.run(stop_when=stop_when, **kw)
        self.check_step_faults()
        return ran

    def unreported_step_faults(self) -> int:
        """Step faults not yet raised as SilStepFault (0 when the run allows them)."""
        if self.allow_step_faults:
            return 0
        return sum(self.executive.step_faults.values()) - self._reported  # integer sum

    def check_step_faults(self) -> None:
        """Raise SilStepFault if a step raised and this run does not allow it."""
        if self.unreported_step_faults():
            self._reported = sum(self.executive.step_faults.values())  # integer sum
            raise SilStepFault(f"a component's step raised at t={self.t:.3f} s (allow with "
                               f"allow_step_faults=True or @pytest.mark.allow_step_faults)\n"
                               + self._state())

    # ------------------------------------------------------------------ time
    @property
    def t_ns(self) -> int:
        return self.executive.now_ns()

    @property
    def t(self) -> float:
        return ns_to_seconds(self.t_ns)

    def run_for(self, seconds: float) -> None:
        self._run(until_ns=self.t_ns + seconds_to_ns(seconds))

    def run_until(self, condition: Callable[[], bool], *, timeout_s: float, what: str = "") -> float:
        """Run until `condition()` holds after a tick; return the simulated time (s) it took."""
        start = self.t_ns
        if condition():
            return 0.0
        self._run(until_ns=start + seconds_to_ns(timeout_s), stop_when=condition)
        if not condition():
            raise SilTimeout(self._explain(what or getattr(condition, "__name__", "condition"),
                                           timeout_s))
        return ns_to_seconds(self.t_ns - start)

    # ------------------------------------------------------------------ waits
    def wait_mode(self, component: str, mode: str, *, timeout_s: float) -> float:
        comp = self.topology[component]
        return self.run_until(lambda: comp.mode == mode, timeout_s=timeout_s,
                              what=f"{component} to reach mode {mode}")

    def wait_event(self, name: str, *, timeout_s: float, component: str | None = None) -> Event:
        seen = len(self.topology.events)
        found: list[Event] = []

        def check() -> bool:
            for ev in self.topology.events[seen:]:
                if ev.name == name and (component is None or ev.component == component):
                    found.append(ev)
                    return True
            return False
        self.run_until(check, timeout_s=timeout_s,
                       what=f"event {name}" + (f" from {component}" if component else ""))
        return found[0]

    def wait_tlm(self, key: str, predicate: Callable[[Any], bool], *, timeout_s: float,
                 what: str = "") -> Any:
        comp_name, _, chan = key.partition(".")
        comp = self.topology[comp_name]
        if chan not in comp.tlm:
            raise KeyError(f"{comp_name} has no channel {chan!r}; it has {sorted(comp.tlm)}")
        self.run_until(lambda: predicate(comp.tlm[chan]), timeout_s=timeout_s,
                       what=what or f"telemetry {key} to satisfy the condition")
        return comp.tlm[chan]

    # ------------------------------------------------------------------ access
    def command(self, target: str, **args: Any) -> CommandResult:
        return self.topology.dispatch(target, args)

    def events(self, name: str | None = None, component: str | None = None) -> list[Event]:
        return [e for e in self.topology.events
                if (name is None or e.name == name) and (component is None or e.component == component)]

    def series(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        return self.recorder.series(key)

    def mode(self, component: str) -> str | None:
        return self.topology[component].mode

    # ------------------------------------------------------------------ assertions
    def expect_always(self, key: str, predicate: Callable[[Any], bool], *, between: tuple[float, float] | None = None,
                      what: str = "") -> None:
        """Every recorded sample of `key` (optionally within [t0, t1] s) satisfies `predicate`;
        otherwise fail naming the first offending time and value."""
        t, v = self.series(key)
        for ti, vi in zip(t, v):
            if between is not None and not between[0] <= ti <= between[1]:
                continue
            if not predicate(vi):
                raise AssertionError(f"{key} broke {what or 'the condition'} at t={ti:.3f} s: value {vi!r}"
                                     f" ({len(t)} samples from {t[0]:.3f} to {t[-1]:.3f} s)")

    def expect_eventually(self, key: str, predicate: Callable[[Any], bool], *, what: str = "") -> float:
        """Some recorded sample satisfies `predicate`; returns its time, else fails with the range seen."""
        t, v = self.series(key)
        for ti, vi in zip(t, v):
            if predicate(vi):
                return float(ti)
        lo, hi = (min(v), max(v)) if len(v) and np.issubdtype(np.asarray(v).dtype, np.number) else (None, None)
        raise AssertionError(f"{key} never met {what or 'the condition'} in {len(t)} samples"
                             + (f" (values from {lo:.6g} to {hi:.6g})" if lo is not None else ""))

    def _explain(self, what: str, timeout_s: float, last: int = 8) -> str:
        return (f"timed out after {timeout_s:g} s of simulated time waiting for {what}\n"
                + self._state(last))

    def _state(self, last: int = 8) -> str:
        """Modes, step faults (component, exception, raising line) and the last events."""
        modes = ", ".join(f"{n}={m}" for n, m in self.topology.modes().items() if m is not None)
        faults = "\n".join(f"    {line}" for line in self.executive.step_fault_lines()) or "    none"
        tail = "\n".join(f"    t={ns_to_seconds(e.t_ns):10.3f}s {e.component}: {e.text}"
                         for e in self.topology.events[-last:]) or "    (no events)"
        return (f"  at t={self.t:.3f} s, modes: {modes}\n  step faults:\n{faults}\n"
                f"  last events:\n{tail}")


def start_deployment(scenario: str, *, seed: int = 1, overrides: Mapping[str, Any] | None = None,
                     allow_step_faults: bool = True, protection: bool = True) -> tuple[SilRun, Any]:
    """A scenario deployment ready to drive step by step: (SilRun, its device set to close).
    The flight side is the scenario's flight build, fault protection included."""
    from sim.deployment import Deployment
    dep = Deployment(scenario, seed, dict(overrides or {}), protection=protection)
    plant = dep.plant()
    devices = dep.sim_devices(plant)
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    try:
        topology, executive = dep.flight(devices, clock)
    except BaseException:
        devices.close()
        raise
    return SilRun(topology, executive, clock, plant, allow_step_faults=allow_step_faults), devices


def build_run(topology: Topology, base_rate_hz: int, groups: Iterable[tuple[str, int, list]],
              plant: Any = None, telemetry_divisor: int | None = None) -> SilRun:
    """Assemble clock, executive and topology; `groups` are (name, divisor, items)."""
    clock = SimClock(plant.now_ns() if plant is not None else 0)
    if plant is not None:
        clock.attach(plant)
    ex = Executive(clock, base_rate_hz)
    for name, divisor, items in groups:
        ex.add_group(name, divisor, items)
    if telemetry_divisor:
        ex.add_group("telemetry", telemetry_divisor, [topology.sample_telemetry])
    return SilRun(topology, ex, clock, plant)

"""The injector: applies fault specs to a SIL run at their time or phase, and takes them away.

It is the first step of every tick (a fault switched on at tick k acts from tick k on, and
"ticks to detection" counts whole ticks from there). Sensor and actuator faults go through the
simulated device channels (`hal.simulated.SimChannel.set_fault`), a slow step through
`SimClock.charge` (the tick overruns, the executive counts a slip), a crashing component by
wrapping its step in the executive's rate groups, loss of ground link through the ground
heartbeat, and a processor reset by asking the runner to tear the flight side down.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fsw.core.time import seconds_to_ns

from .spec import FaultSpec

INJECTOR_GROUP = "inject"


class InjectedCrash(RuntimeError):
    """Raised by a component step that the injector made crash."""


@dataclass
class Injection:
    spec: FaultSpec
    start_ns: int | None = None
    end_ns: int | None = None
    start_tick: int | None = None
    active: bool = False
    done: bool = False
    error: str | None = None   # the fault could not be applied (unknown device, say)


class _CrashingStep:
    """Stands in for a component's step in a rate group while a crash fault is active."""

    def __init__(self, step: Any, injection: Injection) -> None:
        self.step = step
        self.__self__ = getattr(step, "__self__", None)
        self.injection = injection

    def __call__(self, t_ns: int) -> None:
        if self.injection.active:
            raise InjectedCrash(f"injected crash in {getattr(self.__self__, 'name', '?')}")
        self.step(t_ns)


@dataclass
class Injector:
    specs: tuple[FaultSpec, ...]
    devices: Any
    clock: Any
    rng: np.random.Generator
    topology: Any = None
    executive: Any = None
    ground: Any = None
    ticks: int = 0
    reset_pending: bool = False
    injections: list[Injection] = field(default_factory=list)
    _origin_ns: int | None = None

    def __post_init__(self) -> None:
        self.injections = [Injection(s) for s in self.specs]

    def attach(self, topology: Any, executive: Any, ground: Any) -> None:
        """Follow a (re)built flight side: our step in every rate set, crashes re-wrapped."""
        self.topology, self.executive, self.ground = topology, executive, ground
        if self._origin_ns is None:
            self._origin_ns = executive.start_ns
        for name, rs in executive.rate_sets.items():
            group = executive.add_group(INJECTOR_GROUP, 1, [self], rate_set=name)
            rs.groups.remove(group)
            rs.groups.insert(0, group)   # first in the tick
            rs.table = None
        for inj in self.injections:
            if inj.spec.kind == "crash":
                self._wrap(inj)
            if inj.spec.kind == "link_loss" and inj.active and ground is not None:
                ground.outage = True

    # ------------------------------------------------------------------ per tick
    def __call__(self, t_ns: int) -> None:
        self.ticks += 1
        for inj in self.injections:
            if inj.done:
                continue
            if not inj.active:
                if self._due(inj, t_ns):
                    self._start(inj, t_ns)
            elif inj.end_ns is not None and t_ns >= inj.end_ns:
                self._stop(inj)
            if inj.active and inj.spec.kind == "overrun":
                self.clock.charge(max(1, math.ceil(inj.spec.level)) * self.executive.period_ns)

    def _due(self, inj: Injection, t_ns: int) -> bool:
        s = inj.spec
        if s.at_s is not None:
            return t_ns >= self._origin_ns + seconds_to_ns(s.at_s)
        if inj.start_ns is None:   # waiting for the phase; then the delay
            comp, mode = s.when.split(":", 1)
            c = self.topology.components.get(comp)
            if c is None or c.mode != mode:
                return False
            inj.start_ns = t_ns + seconds_to_ns(s.delay_s)
        return t_ns >= inj.start_ns

    def _start(self, inj: Injection, t_ns: int) -> None:
        s = inj.spec
        inj.start_ns, inj.start_tick, inj.active = t_ns, self.ticks, True
        inj.end_ns = None if s.duration_s is None else t_ns + seconds_to_ns(s.duration_s)
        try:
            if s.kind in ("dropout", "stuck", "bias", "noise"):
                self._channel(s.target).set_fault(s.kind, magnitude=s.level, field=s.field, rng=self.rng)
            elif s.kind in ("actuator_stuck", "actuator_failed"):
                ch = self._channel(s.target)
                if not ch.kind.is_actuator:
                    raise ValueError(f"{s.target} is not an actuator")
                ch.set_fault(s.kind.removeprefix("actuator_"))
            elif s.kind == "link_loss":
                if self.ground is None:
                    raise ValueError("no ground heartbeat installed")
                self.ground.outage = True
            elif s.kind == "reset":
                self.reset_pending = True
                inj.active, inj.done = False, True
            elif s.kind == "crash":
                if s.target not in self.topology.components:
                    raise ValueError(f"no component {s.target!r}")
        except (KeyError, ValueError, AttributeError) as exc:
            inj.error = f"{type(exc).__name__}: {exc}"
            inj.active, inj.done = False, True

    def _stop(self, inj: Injection) -> None:
        s = inj.spec
        inj.active, inj.done = False, True
        if s.kind in ("dropout", "stuck", "bias", "noise", "actuator_stuck", "actuator_failed"):
            self._channel(s.target).set_fault(None)
        elif s.kind == "link_loss":
            self.ground.outage = False

    def _channel(self, device: str) -> Any:
        return self.devices[device].channel

    def _wrap(self, inj: Injection) -> None:
        comp = self.topology.components.get(inj.spec.target)
        for group in self.executive.groups:
            for i, step in enumerate(group.steps):
                if getattr(step, "__self__", None) is comp and not isinstance(step, _CrashingStep):
                    group.steps[i] = _CrashingStep(step, inj)


__all__ = ["INJECTOR_GROUP", "InjectedCrash", "Injection", "Injector"]

"""Fault detection, isolation and recovery, table-driven like cFS's limit checker.

A `FaultTable` lists monitors over telemetry channels ("component.channel"):
  - limit: value outside [lo, hi];
  - stale: value unchanged for `stale_ticks` evaluations (a frozen sensor or counter);
  - disagree: |a - b| > tolerance between redundant sources.
A monitor trips after `persistence` consecutive violations, emits FAULT_DETECTED, and runs
its response once (a mode trigger, a command, or several in order); it re-arms only after it
has been clear for `persistence` evaluations, so a flapping sensor does not spam responses.
Monitors can be limited to modes of a component (a grain-temperature limit only matters
before ignition).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from .component import CommandError, Component, command
from .declarations import Arg, Channel
from .events import EventDef, Severity


@dataclass(frozen=True)
class Action:
    """One response step: fire `trigger` on `target` component, or dispatch `target` = "comp.CMD"."""

    target: str
    trigger: str | None = None
    args: tuple[tuple[str, Any], ...] = ()

    def describe(self) -> str:
        return f"{self.target}:{self.trigger}" if self.trigger else self.target


@dataclass(frozen=True)
class Monitor:
    name: str
    kind: str  # "limit" | "stale" | "disagree"
    channel: str
    lo: float | None = None
    hi: float | None = None
    other: str | None = None
    tolerance: float = 0.0
    stale_ticks: int = 0
    persistence: int = 1
    response: tuple[Action, ...] = ()
    when: tuple[str, tuple[str, ...]] | None = None  # (component, modes) gating the check
    doc: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("limit", "stale", "disagree"):
            raise ValueError(f"monitor {self.name}: unknown kind {self.kind!r}")
        if self.kind == "limit" and self.lo is None and self.hi is None:
            raise ValueError(f"monitor {self.name}: a limit needs lo and/or hi")
        if self.kind == "stale" and self.stale_ticks < 1:
            raise ValueError(f"monitor {self.name}: stale_ticks must be >= 1")
        if self.kind == "disagree" and self.other is None:
            raise ValueError(f"monitor {self.name}: disagree needs a second channel")
        if self.persistence < 1:
            raise ValueError(f"monitor {self.name}: persistence must be >= 1")


@dataclass
class MonitorState:
    count: int = 0          # consecutive violations
    clear_count: int = 0    # consecutive passes while tripped
    tripped: bool = False
    enabled: bool = True
    trips: int = 0
    last_value: Any = None
    unchanged: int = 0
    first_violation_ns: int | None = None
    detected_ns: list[int] = field(default_factory=list)


class FaultProtection(Component):
    """Evaluates a fault table each cycle against the topology's telemetry."""

    CHANNELS = (Channel("tripped", int, doc="monitors currently tripped"),
                Channel("trips_total", int), Channel("responses_total", int))
    EVENTS = (
        EventDef("FAULT_DETECTED", Severity.WARNING_HI, "{monitor}: {detail} ({persisted} cycles)", monitor=str, detail=str, persisted=int),
        EventDef("FAULT_RESPONSE", Severity.ACTIVITY_HI, "{monitor}: {action} -> {result}", monitor=str, action=str, result=str),
        EventDef("FAULT_CLEARED", Severity.ACTIVITY_LO, "{monitor} clear", monitor=str),
    )

    def __init__(self, name: str, topology: Any, table: tuple[Monitor, ...]) -> None:
        super().__init__(name)
        self.topology = topology
        self.table = tuple(table)
        self.state = {m.name: MonitorState() for m in self.table}
        if len(self.state) != len(self.table):
            raise ValueError("duplicate monitor names")
        self._tripped = 0
        self._rows = [self._row(m) for m in self.table]

    def _row(self, m: Monitor) -> tuple:
        """What step() reads per monitor, looked up once: the channel's telemetry dict and key,
        the limits (infinite when absent), the gating component's mode model and modes."""
        tlm, chan = self._channel(m.channel)
        model, modes = None, frozenset()
        if m.when is not None:
            model = self.topology.components[m.when[0]]._model   # the mode, read without the property
            modes = frozenset(m.when[1])
        lo = -math.inf if m.lo is None else m.lo
        hi = math.inf if m.hi is None else m.hi
        return (m, self.state[m.name], tlm, chan, m.kind == "limit", lo, hi, model, modes,
                self._reader(m.channel), self._reader(m.other) if m.other else None)

    def _channel(self, key: str) -> tuple[dict[str, Any], str]:
        comp_name, _, chan = key.partition(".")
        comp = self.topology.components.get(comp_name)
        if comp is None or chan not in comp.tlm:
            raise ValueError(f"fault table: no telemetry channel {key!r}")
        return comp.tlm, chan

    def _reader(self, key: str) -> Callable[[], Any]:
        tlm, chan = self._channel(key)
        return lambda: tlm[chan]

    def step(self, t_ns: int) -> None:
        # Runs at the fdir rate in every flight: the quiet path (in its modes, enabled, a limit
        # within its limits, not tripped) is kept short; the rest is as the module doc says.
        for m, st, tlm, chan, is_limit, lo, hi, model, modes, read, read_other in self._rows:
            if (model is not None and model.state not in modes) or not st.enabled:
                st.count = 0
                if st.tripped and st.enabled:   # out of its modes: the trip is over, so
                    st.tripped = False          # the fault trips again if it is back when
                    st.clear_count = 0          # the vehicle returns to them
                    self._tripped -= 1
                    self.emit("FAULT_CLEARED", monitor=m.name)
                continue
            if is_limit and not st.count and not st.tripped and lo <= tlm[chan] <= hi:
                continue   # (a NaN fails both comparisons and is checked below)
            violated, detail = self._check(m, st, read, read_other)
            if violated:
                if st.count == 0:
                    st.first_violation_ns = t_ns
                st.count += 1
                st.clear_count = 0
                if not st.tripped and st.count >= m.persistence:
                    self._trip(m, st, detail, t_ns)
            else:
                st.count = 0
                if st.tripped:
                    st.clear_count += 1
                    if st.clear_count >= m.persistence:
                        st.tripped = False
                        self._tripped -= 1
                        self.emit("FAULT_CLEARED", monitor=m.name)
        self.tlm["tripped"] = self._tripped

    @staticmethod
    def _check(m: Monitor, st: MonitorState, read, read_other) -> tuple[bool, str]:
        value = read()
        if m.kind == "limit":
            bad = (isinstance(value, float) and math.isnan(value)) or \
                (m.lo is not None and value < m.lo) or (m.hi is not None and value > m.hi)
            return bad, f"{m.channel}={value:.6g} outside [{m.lo}, {m.hi}]" if bad else ""
        if m.kind == "stale":
            if value == st.last_value:
                st.unchanged += 1
            else:
                st.unchanged = 0
                st.last_value = value
            bad = st.unchanged >= m.stale_ticks
            return bad, f"{m.channel} unchanged for {st.unchanged} cycles" if bad else ""
        other = read_other()
        diff = abs(value - other)
        bad = not diff <= m.tolerance
        return bad, f"|{m.channel} - {m.other}| = {diff:.6g} > {m.tolerance}" if bad else ""

    def _trip(self, m: Monitor, st: MonitorState, detail: str, t_ns: int) -> None:
        st.tripped = True
        self._tripped += 1
        st.trips += 1
        st.detected_ns.append(t_ns)
        self.tlm["trips_total"] += 1
        self.emit("FAULT_DETECTED", monitor=m.name, detail=detail, persisted=st.count)
        for action in m.response:
            if action.trigger is not None:
                comp = self.topology.components.get(action.target)
                ok = comp.trigger(action.trigger) if comp is not None else False
                result = "done" if ok else "refused"
            else:
                result = self.topology.dispatch(action.target, dict(action.args)).status.value
            self.tlm["responses_total"] += 1
            self.emit("FAULT_RESPONSE", monitor=m.name, action=action.describe(), result=result)

    def _monitor(self, name: str) -> MonitorState:
        st = self.state.get(name)
        if st is None:
            raise CommandError(f"no monitor {name}")
        return st

    @command("MONITOR_ENABLE", Arg("monitor", str), Arg("enabled", bool))
    def _cmd_monitor_enable(self, monitor: str, enabled: bool) -> None:
        st = self._monitor(monitor)
        st.enabled = enabled
        st.count = 0

    @command("MONITOR_RESET", Arg("monitor", str))
    def _cmd_monitor_reset(self, monitor: str) -> None:
        st = self._monitor(monitor)
        st.tripped, st.count, st.clear_count = False, 0, 0
        self._recount()

    def _recount(self) -> None:
        self._tripped = sum(s.tripped for s in self.state.values())
        self.tlm["tripped"] = self._tripped

    def checkpoint_state(self) -> dict[str, Any]:
        """Monitors that ever tripped or were disabled (the others are as built: a checkpoint
        is saved every second, and most monitors never leave their initial state)."""
        return super().checkpoint_state() | {
            "monitors": {n: {"tripped": s.tripped, "trips": s.trips, "enabled": s.enabled}
                         for n, s in self.state.items() if s.trips or s.tripped or not s.enabled}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        """A monitor that had tripped stays tripped, so its response is not repeated."""
        super().restore_state(state)
        for name, saved in state.get("monitors", {}).items():
            st = self.state.get(name)
            if st is not None and isinstance(saved, Mapping):
                st.tripped = bool(saved.get("tripped", False))
                st.trips = int(saved.get("trips", 0))
                st.enabled = bool(saved.get("enabled", True))
        self.tlm["trips_total"] = sum(s.trips for s in self.state.values())
        self._recount()

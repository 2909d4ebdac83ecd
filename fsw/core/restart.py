"""Warm restart: what survives a processor reset, saved at a rate and on key events.

`capture` gathers every component's `checkpoint_state()` (modes, parameters, counters, and
what each vehicle adds: custody ledgers, guidance phase, ignition state) with the
executive's time line; `restore` puts it back into a flight side built afresh by the same
deployment code, and re-anchors the executive on its old tick grid after the reset.

`WarmRestart` is the component that does it on board: a topology sink that notices key
events (a mode change, a tube moved, an ignition), and a rate-group step that then saves a
checkpoint at the end of that tick (and every `every_ticks` runs or `every_ns` of flight
time anyway, but a periodic save at most once per `min_ticks` base ticks of the active rate
set: 1 s at 10 and 50 Hz, 10 s in a 1 Hz quiet set, where the vehicle is settled by design
and its state moves slowly; a vehicle may set its own period per rate set, `period_ns`; key
events still save at once). Before each save it
calls the flushers it is given (flush and fsync a log; a flusher may return a mapping such
as {"telemetry.bin": bytes_on_disk}, kept in the checkpoint under "logs"), so every log
record older than the newest checkpoint is on disk: a reset loses at most the records
after the last save, never one before it. A save that fails (disk full, read-only) is an event and a counter, never an
exception into the loop.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from .checkpoint import CheckpointError, CheckpointStore
from .component import Component
from .declarations import Channel
from .events import Event, EventDef, Severity

SAVE_ON_EVENTS = frozenset({
    "MODE_CHANGED", "TUBE_REGISTERED", "TUBE_MOVED", "OS_SEALED", "TUBE_INSERTED", "TUBE_STOWED",
    "HANDOFF_RESULT", "IGNITION", "BURNOUT", "STAGE2_PLAN", "STEP_VERIFIED", "COMPONENT_DEAD",
    "FAULT_DETECTED", "SEQ_CMD", "SEQ_CMD_FAILED",
})
BASE_KEYS = frozenset({"mode", "params", "counters"})
FORMAT = 1


def capture(topology: Any, executive: Any) -> dict[str, Any]:
    """The whole warm-restart state of one vehicle (plain JSON)."""
    ex = executive
    rate_set, start_ns = ex.grid_after_tick()   # a switch asked for in this tick counts
    return {
        "format": FORMAT,
        "vehicle": topology.vehicle,
        "executive": {"t_ns": ex.now_ns(), "start_ns": start_ns, "tick": ex.tick,
                      "rate_set": rate_set, "ticks_run": ex.ticks_run, "slips": ex.slips,
                      "ticks_skipped": ex.ticks_skipped, "step_faults": dict(sorted(ex.step_faults.items()))},
        "components": {name: comp.checkpoint_state() for name, comp in topology.components.items()},
    }


@dataclass
class RestoreReport:
    t_saved_ns: int
    t_now_ns: int
    restored: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)      # in the topology, not in the checkpoint
    unknown: list[str] = field(default_factory=list)      # in the checkpoint, not in the topology
    refused: dict[str, str] = field(default_factory=dict)  # restore_state raised (kept as built)
    not_restored: dict[str, list[str]] = field(default_factory=dict)  # saved keys nobody puts back

    @property
    def lost_ns(self) -> int:
        """Time between the checkpoint and the restart: work that must be redone."""
        return self.t_now_ns - self.t_saved_ns


def _restores_extras(comp: Component) -> bool:
    return type(comp).restore_state is not Component.restore_state


def restore(topology: Any, executive: Any, state: Mapping[str, Any], now_ns: int) -> RestoreReport:
    """Put `state` back into a freshly built flight side; the executive resumes on its old grid
    at the first deadline after `now_ns` (the reset took time; the world went on)."""
    if state.get("format") != FORMAT or state.get("vehicle") != topology.vehicle:
        raise CheckpointError(f"checkpoint is for {str(state.get('vehicle'))[:40]!r} format "
                              f"{str(state.get('format'))[:20]!r}, not {topology.vehicle!r} format {FORMAT}")
    ex_state = _executive_state(state.get("executive"))
    saved = state.get("components", {})
    if not isinstance(saved, Mapping):
        raise CheckpointError("checkpoint components are not a table")
    report = RestoreReport(ex_state["t_ns"], int(now_ns))
    for name, comp in topology.components.items():
        s = saved.get(name)
        if s is None:
            report.missing.append(name)
            continue
        if not isinstance(s, Mapping):
            report.refused[name] = "saved state is not a table"
            continue
        try:
            comp.restore_state(s)
        except Exception as exc:  # a corrupt entry: keep the component as built, say so
            report.refused[name] = f"{type(exc).__name__}: {exc}"
            continue
        report.restored.append(name)
        extra = sorted(set(s) - BASE_KEYS)
        if extra and not _restores_extras(comp):
            report.not_restored[name] = extra
    report.unknown = sorted(set(saved) - set(topology.components))
    _reanchor(executive, ex_state, int(now_ns))
    return report


def _count(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not -2**63 <= value < 2**63:
        raise CheckpointError(f"checkpoint executive {what} is not a 64-bit integer")
    return value


def _executive_state(s: Any) -> dict[str, Any]:
    """The executive's saved time line, checked whole before anything is restored (a crafted
    or damaged one is a CheckpointError, never half a restore)."""
    if not isinstance(s, Mapping):
        raise CheckpointError("checkpoint has no executive table")
    faults = s.get("step_faults", {})
    if not isinstance(faults, Mapping):
        raise CheckpointError("checkpoint executive step_faults is not a table")
    name = s.get("rate_set")
    return {"t_ns": _count(s.get("t_ns"), "t_ns"), "start_ns": _count(s.get("start_ns"), "start_ns"),
            "rate_set": name if isinstance(name, str) else None,
            **{k: _count(s.get(k, 0), k) for k in ("ticks_run", "slips", "ticks_skipped")},
            "step_faults": {str(k): _count(v, "step_faults") for k, v in faults.items()}}


def _reanchor(ex: Any, s: Mapping[str, Any], now_ns: int) -> None:
    name = s["rate_set"]
    start = s["start_ns"]
    if now_ns >= start:
        ex.resume(name if name in ex.rate_sets else ex.rate_set, start, now_ns)
    ex.ticks_run = s["ticks_run"]
    ex.slips = s["slips"]
    ex.ticks_skipped = s["ticks_skipped"]
    ex.step_faults = dict(s["step_faults"])
    ex.time.now_ns = max(ex.time.now_ns, now_ns)   # what the restart says is stamped then


class WarmRestart(Component):
    """Saves checkpoints on key events and every `every_ticks` runs or `every_ns`; restores
    after a reset."""

    CHANNELS = (Channel("restarts", int), Channel("generation", int),
                Channel("saves", int), Channel("save_failures", int))
    EVENTS = (
        EventDef("WARM_RESTART", Severity.WARNING_HI,
                 "restart {restarts}: generation {generation} from t={saved_s} s, {lost_s} s redone; "
                 "not restored: {not_restored}", restarts=int, generation=int, saved_s=float, lost_s=float, not_restored=str),
        EventDef("COLD_START", Severity.WARNING_HI, "no usable checkpoint ({reason}); starting fresh", reason=str),
        EventDef("CHECKPOINT_FAILED", Severity.WARNING_HI, "checkpoint not saved: {error}", error=str),
    )

    def __init__(self, name: str, store: CheckpointStore, topology: Any, executive: Any, *,
                 every_ticks: int = 0, every_ns: int = 0, min_ticks: int = 10,
                 period_ns: Mapping[str, int] | None = None, on_events: Iterable[str] = SAVE_ON_EVENTS,
                 flushers: Iterable[Callable[[], Any]] = ()) -> None:
        super().__init__(name)
        self.store = store
        self.topology = topology
        self.executive = executive
        self.every_ticks = int(every_ticks)
        self.every_ns = int(every_ns)
        self.min_ticks = int(min_ticks)
        self.period_ns = {str(k): int(v) for k, v in (period_ns or {}).items()}   # by rate set
        # no periodic save is due sooner than this after the last one (any rate set): the
        # step of most ticks ends on one comparison
        self._soonest_ns = min((self.every_ns, *self.period_ns.values())) if self.every_ns else None
        self._saved_ns: int | None = None
        self.on_events = frozenset(on_events)
        self.flushers = list(flushers)
        self.last_report: RestoreReport | None = None
        self._dirty = False
        self._runs = 0
        self._saving = False

    # ---- topology sink: key events ask for a save at the end of the tick
    def on_channels(self, t_ns: int, component: Component, values: Mapping[str, Any]) -> None:
        pass

    def on_event(self, event: Event, component: Component) -> None:
        if event.name in self.on_events and not self._saving:
            self._dirty = True

    def step(self, t_ns: int) -> None:
        self._runs += 1
        saved = self._saved_ns
        if not (self._dirty or self.every_ticks or saved is None) and \
                (self._soonest_ns is None or t_ns - saved < self._soonest_ns):
            return
        due = (self.every_ticks and self._runs % self.every_ticks == 0) or \
            (self.every_ns and (self._saved_ns is None or t_ns - self._saved_ns >= self._interval()))
        if self._dirty or due:
            self._saved_ns = t_ns
            self.save()

    def _interval(self) -> int:
        ex = self.executive
        own = self.period_ns.get(ex.rate_set)
        return own if own is not None else max(self.every_ns, self.min_ticks * ex.period_ns)

    def save(self) -> bool:
        self._dirty = False
        self._saving = True
        try:
            logs: dict[str, Any] = {}
            for flush in self.flushers:
                got = flush()
                if isinstance(got, Mapping):
                    logs.update(got)
            self.tlm["generation"] = self.store.generation + 1
            self.tlm["saves"] += 1
            state = capture(self.topology, self.executive)
            state["logs"] = logs
            self.store.save(state)
            return True
        except (OSError, ValueError, TypeError) as exc:  # unwritable disk, a non-JSON state
            self.tlm["save_failures"] += 1
            self.tlm["saves"] -= 1
            self.tlm["generation"] = self.store.generation
            self.emit("CHECKPOINT_FAILED", error=f"{type(exc).__name__}: {exc}")
            return False
        finally:
            self._saving = False

    def resume(self, now_ns: int) -> RestoreReport | None:
        """After a reset: load the newest valid checkpoint and restore everything from it."""
        try:
            state = self.store.load()
            report = restore(self.topology, self.executive, state, now_ns)
        except (CheckpointError, KeyError, TypeError, ValueError, OverflowError) as exc:
            self.emit("COLD_START", reason=str(exc))
            return None
        mine = state["components"].get(self.name, {})
        mine = mine.get("tlm", {}) if isinstance(mine, Mapping) else {}
        mine = mine if isinstance(mine, Mapping) else {}
        counts = {k: mine.get(k, 0) for k in ("restarts", "saves")}
        counts = {k: v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**63 else 0
                  for k, v in counts.items()}
        self.tlm["restarts"] = counts["restarts"] + 1
        self.tlm["saves"] = counts["saves"]
        self.tlm["generation"] = self.store.generation
        self.last_report = report
        self.emit("WARM_RESTART", restarts=self.tlm["restarts"], generation=self.store.generation,
                  saved_s=round(report.t_saved_ns / 1e9, 3), lost_s=round(report.lost_ns / 1e9, 3),
                  not_restored=",".join(f"{k}:{'/'.join(v)}" for k, v in sorted(report.not_restored.items()))
                  or "none")
        return report

    def checkpoint_state(self) -> dict[str, Any]:
        return super().checkpoint_state() | {"tlm": {"restarts": self.tlm["restarts"],
                                                     "saves": self.tlm["saves"]}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)


__all__ = ["BASE_KEYS", "SAVE_ON_EVENTS", "RestoreReport", "WarmRestart", "capture", "restore"]

"""One SIL run with faults injected: the deployment's own flight build (its fault protection
included, the very objects every other flight uses) plus the ground's heartbeat, the
injector, and processor resets done in-process (tear the flight side down, build it again from
the same deployment, restore from the checkpoint, carry on against the same plant and devices).
"""
from __future__ import annotations

import math
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from fsw.core import SimClock
from fsw.core.checkpoint import CheckpointStore, MemoryCheckpointStore
from fsw.core.time import seconds_to_ns
from fsw.vehicles.custody import CustodyLedger
from sim.deployment import Deployment

from .inject import Injector
from .install import Installed
from .spec import FaultSpec

BOOT_S = 0.2   # a warm reboot: the processor is away this long (rounded up to whole ticks)


@dataclass
class Record:
    """One event as the run saw it, with the injector's tick count at that moment."""

    t_ns: int
    tick: int
    component: str
    name: str
    args: dict[str, Any]


class Recorder:
    """Topology sink keeping every event of every incarnation of the flight side."""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.injector: Injector | None = None

    def on_channels(self, t_ns: int, component: Any, values: Mapping[str, Any]) -> None:
        pass

    def on_event(self, event: Any, component: Any) -> None:
        tick = self.injector.ticks if self.injector is not None else 0
        self.records.append(Record(event.t_ns, tick, event.component, event.name, dict(event.args)))


@dataclass
class FaultRun:
    scenario: str
    specs: tuple[FaultSpec, ...]
    injector: Injector
    records: list[Record]
    topology: Any
    executive: Any
    installed: Installed
    plant: Any
    restarts: int = 0
    unhandled: str | None = None
    end_ns: int = 0
    start_ns: int = 0          # the first executive's start (rate-set switches move start_ns)
    vehicle: str = ""          # names the fault-table module
    restore_notes: list[dict[str, Any]] = field(default_factory=list)

    def ledgers(self) -> dict[str, CustodyLedger]:
        """Every custody ledger held by a component (by 'component.attribute')."""
        out: dict[str, CustodyLedger] = {}
        for name, comp in self.topology.components.items():
            for attr, v in sorted(vars(comp).items()):
                if isinstance(v, CustodyLedger):
                    out[f"{name}.{attr}"] = v
        return out


def fly_with_faults(dep: Deployment, specs: Iterable[FaultSpec], *, duration_s: float | None = None,
                    checkpoint_dir: str | Path | None = None, seed: int | None = None,
                    stop_on_done: bool = True, watch_s: float = 1.0) -> FaultRun:
    """Fly `dep` with `specs` injected. The scenario's `done` ends the run only once every
    fault has been applied for `watch_s` and is over (fault protection gets to see it)."""
    specs = tuple(specs)
    plant = dep.plant()
    devices = dep.sim_devices(plant)
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    # a simulated processor's flash: the in-memory store (the same bytes as on a board); the
    # same store object survives the in-process resets, as flash survives a reboot
    store = MemoryCheckpointStore() if checkpoint_dir is None else \
        CheckpointStore(Path(checkpoint_dir) / "checkpoint.json")
    if not dep.protection:
        raise ValueError(f"{dep.name}: a fault run needs the flight's fault protection")
    rng = np.random.default_rng(np.random.SeedSequence([dep.seed if seed is None else seed, 0x5EED]))
    injector = Injector(specs, devices, clock, rng)
    recorder = Recorder()
    recorder.injector = injector
    vehicle = dep.vehicle or dep.name
    done = dep.done() if stop_on_done else None

    def build(resume: bool) -> tuple[Any, Any, Installed]:
        topo, ex = dep.flight(devices, clock, store=store)   # the flight build, protection included
        topo.attach(recorder)
        inst = topo.protection
        injector.attach(topo, ex, inst.ground)
        if resume:
            report = inst.restart.resume(clock.now_ns())
            if report is not None:
                run.restore_notes.append({"t_s": round(clock.now_ns() / 1e9, 3),
                                          "lost_s": round(report.lost_ns / 1e9, 3),
                                          "not_restored": report.not_restored,
                                          "refused": report.refused, "missing": report.missing})
        return topo, ex, inst

    run = FaultRun(dep.name, specs, injector, recorder.records, None, None, None, plant)
    run.vehicle = vehicle
    watch_ns = seconds_to_ns(watch_s)

    def finished(topo: Any) -> bool:
        if done is None or not done(topo):
            return False
        now = clock.now_ns()
        return all(i.error is not None or (i.start_ns is not None and not i.active and now - i.start_ns >= watch_ns)
                   or (i.start_ns is None and not i.spec.when) for i in injector.injections) or not specs
    try:
        topo, ex, inst = build(False)
        run.topology, run.executive, run.installed = topo, ex, inst
        run.start_ns = ex.start_ns
        end = ex.start_ns + seconds_to_ns(dep.duration_s() if duration_s is None else duration_s)
        while True:
            topo_now = run.topology
            ex.run(until_ns=end, stop_when=lambda: injector.reset_pending or finished(topo_now))
            if not injector.reset_pending:
                break
            injector.reset_pending = False
            period = ex.period_ns
            clock.charge(max(1, math.ceil(seconds_to_ns(BOOT_S) / period)) * period)
            topo, ex, inst = build(True)
            run.topology, run.executive, run.installed = topo, ex, inst
            run.restarts += 1
    except Exception as exc:  # reported as the run's unhandled exception, never hidden
        run.unhandled = f"{type(exc).__name__}: {exc}\n" + traceback.format_exc(limit=4)
    finally:
        devices.close()
    run.end_ns = clock.now_ns()
    return run


__all__ = ["BOOT_S", "FaultRun", "Record", "Recorder", "fly_with_faults"]

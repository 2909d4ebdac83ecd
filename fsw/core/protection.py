"""Fault protection wired into a vehicle's flight side: the flight half of issue 11.

`install_protection` adds, after a vehicle's topology and executive are built, the Health
component (step faults, dead components, slips), the ground-link watch, FaultProtection with
the vehicle's fault table plus the generic monitors below, and WarmRestart (checkpoints on
key events and every second), and one "fdir" rate group per rate set at about `fdir_hz`, so
the monitors run at the same rate whatever the vehicle's phase. It is the same call in SIL
(`sim.faults`) and on a board; the ground's half (a heartbeat sender, fault injection) is
not here.

A fault-table module (`fsw.vehicles.<v>.faults`) provides `fault_table(topology)` and
`SAFE_RESPONSE`, and may provide `OVERRUN_RESPONSE`, `LINK_TIMEOUT_S`, `LINK_LOSS_RESPONSE`.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Iterable

from .checkpoint import CheckpointStore
from .fdir import Action, FaultProtection, Monitor
from .health import Health
from .linkwatch import LINK_COMPONENT, LinkWatch
from .restart import WarmRestart
from .time import seconds_to_ns


def generic_monitors(tables: ModuleType) -> tuple[Monitor, ...]:
    """Monitors every vehicle has: dead or crashing components, a stalled loop, slips, a
    silent ground link, a processor reset. Responses come from the vehicle's table module."""
    safe: tuple[Action, ...] = tuple(tables.SAFE_RESPONSE)
    return (
        Monitor("step_fault", "limit", "health.step_faults", hi=0, persistence=1,
                doc="a component's step raised (isolated by the executive)"),
        Monitor("component_dead", "limit", "health.components_dead", hi=0, persistence=1, response=safe,
                doc="a component raised on several runs in a row: safe the vehicle"),
        Monitor("loop_stall", "limit", "health.loop_stalls", hi=0, persistence=1, response=safe,
                doc="the loop stopped ticking (LoopWatchdog, real time)"),
        Monitor("overrun", "limit", "health.slips", hi=0, persistence=1,
                response=tuple(getattr(tables, "OVERRUN_RESPONSE", ())),
                doc="a tick ran past the next deadline (cycle slip)"),
        Monitor("ground_silent", "limit", f"{LINK_COMPONENT}.silent_s", hi=float(getattr(tables, "LINK_TIMEOUT_S", 5.0)),
                persistence=1, response=tuple(getattr(tables, "LINK_LOSS_RESPONSE", ())),
                doc="no ground contact for LINK_TIMEOUT_S: carry on autonomously (vehicle rule)"),
        Monitor("processor_reset", "limit", "restart.restarts", hi=0, persistence=1,
                doc="a warm restart happened (state restored from the checkpoint)"),
    )


@dataclass
class Protection:
    health: Health
    link: LinkWatch
    fdir: FaultProtection
    restart: WarmRestart
    table: tuple[Monitor, ...]


def install_protection(topology: Any, executive: Any, tables: ModuleType, store: CheckpointStore, *,
                       fdir_hz: int = 10, checkpoint_every_s: float = 1.0,
                       flushers: Iterable[Callable[[], Any]] = (), before: Iterable[Callable[[int], None]] = (),
                       extra: Iterable[Any] = ()) -> Protection:
    """Add fault protection to a built flight side. `before`: steps run first in the fdir
    group (in SIL, the ground's heartbeat); `extra`: steps run after the monitors."""
    health = Health("health", executive)
    link = LinkWatch()
    topology.add(health)
    topology.add(link)
    restart = WarmRestart("restart", store, topology, executive,
                          every_ns=seconds_to_ns(checkpoint_every_s), flushers=flushers)
    topology.add(restart)
    table = tuple(tables.fault_table(topology)) + generic_monitors(tables)
    fdir = FaultProtection("fdir", topology, table)
    topology.add(fdir)
    topology.attach(restart)
    steps = [*before, health, link, fdir, *extra, restart]
    for name, rs in executive.rate_sets.items():
        divisor = max(1, rs.base_rate_hz // fdir_hz)
        executive.add_group("fdir", divisor, steps, rate_set=name, offset=divisor - 1)
    return Protection(health, link, fdir, restart, table)


__all__ = ["Protection", "generic_monitors", "install_protection"]

"""Wire fault protection into a flight side built by a scenario, without touching vehicle code.

After `flight()` returns (topology, executive), `install` adds Health, the ground-link watch,
FaultProtection (the vehicle's table from `fsw.vehicles.<v>.faults` plus the generic
monitors below) and WarmRestart, and one "fdir" rate group per rate set at about `fdir_hz`.
The flight-side part of this (everything but the ground heartbeat) belongs in fsw; see
docs/faults.md for the function the lead is asked to own.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Iterable

from fsw.core.checkpoint import CheckpointStore
from fsw.core.fdir import Action, FaultProtection, Monitor
from fsw.core.health import Health
from fsw.core.restart import WarmRestart

from .linkwatch import GroundHeartbeat, LinkWatch

TABLE_MODULES = {"demo": "sim.faults.demo_faults", "custody_demo": "sim.faults.custody_demo"}


def table_module(vehicle: str) -> ModuleType:
    """The fault-table module of a vehicle: fsw.vehicles.<vehicle>.faults (demo vehicles in sim)."""
    return importlib.import_module(TABLE_MODULES.get(vehicle, f"fsw.vehicles.{vehicle}.faults"))


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
        Monitor("ground_silent", "limit", "link.silent_s", hi=float(getattr(tables, "LINK_TIMEOUT_S", 5.0)),
                persistence=1, response=tuple(getattr(tables, "LINK_LOSS_RESPONSE", ())),
                doc="no ground contact for LINK_TIMEOUT_S: carry on autonomously (vehicle rule)"),
        Monitor("processor_reset", "limit", "restart.restarts", hi=0, persistence=1,
                doc="a warm restart happened (state restored from the checkpoint)"),
    )


@dataclass
class Installed:
    health: Health
    link: LinkWatch
    fdir: FaultProtection
    restart: WarmRestart
    ground: GroundHeartbeat | None
    table: tuple[Monitor, ...]


def install(topology: Any, executive: Any, vehicle: str, store: CheckpointStore, *,
            fdir_hz: int = 10, checkpoint_every_s: float = 1.0, heartbeat_s: float | None = 1.0,
            flushers: Iterable[Callable[[], None]] = (), extra: Iterable[Any] = ()) -> Installed:
    tables = table_module(vehicle)
    health = Health("health", executive)
    link = LinkWatch()
    topology.add(health)
    topology.add(link)
    restart = WarmRestart("restart", store, topology, executive,
                          every_ticks=max(1, round(checkpoint_every_s * fdir_hz)), flushers=flushers)
    topology.add(restart)
    table = tuple(tables.fault_table(topology)) + generic_monitors(tables)
    fdir = FaultProtection("fdir", topology, table)
    topology.add(fdir)
    topology.attach(restart)
    ground = GroundHeartbeat(topology, heartbeat_s) if heartbeat_s else None
    steps = ([ground] if ground else []) + [health, link, fdir, *extra, restart]
    for name, rs in executive.rate_sets.items():
        divisor = max(1, rs.base_rate_hz // fdir_hz)
        executive.add_group("fdir", divisor, steps, rate_set=name, offset=divisor - 1)
    return Installed(health, link, fdir, restart, ground, table)


__all__ = ["Installed", "generic_monitors", "install", "table_module"]

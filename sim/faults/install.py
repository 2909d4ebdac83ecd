"""Wire fault protection into a flight side built by a scenario, without touching vehicle code.

After `flight()` returns (topology, executive), `install` calls the flight side's own
`fsw.core.protection.install_protection` with the vehicle's fault-table module and adds the
ground's half: a heartbeat sender run first in the fdir group (`link_loss` silences it).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Callable, Iterable

from fsw.core.checkpoint import CheckpointStore
from fsw.core.protection import Protection, generic_monitors, install_protection

from .linkwatch import GroundHeartbeat

TABLE_MODULES = {"demo": "sim.faults.demo_faults", "custody_demo": "sim.faults.custody_demo"}


def table_module(vehicle: str) -> ModuleType:
    """The fault-table module of a vehicle: fsw.vehicles.<vehicle>.faults (demo vehicles in sim)."""
    return importlib.import_module(TABLE_MODULES.get(vehicle, f"fsw.vehicles.{vehicle}.faults"))


@dataclass
class Installed(Protection):
    """The flight side's protection plus the ground's heartbeat sender."""
    ground: GroundHeartbeat | None = None


def install(topology: Any, executive: Any, vehicle: str, store: CheckpointStore, *,
            fdir_hz: int = 10, checkpoint_every_s: float = 1.0, heartbeat_s: float | None = 1.0,
            flushers: Iterable[Callable[[], None]] = (), extra: Iterable[Any] = ()) -> Installed:
    ground = GroundHeartbeat(topology, heartbeat_s) if heartbeat_s else None
    p = install_protection(topology, executive, table_module(vehicle), store, fdir_hz=fdir_hz,
                           checkpoint_every_s=checkpoint_every_s, flushers=flushers,
                           before=[ground] if ground else [], extra=extra)
    return Installed(**vars(p), ground=ground)


__all__ = ["Installed", "generic_monitors", "install", "table_module"]

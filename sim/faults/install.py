"""The ground's half of a protected flight: a heartbeat sender in the flight's fdir group.

The flight half (Health, the fault table, the generic monitors, the link watch, warm restart)
is built by the vehicle's own flight build (`fsw.core.protection.protect`), the same on every
platform. `add_ground` puts the ground station's heartbeat first in every "fdir" group (the
ground is in contact; `link_loss` injections silence it) and keeps the flight's protection
together with it as `topology.protection` (an `Installed`). SIL runs, fault runs and the HIL
bench (where the bench stands in for the ground) all add it the same way, so their ticks and
logs stay identical.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fsw.core.protection import FDIR_GROUP, Protection, generic_monitors
from fsw.vehicle import Vehicle, resolve

from .linkwatch import GroundHeartbeat


def table_module(vehicle: Vehicle | str) -> ModuleType:
    """The fault-table module a vehicle declares (`Vehicle.faults`); a name is looked up in the registry."""
    from sim import registry
    v = vehicle if isinstance(vehicle, Vehicle) else registry.vehicle(vehicle)
    if not v.faults:
        raise registry.RegistryError(f"vehicle {v.name!r} declares no fault table (Vehicle.faults)")
    try:
        return resolve(v.faults)
    except ImportError as exc:
        raise registry.RegistryError(f"vehicle {v.name!r}: its fault table {v.faults} fails to import: {exc}") from None


@dataclass
class Installed(Protection):
    """The flight side's protection plus the ground's heartbeat sender."""
    ground: GroundHeartbeat | None = None


def add_ground(topology: Any, executive: Any, *, heartbeat_s: float | None = 1.0) -> Installed | None:
    """Add the ground's heartbeat to a protected flight side (None if it has no protection)."""
    p = getattr(topology, "protection", None)
    if p is None:
        return None
    if isinstance(p, Installed):
        return p
    ground = GroundHeartbeat(topology, heartbeat_s) if heartbeat_s else None
    if ground is not None:
        for rs in executive.rate_sets.values():
            for group in rs.groups:
                if group.name == FDIR_GROUP:
                    group.steps.insert(0, ground)
    topology.protection = installed = Installed(**vars(p), ground=ground)
    return installed


__all__ = ["Installed", "add_ground", "generic_monitors", "table_module"]

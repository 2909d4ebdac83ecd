"""Application process ids: one range of APIDs per vehicle, one APID per component.

APID = vehicle base + component id (the component's index in its topology). The table below
holds the bases of the built-in vehicles (`fsw.vehicles.builtin` declares them); any other
vehicle declares its own or is given one by the registry (`sim.registry`), which a flight's
topology carries (`topology.apid_base`). A base is a multiple of 0x20 in [0x100, 0x7C0];
0x000-0x0FF is left free and 0x7FF is the CCSDS idle APID.
"""
from __future__ import annotations

from .errors import DictionaryError

VEHICLE_APID_BASES: dict[str, int] = {
    "lander": 0x100,
    "rover": 0x200,
    "mav": 0x300,
    "ero": 0x400,
    "testbed": 0x500,       # the link's test vehicle (fsw.link.testbed), 0x20 APIDs
    "carousel": 0x520,      # the custody test vehicle (sim.faults.carousel), 0x20 APIDs
    "zone": 0x600,          # the bench's thermal zone and gimbal (sim.scenarios.zone)
}
APID_BLOCK = 0x100
APID_ALIGN = 0x20
IDLE_APID = 0x7FF
MAX_COMPONENTS = APID_BLOCK


def apid_base(vehicle: str, base: int | None = None) -> int:
    """The APID base of `vehicle`: the given one, else the table's; checked either way."""
    if base is None:
        base = VEHICLE_APID_BASES.get(vehicle)
        if base is None:
            raise DictionaryError(f"vehicle {vehicle!r} has no APID base; known: "
                                  f"{sorted(VEHICLE_APID_BASES)} (or pass one)")
    if not isinstance(base, int) or base % APID_ALIGN or not APID_BLOCK <= base <= IDLE_APID - APID_ALIGN:
        raise DictionaryError(f"vehicle {vehicle!r}: APID base {base!r} must be a multiple of "
                              f"{APID_ALIGN:#x} in [0x100, {IDLE_APID - APID_ALIGN:#x}]")
    return base


def component_apid(base: int, component_id: int) -> int:
    if not 0 <= component_id < MAX_COMPONENTS or base + component_id >= IDLE_APID:
        raise DictionaryError(f"component id {component_id} outside [0, {min(MAX_COMPONENTS, IDLE_APID - base)})")
    return base + component_id

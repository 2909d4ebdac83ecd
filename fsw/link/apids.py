"""Application process ids: one block of 256 APIDs per vehicle, one APID per component.

APID = vehicle base + component id (the component's index in its topology). The table below
fixes the bases of the known vehicles; other vehicles pass their own base (a multiple of
0x100 between 0x100 and 0x600). 0x000-0x0FF is left free and 0x7FF is the CCSDS idle APID.
"""
from __future__ import annotations

from .errors import DictionaryError

VEHICLE_APID_BASES: dict[str, int] = {
    "lander": 0x100,
    "rover": 0x200,
    "mav": 0x300,
    "ero": 0x400,
    "demo": 0x600,
}
APID_BLOCK = 0x100
MAX_COMPONENTS = APID_BLOCK


def apid_base(vehicle: str, base: int | None = None) -> int:
    """The APID base of `vehicle`: the given one, else the table's; checked either way."""
    if base is None:
        base = VEHICLE_APID_BASES.get(vehicle)
        if base is None:
            raise DictionaryError(f"vehicle {vehicle!r} has no APID base; known: "
                                  f"{sorted(VEHICLE_APID_BASES)} (or pass one)")
    if base % APID_BLOCK or not APID_BLOCK <= base <= 0x600:
        raise DictionaryError(f"vehicle {vehicle!r}: APID base {base:#x} must be a multiple of "
                              f"{APID_BLOCK:#x} in [0x100, 0x600]")
    return base


def component_apid(base: int, component_id: int) -> int:
    if not 0 <= component_id < MAX_COMPONENTS:
        raise DictionaryError(f"component id {component_id} outside [0, {MAX_COMPONENTS})")
    return base + component_id

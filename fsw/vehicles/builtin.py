"""The built-in vehicles' declarations, registered like any other (pyproject entry points,
group `msr.vehicles`). Components are named by path so that listing vehicles imports none."""
from __future__ import annotations

from fsw.link.apids import VEHICLE_APID_BASES
from fsw.vehicle import Vehicle


def _builtin(name: str) -> Vehicle:
    return Vehicle(name, f"fsw.vehicles.{name}:MODE_COMPONENTS", VEHICLE_APID_BASES[name],
                   faults=f"fsw.vehicles.{name}.faults")


LANDER = _builtin("lander")
ROVER = _builtin("rover")
MAV = _builtin("mav")
ERO = _builtin("ero")
TESTBED = Vehicle("testbed", "fsw.link.testbed:MODE_COMPONENTS", VEHICLE_APID_BASES["testbed"], apids=0x20)

__all__ = ["ERO", "LANDER", "MAV", "ROVER", "TESTBED"]

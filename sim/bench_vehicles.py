"""The declarations of the bench's small vehicles (`zone`, `carousel`), apart from their
scenario modules so that listing vehicles (every flight checks its APIDs against all of them)
imports no plant: a board's flight side stays as light as it was."""
from __future__ import annotations

from fsw.link.apids import VEHICLE_APID_BASES
from fsw.vehicle import Vehicle

ZONE = Vehicle("zone", "sim.scenarios.zone:MODE_COMPONENTS", VEHICLE_APID_BASES["zone"],
               faults="sim.faults.zone_faults")
CAROUSEL = Vehicle("carousel", "sim.faults.carousel:MODE_COMPONENTS", VEHICLE_APID_BASES["carousel"],
                   faults="sim.faults.carousel", apids=0x20)

__all__ = ["CAROUSEL", "ZONE"]

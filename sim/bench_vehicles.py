"""The declarations of the bench's small vehicles (`zone`, `carousel`), apart from their
scenario modules so that listing vehicles (every flight checks its APIDs against all of them)
imports no plant: a board's flight side stays as light as it was."""
from __future__ import annotations

from typing import Any, Callable

from fsw.core.devices import DeviceFailure
from fsw.link.apids import VEHICLE_APID_BASES
from fsw.vehicle import Vehicle
from hal.errors import DeviceFault

ZONE = Vehicle("zone", "sim.scenarios.zone:MODE_COMPONENTS", VEHICLE_APID_BASES["zone"],
               faults="sim.faults.zone_faults")
CAROUSEL = Vehicle("carousel", "sim.faults.carousel:MODE_COMPONENTS", VEHICLE_APID_BASES["carousel"],
                   faults="sim.faults.carousel", apids=0x20)



def device_cycle(component: Any, cycle: Callable[[], None]) -> bool:
    """Run one cycle of a bench vehicle's component; False if a device faulted in it. The
    cycle ends at the fault, reported once through the core (`report_device_fault`:
    `device_faults` + 1, then the one DEVICE_FAULT naming the device that raised it). The
    bench vehicles read several devices per cycle and want none of them after a fault, so
    they wrap the cycle, not each call (`device_call` would name the cycle, not the unit)."""
    try:
        cycle()
    except DeviceFault as exc:
        component.report_device_fault(DeviceFailure(exc.device or "?", str(exc)))
        return False
    return True


__all__ = ["CAROUSEL", "ZONE", "device_cycle"]

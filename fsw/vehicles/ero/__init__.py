"""Earth Return Orbiter capture system: rendezvous, capture, containment, return.

`build_flight(devices, clock)` is the ERO as it flies (with its fault protection);
`build_ero(devices)` wires the components alone; `MODE_COMPONENTS` is what `msr modes ero` draws.
"""
from __future__ import annotations

from .capture import EroCaptureManager
from .containment import EroContainment
from .rcs import RcsHealth
from .relnav import EroRelNav
from .devices import CCRS_KINDS, DEVICE_KINDS, RENDEZVOUS_KINDS, EroDevices
from .modes import ERO_MODES
from .vehicle import BASE_RATE_HZ, EroVehicle, build_ero, build_flight

# the manager keeps its historical key "capture" (it flies as "ccrs"); the others as they fly
MODE_COMPONENTS = {"capture": EroCaptureManager, "relnav": EroRelNav, "containment": EroContainment, "rcs": RcsHealth}

__all__ = ["MODE_COMPONENTS", "ERO_MODES", "EroCaptureManager", "EroContainment", "EroRelNav", "RcsHealth", "EroDevices", "DEVICE_KINDS",
           "RENDEZVOUS_KINDS", "CCRS_KINDS", "EroVehicle", "build_ero", "build_flight", "BASE_RATE_HZ"]

"""Wiring of the ERO capture system: one manager component at 10 Hz plus telemetry at 1 Hz."""
from __future__ import annotations

from dataclasses import dataclass

from fsw.core.executive import Executive
from fsw.core.topology import Topology

from .capture import EroCaptureManager
from .devices import EroDevices

BASE_RATE_HZ = 10


@dataclass
class EroVehicle:
    topology: Topology
    capture: EroCaptureManager

    def install(self, executive: Executive) -> None:
        if executive.base_rate_hz != BASE_RATE_HZ:
            raise ValueError(f"the ERO runs at {BASE_RATE_HZ} Hz, executive is {executive.base_rate_hz} Hz")
        executive.add_group("gnc", 1, [self.capture])
        executive.add_group("tlm", BASE_RATE_HZ, [self.topology.sample_telemetry])


def build_ero(devices: EroDevices) -> EroVehicle:
    capture = EroCaptureManager("ccrs", devices)
    return EroVehicle(Topology("ero", [capture]), capture)


__all__ = ["BASE_RATE_HZ", "EroVehicle", "build_ero"]

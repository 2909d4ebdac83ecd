"""The plant protocol: what the simulated device backends need from a world model.

`hal/` defines it and `sim/` implements it, so flight code can run against a simulated
plant without `hal/` or `fsw/` importing the simulator. A device is named by a string
(e.g. "imu0", "tvc", "heater.zone3"); the plant keeps the truth, the backend adds the
sensor's noise, bias, quantisation and rate.

Field names come from `hal.catalog`: `sense` returns every reading field of the device's
kind (vectors as sequences, flags as ints, a radio's `rx_bytes` drained on each call) and
`actuate` receives every command field of the kind, already checked (finite, in range).
`hal.table_plant.TablePlant` is a physics-free implementation for tests and bring-up.
"""
from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable


@runtime_checkable
class Plant(Protocol):
    def now_ns(self) -> int:
        """Simulated time of the plant state, integer nanoseconds."""
        ...

    def advance_to(self, t_ns: int) -> None:
        """Step the physics at its own fixed rate until simulated time `t_ns`."""
        ...

    def sense(self, device: str) -> Mapping[str, Any]:
        """Truth values the named sensor measures now, by field name (SI units in the names)."""
        ...

    def actuate(self, device: str, command: Mapping[str, Any]) -> None:
        """Apply an actuator command (field name -> value) from now on."""
        ...

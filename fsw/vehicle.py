"""What a vehicle declares about itself to the ground and the tools: its name, its components,
its APID base and its fault table.

Why a declaration: the dictionary exporter, the decoder, `msr modes` and the fault matrix need
to know a vehicle without flying it, and a vehicle written outside this repository must be
known the same way as the built-in ones. A package declares one `Vehicle` and names it in its
entry points (group `msr.vehicles`, see `sim.registry`):

    VEHICLE = Vehicle("probe", components="probe.thermostat:MODE_COMPONENTS", faults="probe.faults")

`components` is {name: Component class} in dictionary order, or "module:ATTR" naming one
(imported only when needed, so listing vehicles stays cheap). `apid_base` None lets the
registry give the vehicle a slot of its own (recorded in every dictionary.json); a declared base reserves `apids` APIDs.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Mapping


def resolve(ref: str) -> Any:
    """"package.module:ATTR" (or "package.module") imported; ImportError/AttributeError as raised."""
    modname, _, attr = ref.partition(":")
    module = importlib.import_module(modname)
    return getattr(module, attr) if attr else module


@dataclass(frozen=True)
class Vehicle:
    """A vehicle: `faults` names its fault-table module (`fault_table(topology)`, responses)."""

    name: str
    components: str | Mapping[str, type] = ()
    apid_base: int | None = None
    faults: str | None = None
    apids: int = 0x100          # APIDs reserved from a declared apid_base

    def component_classes(self) -> dict[str, type]:
        """{component name: class} of the vehicle (its mode components, in dictionary order)."""
        found = resolve(self.components) if isinstance(self.components, str) else self.components
        return dict(found)


__all__ = ["Vehicle", "resolve"]

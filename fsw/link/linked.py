"""The one rule of a linked vehicle: its components, then its CommandIngest named "link", last.

The dictionary (`linked_vehicle_spec`, from classes, before anything is built) and a live
topology (`add_link`, `link_topology`) both follow it from here, so the ground's APIDs and
the flight side's component ids agree. `fsw.link.dictionary` knows nothing of the ingest
(no import circle): it describes whatever components it is given.
"""
from __future__ import annotations

from typing import Any, Mapping

from fsw.core.component import Component
from fsw.core.topology import Topology

from .dictionary import LINK_COMPONENT, VehicleSpec, vehicle_spec
from .errors import DictionaryError
from .ingest import CommandIngest


def linked_classes(classes: Mapping[str, type[Component]]) -> dict[str, type[Component]]:
    """{name: class} in order, with the CommandIngest appended (unless already last)."""
    items = dict(classes)
    if LINK_COMPONENT in items:
        if list(items)[-1] != LINK_COMPONENT:
            raise DictionaryError(f"{LINK_COMPONENT!r} must be the last component of a linked vehicle")
        return items
    items[LINK_COMPONENT] = CommandIngest
    return items


def linked_vehicle_spec(vehicle: str, classes: Mapping[str, type[Component]], *,
                        apid_base: int | None = None) -> VehicleSpec:
    """The dictionary of a linked vehicle: `classes` in order, then the link component."""
    return vehicle_spec(vehicle, linked_classes(classes), apid_base=apid_base)


def add_link(topology: Topology, keys: Mapping[int, bytes], **ingest_kw: Any) -> CommandIngest:
    """Append the vehicle's CommandIngest (last, named "link"); a topology that already has a
    component of that name is refused (ValueError)."""
    if LINK_COMPONENT in topology.components:
        raise ValueError(f"{topology.vehicle} already has a component named {LINK_COMPONENT!r}")
    return topology.add(CommandIngest(LINK_COMPONENT, keys, **ingest_kw))


def link_topology(vehicle: str, components: list[Component], keys: Mapping[int, bytes], *,
                  window: int = 64, master_keys: Mapping[int, bytes] | None = None,
                  apid_base: int | None = None) -> tuple[Topology, CommandIngest]:
    """A topology of `components` (in order) followed by its CommandIngest; `apid_base` None:
    the built-in table's (else the one the registry gave the vehicle)."""
    topology = Topology(vehicle, components)
    if apid_base is not None:
        topology.apid_base = apid_base
    return topology, add_link(topology, keys, window=window, master_keys=master_keys)


__all__ = ["add_link", "link_topology", "linked_classes", "linked_vehicle_spec"]

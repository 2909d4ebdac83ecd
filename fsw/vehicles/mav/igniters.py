"""Igniter and pyro handling shared by the count, the abort and the warm restart (MAV-IGN-001..003).

An igniter command carries both arm and fire, and a rebooted processor does not remember the
arm the count sent: `rearm` re-sends it for every igniter that has not fired (found by the
HIL power-cut tests: a fire() from the new boot said arm=0 and the armed device refused it).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from fsw.core.devices import failed

from .phase import probe

if TYPE_CHECKING:   # pragma: no cover
    from .flight import MavFlightManager


def fired(fm: "MavFlightManager", device) -> bool:
    """The device's read-back says it fired (a failed read: it did not, silently)."""
    r = probe(device.read)
    return not failed(r) and bool(r.fired)


def safe(fm: "MavFlightManager") -> None:
    """Safe both igniters (after the throw: only those that have not fired)."""
    for ig in (fm.dev.ign1, fm.dev.ign2):
        def go(ig=ig) -> None:
            if not fm.launched or not ig.read().fired:
                ig.safe()
        fm.device_call(go, device=ig.name)


def rearm(fm: "MavFlightManager") -> None:
    """Re-send the arm of every igniter that has not fired, as the count left it."""
    for ig in (fm.dev.ign1, fm.dev.ign2):
        def go(ig=ig) -> None:
            if not ig.read().fired:
                ig.arm()
        fm.device_call(go, device=ig.name)


def arm(fm: "MavFlightManager") -> None:
    """The count arms both igniters (a fault here is a step fault, as before the split)."""
    for ig in (fm.dev.ign1, fm.dev.ign2):
        ig.arm()


def fire(fm: "MavFlightManager", device) -> bool:
    """Fire a pyro or igniter; False (DEVICE_FAULT emitted) if the device refused."""
    return not failed(fm.device_call(device.fire))


__all__ = ["arm", "fire", "fired", "rearm", "safe"]

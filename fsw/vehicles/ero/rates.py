"""ERO rate-set choice ("rates"; requirements ERO-RAT-001..003 in DESIGN.md): when the 10 Hz
loop can give way to the 1 Hz quiet set.

A drift, a coast, a dwell or the Earth cruise needs no 10 Hz loop: the vehicle then runs the
components every `QUIET_DIVISOR` seconds (vehicle.py). This component decides it, each time
it runs (after the other components, every tick of either rate set), from what the others
publish: the manager's mode (`ccrs.mode`) and outlook (`ccrs.outlook`: burns, next guidance
event, far-range plan, clock), the estimate (`relnav.estimate`) and the cruise end
(`containment.status`). Quiet only when no burn is under way and the next guidance event,
the far-range start or the end of the cruise is more than `quiet_margin_s` away; nothing
known (before a first message) is never quiet, except in the modes that are quiet whatever
the approach does (phasing, search, cruise, hold, complete).

It keeps no state of its own: after a warm restart it decides from what is published again
(the manager publishes its mode and outlook when restored), as the manager's own choice did.
"""
from __future__ import annotations

from typing import Callable

from fsw.core.component import Component
from fsw.core.declarations import Param

from .guidance import drift, far_start_range
from .modes import ERO_MODES
from .topics import APPROACH_OUTLOOK, CONTAINMENT_STATUS, ERO_MODE, RELNAV_ESTIMATE

QUIET_MODES = ("PHASING", "SEARCH", "EARTH_CRUISE", "CONTAINMENT_HOLD", "COMPLETE")
COASTS = ("FAR_RANGE", "CLOSE_RANGE", "BACK_OFF")     # quiet between burns


class EroRateChoice(Component):
    PARAMS = (Param("quiet_margin_s", float, 10.0, 3600.0, default=90.0,
                    doc="the quiet set only while nothing is due within this time"),)
    SUBSCRIBES = (ERO_MODE, APPROACH_OUTLOOK, RELNAV_ESTIMATE, CONTAINMENT_STATUS)

    def __init__(self, name: str, select: Callable[[bool], None] | None = None) -> None:
        super().__init__(name)
        self.select = select            # the vehicle's rate-set switch (vehicle.py installs it)

    def step(self, t_ns: int) -> None:
        if self.select is not None:
            self.select(self.quiet())

    def quiet(self) -> bool:
        """Nothing for the 10 Hz loop to do for a while: a drift, a coast, a dwell, cruise."""
        mode = self.received(ERO_MODE) or ERO_MODES.initial
        out = self.received(APPROACH_OUTLOOK)
        margin = self.params["quiet_margin_s"]
        if mode == "SEARCH" and out is not None and out.burning:
            return False                     # nulling the relative velocity after a lost track
        if mode in QUIET_MODES:
            cruise = self.received(CONTAINMENT_STATUS)
            until = None if cruise is None else cruise.cruise_until
            t = 0.0 if out is None else out.t
            return mode != "EARTH_CRUISE" or until is None or until - t > margin
        if mode == "BREAK_THE_CHAIN":
            return True
        est = self.received(RELNAV_ESTIMATE)
        if mode not in COASTS or est is None or out is None:
            return False
        if mode == "FAR_RANGE" and not out.far_planned:
            rng, closing = drift(est.rect)
            if closing <= 0.0:
                return True
            return (rng - far_start_range(closing, out.far_start_m, out.far_transfer_s)) / closing > margin
        return out.event_in_s > margin


__all__ = ["EroRateChoice", "QUIET_MODES"]

"""The ground's half of the link watch: `GroundHeartbeat`, a step in the executive (like an
uplinked sequence) that sends HEARTBEAT every `period_s`, except during an injected outage.
The flight half, `LinkWatch`, is flight code: `fsw.core.linkwatch` (re-exported here).
"""
from __future__ import annotations

from typing import Any

from fsw.core.linkwatch import LINK_COMPONENT, LinkWatch
from fsw.core.time import seconds_to_ns


class GroundHeartbeat:
    """The ground station's side: a callable step; `outage` silences it (loss of ground link).

    Contact reaches the link watch as verified uplink does on board (`feed_link_watch`:
    `LinkWatch.heard`), not as a HEARTBEAT command each second: a day-long flight would
    otherwise log a command acknowledgement every second."""

    def __init__(self, topology: Any, period_s: float = 1.0, target: str = LINK_COMPONENT) -> None:
        self.topology = topology
        self.period_ns = seconds_to_ns(period_s)
        self.watch: LinkWatch = topology[target]
        self.outage = False
        self.sent = 0
        self._next_ns: int | None = None

    def __call__(self, t_ns: int) -> None:
        if self._next_ns is None:
            self._next_ns = t_ns
        if t_ns >= self._next_ns:
            self._next_ns = t_ns + self.period_ns
            if not self.outage:
                self.watch.heard()
                self.sent += 1


__all__ = ["GroundHeartbeat", "LINK_COMPONENT", "LinkWatch"]

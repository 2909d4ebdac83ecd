"""Ground-link watch: how long since the ground was last heard, as an FDIR input.

`LinkWatch` is flight code (a component with a HEARTBEAT command and a `silent_s` channel).
It lives here until the lead gives it a home in fsw/core (see docs/faults.md): fsw may not
import sim, and the fault tables only name its channel, "link.silent_s".
`GroundHeartbeat` is the ground: a step in the executive (like an uplinked sequence) that
sends HEARTBEAT every `period_s`, except during an injected outage.
"""
from __future__ import annotations

from typing import Any

from fsw.core import Channel, Component, EventDef, Severity, command
from fsw.core.time import seconds_to_ns

LINK_COMPONENT = "link"


class LinkWatch(Component):
    CHANNELS = (Channel("silent_s", float, "s", "time since the last ground contact"),
                Channel("contacts", int))
    EVENTS = (EventDef("GROUND_CONTACT", Severity.DIAGNOSTIC, "contact after {silent_s} s of silence"),)

    def __init__(self, name: str = LINK_COMPONENT, *, report_after_s: float = 2.0) -> None:
        super().__init__(name)
        self.last_contact_ns: int | None = None
        self.report_after_ns = seconds_to_ns(report_after_s)

    @command("HEARTBEAT", doc="The ground is there (any uplink counts)")
    def _cmd_heartbeat(self) -> None:
        now = self.time.now_ns
        if self.last_contact_ns is not None and now - self.last_contact_ns > self.report_after_ns:
            self.emit("GROUND_CONTACT", silent_s=round((now - self.last_contact_ns) / 1e9, 3))
        self.last_contact_ns = now
        self.tlm["contacts"] += 1

    def step(self, t_ns: int) -> None:
        if self.last_contact_ns is None:
            self.last_contact_ns = t_ns
        self.tlm["silent_s"] = (t_ns - self.last_contact_ns) / 1e9


class GroundHeartbeat:
    """The ground station's side: a callable step; `outage` silences it (loss of ground link)."""

    def __init__(self, topology: Any, period_s: float = 1.0, target: str = LINK_COMPONENT) -> None:
        self.topology = topology
        self.period_ns = seconds_to_ns(period_s)
        self.target = f"{target}.HEARTBEAT"
        self.outage = False
        self.sent = 0
        self._next_ns: int | None = None

    def __call__(self, t_ns: int) -> None:
        if self._next_ns is None:
            self._next_ns = t_ns
        if t_ns >= self._next_ns:
            self._next_ns = t_ns + self.period_ns
            if not self.outage:
                self.topology.dispatch(self.target)
                self.sent += 1


__all__ = ["GroundHeartbeat", "LINK_COMPONENT", "LinkWatch"]

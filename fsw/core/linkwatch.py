"""Ground-link watch: how long since the ground was last heard, as an FDIR input.

A vehicle with no contact for its `LINK_TIMEOUT_S` carries on autonomously by its own rule
(the `ground_silent` monitor of `fsw.core.protection`). Contact is a HEARTBEAT command or any
uplinked telecommand whose MAC verified (`fsw.link.ingest.CommandIngest` feeds `heard`
through its ack sinks): a forged or garbled packet is not the ground.
"""
from __future__ import annotations

from typing import Any, Mapping

from .component import Component, command
from .declarations import Channel
from .events import EventDef, Severity
from .time import seconds_to_ns

LINK_COMPONENT = "linkwatch"   # not "link": that is CommandIngest, which feeds it


class LinkWatch(Component):
    CHANNELS = (Channel("silent_s", float, "s", "time since the last ground contact"),
                Channel("contacts", int))
    EVENTS = (EventDef("GROUND_CONTACT", Severity.DIAGNOSTIC, "contact after {silent_s} s of silence", silent_s=float),)

    def __init__(self, name: str = LINK_COMPONENT, *, report_after_s: float = 2.0) -> None:
        super().__init__(name)
        self.last_contact_ns: int | None = None
        self.report_after_ns = seconds_to_ns(report_after_s)

    @command("HEARTBEAT", doc="The ground is there (any verified uplink counts too)")
    def _cmd_heartbeat(self) -> None:
        self.heard()

    def heard(self) -> None:
        """The ground was heard now."""
        now = self.time.now_ns
        if self.last_contact_ns is not None and now - self.last_contact_ns > self.report_after_ns:
            self.emit("GROUND_CONTACT", silent_s=round((now - self.last_contact_ns) / 1e9, 3))
        self.last_contact_ns = now
        self.tlm["contacts"] += 1

    def step(self, t_ns: int) -> None:
        if self.last_contact_ns is None:
            self.last_contact_ns = t_ns
        self.tlm["silent_s"] = (t_ns - self.last_contact_ns) / 1e9

    def checkpoint_state(self) -> dict[str, Any]:
        """The silence goes on counting across a reset (a reboot is not a contact)."""
        return super().checkpoint_state() | {"last_contact_ns": self.last_contact_ns,
                                             "contacts": self.tlm["contacts"]}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        last = state.get("last_contact_ns")
        if isinstance(last, int) and not isinstance(last, bool):
            self.last_contact_ns = last
        if isinstance(state.get("contacts"), int):
            self.tlm["contacts"] = state["contacts"]


__all__ = ["LINK_COMPONENT", "LinkWatch"]

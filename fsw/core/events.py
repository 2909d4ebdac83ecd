"""Events: discrete, severity-tagged records of what flight software decided or rejected.

Modelled on F Prime events: each has a numeric id, a severity and a format string. Bad input
from outside becomes an event (never an exception escaping to the loop).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    DIAGNOSTIC = 0
    ACTIVITY_LO = 1
    ACTIVITY_HI = 2
    WARNING_LO = 3
    WARNING_HI = 4
    FATAL = 5


@dataclass(frozen=True)
class EventDef:
    """Declaration of an event a component can emit; `fmt` uses str.format field names."""

    name: str
    severity: Severity
    fmt: str
    doc: str = ""


@dataclass(frozen=True)
class Event:
    t_ns: int
    component: str
    event_id: int
    name: str
    severity: Severity
    args: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def text(self) -> str:
        return self.name if not self.args else self.name + ": " + ", ".join(
            f"{k}={v}" for k, v in self.args)


# Events every component has; their ids come first, so vehicle event ids start after them.
CORE_EVENTS: tuple[EventDef, ...] = (
    EventDef("MODE_CHANGED", Severity.ACTIVITY_HI, "{source} -> {dest} ({trigger})"),
    EventDef("TRIGGER_REJECTED", Severity.WARNING_LO, "{trigger} not allowed in {mode}: {reason}"),
    EventDef("CMD_ACCEPTED", Severity.ACTIVITY_LO, "{command}"),
    EventDef("CMD_REJECTED", Severity.WARNING_LO, "{command}: {reason}"),
    EventDef("CMD_FAILED", Severity.WARNING_HI, "{command}: {reason}"),
    EventDef("PARAM_SET", Severity.ACTIVITY_LO, "{param} = {value}"),
    EventDef("PARAM_REJECTED", Severity.WARNING_LO, "{param}: {reason}"),
)

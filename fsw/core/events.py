"""Events: discrete, severity-tagged records of what flight software decided or rejected.

Modelled on F Prime events: each has a numeric id, a severity and a format string. Bad input
from outside becomes an event (never an exception escaping to the loop).
"""
from __future__ import annotations

import enum
import string
from dataclasses import dataclass, field
from types import UnionType
from typing import Any, Mapping, Union


class Severity(enum.IntEnum):
    DIAGNOSTIC = 0
    ACTIVITY_LO = 1
    ACTIVITY_HI = 2
    WARNING_LO = 3
    WARNING_HI = 4
    FATAL = 5


class EventDefError(TypeError):
    """An event declaration whose format string and typed arguments disagree."""


ArgType = Union[type, UnionType]
CHECK_EMITS = False   # tests turn it on: every emit is checked against its declaration


def format_fields(fmt: str) -> tuple[str, ...]:
    """The argument names a format string uses, in order of first use ("{a.b}" uses a)."""
    out: list[str] = []
    for _, field_name, _, _ in string.Formatter().parse(fmt):
        if field_name is None:
            continue
        base = field_name.split(".")[0].split("[")[0]
        if not base or base.isdigit():
            raise EventDefError(f"{fmt!r}: positional field {{{field_name}}}; name every argument")
        if base not in out:
            out.append(base)
    return tuple(out)


@dataclass(frozen=True, init=False)
class EventDef:
    """Declaration of an event a component can emit, F Prime style: a name, a severity, a
    format string and its typed arguments, `EventDef("TUBE_MOVED", sev, "{tube}: {source}",
    tube=int, source=str)`. Every field of `fmt` must be a declared argument and every
    argument a field: a mismatch is an EventDefError when the declaration is made (import)."""

    name: str
    severity: Severity
    fmt: str
    doc: str = field(compare=False)        # the schema is name, severity, format and arguments
    args: tuple[tuple[str, ArgType], ...] = ()

    def __init__(self, name: str, severity: Severity, fmt: str, doc: str = "", **args: ArgType) -> None:
        for key, value in (("name", name), ("severity", severity), ("fmt", fmt), ("doc", doc),
                           ("args", tuple(args.items()))):
            object.__setattr__(self, key, value)
        fields = format_fields(fmt)
        if set(fields) != set(args):
            raise EventDefError(f"event {name}: format {fmt!r} uses {sorted(fields)}, "
                                f"declared arguments are {sorted(args)}")
        for arg, t in args.items():
            if not isinstance(t, (type, UnionType)):
                raise EventDefError(f"event {name}: argument {arg} has no type ({t!r})")

    def problem(self, values: Mapping[str, Any]) -> str | None:
        """Why an emit with these arguments contradicts the declaration, or None."""
        declared = dict(self.args)
        if set(values) != set(declared):
            return f"{self.name}: emitted {sorted(values)}, declared {sorted(declared)}"
        for arg, v in values.items():
            t = declared[arg]
            ok = isinstance(v, (int, float)) and not isinstance(v, bool) if t is float else isinstance(v, t)
            if not ok:
                return f"{self.name}: {arg}={v!r} is not {getattr(t, '__name__', t)}"
        return None


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
    EventDef("MODE_CHANGED", Severity.ACTIVITY_HI, "{source} -> {dest} ({trigger})",
             source=str, dest=str, trigger=str),
    EventDef("TRIGGER_REJECTED", Severity.WARNING_LO, "{trigger} not allowed in {mode}: {reason}",
             trigger=str, mode=str | None, reason=str),
    EventDef("CMD_ACCEPTED", Severity.ACTIVITY_LO, "{command}", command=str),
    EventDef("CMD_REJECTED", Severity.WARNING_LO, "{command}: {reason}", command=str, reason=str),
    EventDef("CMD_FAILED", Severity.WARNING_HI, "{command}: {reason}", command=str, reason=str),
    EventDef("PARAM_SET", Severity.ACTIVITY_LO, "{param} = {value}", param=str, value=object),
    EventDef("PARAM_REJECTED", Severity.WARNING_LO, "{param}: {reason}", param=str, reason=str),
)

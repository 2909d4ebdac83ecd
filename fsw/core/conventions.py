"""The rules every Component class obeys, checked when the class is created (at import).

- **Command handlers** are named `_cmd_<command name in lower case>`: `@command("SEAL")`
  marks `_cmd_seal`, `@command("SET_PARAM")` marks `_cmd_set_param`. One name per command
  makes a handler findable from the dictionary and keeps handlers out of the public API
  (they run through `dispatch`, which checks mode and arguments first).
- **Mode hooks** `on_enter_<MODE>` and `during_<MODE>` name a mode of the class's MODES
  (a typo would otherwise never run).
- **Shared events** keep one schema: an event named like one in `SHARED_EVENTS`
  (DEVICE_FAULT, ...) must be that very declaration, so the ground reads it one way.
"""
from __future__ import annotations

from typing import Any

from .devices import DEVICE_FAULT
from .events import EventDef

HOOK_PREFIXES = ("on_enter_", "during_")
SHARED_EVENTS: dict[str, EventDef] = {DEVICE_FAULT.name: DEVICE_FAULT}


def handler_name(command: str) -> str:
    """The method name the handler of `command` must have."""
    return "_cmd_" + command.lower()


def share_event(edef: EventDef) -> EventDef:
    """Register `edef` as the one schema of its name (custody events, ...); returns it."""
    known = SHARED_EVENTS.setdefault(edef.name, edef)
    if known != edef:
        raise TypeError(f"shared event {edef.name} declared twice with different schemas")
    return edef


def check_class(cls: Any) -> None:
    problems: list[str] = []
    for c in cls.COMMANDS.values():
        if c.handler_name != handler_name(c.name):
            problems.append(f"handler of {c.name} is {c.handler_name}, must be {handler_name(c.name)}")
    modes = set(cls.MODES.modes) if cls.MODES else set()
    for klass in cls.__mro__:
        for attr in vars(klass):
            for prefix in HOOK_PREFIXES:
                if attr.startswith(prefix) and attr[len(prefix):] not in modes:
                    problems.append(f"{attr} names no mode of {cls.__name__}")
    for e in cls.EVENTS:
        shared = SHARED_EVENTS.get(e.name)
        if shared is not None and e != shared:
            problems.append(f"event {e.name} must be the shared declaration ({shared.fmt!r})")
    if problems:
        raise TypeError(f"{cls.__name__}: " + "; ".join(problems))


__all__ = ["HOOK_PREFIXES", "SHARED_EVENTS", "check_class", "handler_name", "share_event"]

"""The command/telemetry/event dictionary, built from component classes.

One source of truth: the declarations on the component classes (commands with typed
arguments and allowed modes, channels, events). The same specs drive the packet codecs, the
JSON export (which the ground tool can read back) and the XTCE export.

Opcodes: a command's opcode is the CRC-16/CCITT-FALSE of its name, so it stays the same when
other commands are added or reordered; a clash inside one component is refused at build time.
Component signature: a CRC-16 over the component name, its channel names and types and its
event names; every telemetry packet carries it, so a log decoded with the wrong dictionary
gives a clear error instead of wrong numbers.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cached_property
from typing import Any, Iterable, Mapping

from fsw.core.component import Component
from fsw.core.declarations import Arg
from fsw.core.events import Severity

from .apids import MAX_COMPONENTS, apid_base as checked_base, component_apid
from .ccsds import crc16
from .errors import DictionaryError
from .wire import WIRE_TYPES, wire_type_of

FORMAT = "msr-dictionary/1"
LINK_COMPONENT = "link"  # name of the CommandIngest component in every linked topology


def opcode_of(command: str) -> int:
    return crc16(command.encode("utf-8"))


@dataclass(frozen=True)
class ArgSpec:
    name: str
    type: str  # wire type
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] | None = None
    doc: str = ""

    def to_arg(self) -> Arg:
        """A core Arg that validates a ground-side value exactly as the flight side will."""
        py = {"bool": bool, "i64": int, "f64": float, "string": str, "enum": str}[self.type]
        return Arg(self.name, py, self.lo, self.hi, self.choices)


@dataclass(frozen=True)
class CommandSpec:
    name: str
    opcode: int
    args: tuple[ArgSpec, ...] = ()
    modes: tuple[str, ...] | None = None  # None: allowed in every mode
    doc: str = ""


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    type: str
    units: str = ""
    doc: str = ""


@dataclass(frozen=True)
class EventSpec:
    id: int
    name: str
    severity: str
    fmt: str
    doc: str = ""


@dataclass(frozen=True)
class ComponentSpec:
    name: str
    component_id: int
    apid: int
    class_name: str = ""
    modes: tuple[str, ...] = ()
    commands: tuple[CommandSpec, ...] = ()
    channels: tuple[ChannelSpec, ...] = ()
    events: tuple[EventSpec, ...] = ()

    @cached_property
    def signature(self) -> int:
        text = "|".join((self.name, ";".join(f"{c.name}:{c.type}" for c in self.channels),
                         ";".join(e.name for e in self.events)))
        return crc16(text.encode("utf-8"))

    @cached_property
    def command_by_opcode(self) -> dict[int, CommandSpec]:
        return {c.opcode: c for c in self.commands}

    @cached_property
    def command_by_name(self) -> dict[str, CommandSpec]:
        return {c.name: c for c in self.commands}


@dataclass(frozen=True)
class VehicleSpec:
    name: str
    apid_base: int
    components: tuple[ComponentSpec, ...] = ()

    @cached_property
    def by_name(self) -> dict[str, ComponentSpec]:
        return {c.name: c for c in self.components}

    @cached_property
    def by_apid(self) -> dict[int, ComponentSpec]:
        return {c.apid: c for c in self.components}


@dataclass(frozen=True)
class Dictionary:
    vehicles: tuple[VehicleSpec, ...] = field(default=())

    def __post_init__(self) -> None:
        seen: dict[int, str] = {}
        for v in self.vehicles:
            for apid in (v.apid_base, *(c.apid for c in v.components)):
                if seen.get(apid, v.name) != v.name:
                    raise DictionaryError(f"APID clash: vehicles {seen[apid]!r} and {v.name!r} both use "
                                          f"APID {apid:#x}")
                seen[apid] = v.name

    @cached_property
    def by_apid(self) -> dict[int, tuple[VehicleSpec, ComponentSpec]]:
        return {c.apid: (v, c) for v in self.vehicles for c in v.components}

    def vehicle(self, name: str) -> VehicleSpec:
        for v in self.vehicles:
            if v.name == name:
                return v
        raise DictionaryError(f"no vehicle {name!r} in the dictionary "
                              f"(has {[v.name for v in self.vehicles]})")

    # ------------------------------------------------------------ JSON
    def to_json(self) -> str:
        """Deterministic JSON (declaration order, no timestamps)."""
        doc = {"format": FORMAT, "vehicles": [
            asdict(v) | {"components": [asdict(c) | {"signature": c.signature}
                                        for c in v.components]} for v in self.vehicles]}
        return json.dumps(doc, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "dictionary") -> "Dictionary":
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise DictionaryError(f"{source}: not JSON: {exc}") from None
        r = _Reader(source)
        if r.get(doc, "format", str, "") != FORMAT:
            raise DictionaryError(f"{source}: format is not {FORMAT!r}")
        return cls(tuple(r.vehicle(v, f"vehicles[{i}]")
                         for i, v in enumerate(r.get(doc, "vehicles", list, ""))))


# ---------------------------------------------------------------- building from classes
def component_spec(name: str, cls: type[Component], component_id: int, base: int) -> ComponentSpec:
    """The spec of one component of class `cls` named `name` at index `component_id`."""
    where = f"{cls.__name__} ({name})"
    try:
        channels = tuple(ChannelSpec(c.name, wire_type_of(c.type), c.units, c.doc)
                         for c in cls.CHANNELS)
        commands = []
        for cname, cdef in cls.COMMANDS.items():
            args = []
            for a in cdef.args:
                w = wire_type_of(a.type)
                choices = tuple(m.name for m in a.type) if w == "enum" else a.choices
                args.append(ArgSpec(a.name, w, a.lo, a.hi, choices, a.doc))
            commands.append(CommandSpec(cname, opcode_of(cname), tuple(args),
                                        None if cdef.modes is None else tuple(sorted(cdef.modes)),
                                        cdef.doc))
    except TypeError as exc:
        raise DictionaryError(f"{where}: {exc}") from None
    commands.sort(key=lambda c: c.name)
    ops: dict[int, str] = {}
    for c in commands:
        if c.opcode in ops:
            raise DictionaryError(f"{where}: commands {ops[c.opcode]} and {c.name} share opcode "
                                  f"{c.opcode:#06x}; rename one")
        ops[c.opcode] = c.name
    events = tuple(EventSpec(i, e.name, Severity(e.severity).name, e.fmt, e.doc)
                   for i, e in enumerate(cls.EVENT_DEFS))
    modes = tuple(cls.MODES.modes) if cls.MODES else ()
    return ComponentSpec(name, component_id, component_apid(base, component_id), cls.__name__,
                         modes, tuple(commands), channels, events)


def vehicle_spec(vehicle: str, classes: Mapping[str, type[Component]], *,
                 apid_base: int | None = None) -> VehicleSpec:
    """Spec of a vehicle from {component name: class}, ids in mapping order.

    The live topology must add its components in the same order; a linked vehicle's spec
    (its CommandIngest last) is `fsw.link.linked.linked_vehicle_spec`.
    """
    base = checked_base(vehicle, apid_base)
    items = list(classes.items())
    if len(items) > MAX_COMPONENTS:
        raise DictionaryError(f"{vehicle}: {len(items)} components, at most {MAX_COMPONENTS}")
    return VehicleSpec(vehicle, base, tuple(component_spec(n, c, i, base)
                                            for i, (n, c) in enumerate(items)))


def topology_spec(topology: Any, apid_base: int | None = None) -> VehicleSpec:
    """Spec of a live Topology, using the component ids it assigned; the base is the one
    given, else the one the registry gave the flight (`topology.apid_base`), else the table's."""
    if apid_base is None:
        apid_base = getattr(topology, "apid_base", None)
    base = checked_base(topology.vehicle, apid_base)
    return VehicleSpec(topology.vehicle, base, tuple(
        component_spec(c.name, type(c), c.component_id, base)
        for c in topology.components.values()))


def build_dictionary(vehicles: Iterable[VehicleSpec]) -> Dictionary:
    return Dictionary(tuple(vehicles))


# ---------------------------------------------------------------- reading JSON back
class _Reader:
    """Reads the JSON form with errors that name the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def get(self, d: Any, key: str, typ: type | tuple, path: str, default: Any = ...) -> Any:
        if not isinstance(d, dict):
            raise DictionaryError(f"{self.source}: {path or 'top level'} is not an object")
        if key not in d:
            if default is not ...:
                return default
            raise DictionaryError(f"{self.source}: {path}.{key} missing")
        v = d[key]
        if not isinstance(v, typ) or (isinstance(v, bool) and typ is not bool):
            raise DictionaryError(f"{self.source}: {path}.{key} has the wrong type")
        return v

    def strs(self, v: Any, path: str) -> tuple[str, ...]:
        if not isinstance(v, list) or not all(isinstance(s, str) for s in v):
            raise DictionaryError(f"{self.source}: {path} is not a list of strings")
        return tuple(v)

    def num(self, d: dict, key: str, path: str) -> float | None:
        v = self.get(d, key, (int, float, type(None)), path, None)
        return v

    def vehicle(self, d: Any, path: str) -> VehicleSpec:
        name = self.get(d, "name", str, path)
        base = checked_base(name, self.get(d, "apid_base", int, path))
        comps = tuple(self.component(c, f"{path}.components[{i}]")
                      for i, c in enumerate(self.get(d, "components", list, path)))
        return VehicleSpec(name, base, comps)

    def component(self, d: Any, path: str) -> ComponentSpec:
        g = self.get
        spec = ComponentSpec(
            g(d, "name", str, path), g(d, "component_id", int, path), g(d, "apid", int, path),
            g(d, "class_name", str, path, ""), self.strs(g(d, "modes", list, path, []), path + ".modes"),
            tuple(self.command(c, f"{path}.commands[{i}]")
                  for i, c in enumerate(g(d, "commands", list, path, []))),
            tuple(self.channel(c, f"{path}.channels[{i}]")
                  for i, c in enumerate(g(d, "channels", list, path, []))),
            tuple(EventSpec(g(e, "id", int, p), g(e, "name", str, p), self.severity(e, p),
                            g(e, "fmt", str, p), g(e, "doc", str, p, ""))
                  for i, e in enumerate(g(d, "events", list, path, []))
                  for p in [f"{path}.events[{i}]"]))
        for i, e in enumerate(spec.events):
            if e.id != i:
                raise DictionaryError(f"{self.source}: {path}.events[{i}].id must be {i}")
        sig = g(d, "signature", int, path, None)
        if sig is not None and sig != spec.signature:
            raise DictionaryError(f"{self.source}: {path}.signature does not match its content")
        return spec

    def severity(self, d: dict, path: str) -> str:
        s = self.get(d, "severity", str, path)
        if s not in Severity.__members__:
            raise DictionaryError(f"{self.source}: {path}.severity {s!r} unknown")
        return s

    def wtype(self, d: dict, path: str) -> str:
        t = self.get(d, "type", str, path)
        if t not in WIRE_TYPES:
            raise DictionaryError(f"{self.source}: {path}.type {t!r} unknown")
        return t

    def channel(self, d: Any, path: str) -> ChannelSpec:
        g = self.get
        t = self.wtype(d, path)
        if t == "enum":
            raise DictionaryError(f"{self.source}: {path}.type enum is not a channel type")
        return ChannelSpec(g(d, "name", str, path), t, g(d, "units", str, path, ""),
                           g(d, "doc", str, path, ""))

    def command(self, d: Any, path: str) -> CommandSpec:
        g = self.get
        modes = g(d, "modes", (list, type(None)), path, None)
        args = []
        for i, a in enumerate(g(d, "args", list, path, [])):
            p = f"{path}.args[{i}]"
            ch = g(a, "choices", (list, type(None)), p, None)
            args.append(ArgSpec(g(a, "name", str, p), self.wtype(a, p), self.num(a, "lo", p),
                                self.num(a, "hi", p), None if ch is None else self.strs(ch, p),
                                g(a, "doc", str, p, "")))
            if args[-1].type == "enum" and not args[-1].choices:
                raise DictionaryError(f"{self.source}: {p}: an enum needs choices")
        name = g(d, "name", str, path)
        return CommandSpec(name, g(d, "opcode", int, path), tuple(args),
                           None if modes is None else self.strs(modes, path + ".modes"),
                           g(d, "doc", str, path, ""))

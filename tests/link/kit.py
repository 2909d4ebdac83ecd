"""Shared helpers of the link tests: keys, the testbed vehicle, hypothesis strategies for specs."""
from __future__ import annotations

from hypothesis import strategies as st

from fsw.core.events import Severity
from fsw.link.dictionary import (ArgSpec, ChannelSpec, CommandSpec, ComponentSpec, EventSpec,
                                 VehicleSpec, opcode_of)
from fsw.link.linked import link_topology, linked_vehicle_spec
from fsw.link.testbed import TESTBED_COMPONENTS
from fsw.link.wire import I64_MAX, I64_MIN

KEYS = {1: bytes(range(32)), 2: bytes(range(100, 132))}
BASE = 0x500


def spec_of_testbed() -> VehicleSpec:
    return linked_vehicle_spec("testbed", TESTBED_COMPONENTS)


def linked_testbed(keys=KEYS, window=64):
    """(topology, ingest, spec) of the testbed vehicle, ingest connected."""
    topology, ingest = link_topology("testbed", [c(n) for n, c in TESTBED_COMPONENTS.items()], keys,
                                     window=window)
    ingest.connect(topology)
    return topology, ingest, ingest.vehicle


names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
CHANNEL_TYPES = ("bool", "i64", "f64", "string")


def value_of(wtype: str, choices=None, lo=None, hi=None, finite=False):
    if wtype == "bool":
        return st.booleans()
    if wtype == "i64":
        return st.integers(I64_MIN if lo is None else int(lo), I64_MAX if hi is None else int(hi))
    if wtype == "f64":
        return st.floats(lo, hi, allow_nan=False, allow_infinity=not finite and lo is None and hi is None)
    if wtype == "enum":
        return st.sampled_from(choices)
    if choices:
        return st.sampled_from(choices)
    return st.text(max_size=30)


@st.composite
def component_specs(draw, component_id=None):
    cid = draw(st.integers(0, 255)) if component_id is None else component_id
    chans = draw(st.lists(st.tuples(names, st.sampled_from(CHANNEL_TYPES)), max_size=10,
                          unique_by=lambda t: t[0]))
    evs = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    cmds = draw(st.lists(names.map(str.upper), max_size=4, unique=True))
    commands = []
    for c in cmds:
        arg_types = draw(st.lists(st.tuples(names, st.sampled_from(CHANNEL_TYPES + ("enum",))),
                                  max_size=4, unique_by=lambda t: t[0]))
        args = []
        for n, t in arg_types:
            if t == "enum":
                args.append(ArgSpec(n, t, choices=tuple(draw(st.lists(names, min_size=1,
                                                                       max_size=4, unique=True)))))
            elif t == "i64" and draw(st.booleans()):
                lo = draw(st.integers(-1000, 1000))
                args.append(ArgSpec(n, t, lo, lo + draw(st.integers(0, 1000))))
            else:
                args.append(ArgSpec(n, t))
        commands.append(CommandSpec(c, opcode_of(c), tuple(args),
                                    draw(st.none() | st.just(("IDLE",)))))
    if len({c.opcode for c in commands}) != len(commands):
        commands = commands[:1]
    return ComponentSpec(draw(names), cid, BASE + cid, "Random", ("IDLE",), tuple(commands),
                         tuple(ChannelSpec(n, t) for n, t in chans),
                         tuple(EventSpec(i, n.upper(), draw(st.sampled_from(list(Severity))).name,
                                         "{x}") for i, n in enumerate(evs)))


def one_component_vehicle(spec: ComponentSpec) -> VehicleSpec:
    return VehicleSpec("testbed", BASE, (spec,))


@st.composite
def channel_values(draw, spec: ComponentSpec):
    return {c.name: draw(value_of(c.type)) for c in spec.channels}


event_values = (st.none() | st.booleans() | st.integers(I64_MIN, I64_MAX)
                | st.integers(min_value=I64_MAX + 1, max_value=1 << 200)
                | st.floats(allow_nan=False) | st.text(max_size=20))

"""Ports: typed topics, class-creation checks, wiring checks and the delivery rule."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, strategies as st

from fsw.core.bus import Bus
from fsw.core.clock import SimClock
from fsw.core.component import Component
from fsw.core.executive import Executive
from fsw.core.ports import PortError, Sub, Topic, WiringError, message, wire
from fsw.core.topology import Topology


@dataclass(frozen=True)
class Pos:
    x: float


@dataclass
class Mutable:
    x: float


POS = Topic("nav.pos", Pos)
COUNT = Topic("count", int)


class Nav(Component):
    PUBLISHES = (POS,)

    def __init__(self, name="nav"):
        super().__init__(name)
        self.x = 0.0

    def step(self, t_ns):
        self.x += 1.0
        self.publish(POS, Pos(self.x))


class Guide(Component):
    SUBSCRIBES = (Sub(POS, "_on_pos"),)

    def __init__(self, name="guide"):
        super().__init__(name)
        self.seen: list[tuple[float, float | None]] = []
        self.handled: list[float] = []

    def _on_pos(self, p: Pos) -> None:
        self.handled.append(p.x)

    def step(self, t_ns):
        p = self.received(POS)
        self.seen.append(None if p is None else p.x)


def test_topics_need_immutable_payloads_and_ports_are_checked_at_class_creation():
    with pytest.raises(PortError, match="frozen"):
        Topic("bad", Mutable)
    with pytest.raises(PortError, match="not a method"):
        class NoHandler(Component):
            SUBSCRIBES = (Sub(POS, "_missing"),)
    with pytest.raises(PortError, match="twice"):
        class Twice(Component):
            PUBLISHES = (POS, POS)


def test_publish_and_received_hold_to_the_declarations():
    nav, guide = Nav(), Guide()
    with pytest.raises(PortError, match="PUBLISHES"):
        nav.publish(COUNT, 1)
    with pytest.raises(PortError, match="carries Pos"):
        nav.publish(POS, 3.0)
    with pytest.raises(PortError, match="SUBSCRIBES"):
        guide.received(COUNT)
    nav.publish(POS, Pos(1.0))           # not wired: into nothing
    guide.ports.inject(POS, Pos(2.0))
    assert guide.received(POS) == Pos(2.0) and guide.handled == [2.0]


def test_wired_ports_check_by_value_beyond_the_declared_object():
    """Publish and read take the declared Topic object by identity first (the per-tick path);
    an equal Topic built elsewhere still works, a look-alike (same name, another payload or
    doc) is refused, wired or not."""
    nav, guide = Nav(), Guide()
    topo = Topology("v", [nav, guide])
    topo.wire([POS])
    same = Topic("nav.pos", Pos)                 # equal to POS, another object
    other = Topic("nav.pos", Pos, "another doc")  # same name, not the declared topic
    assert same is not POS and same == POS and other != POS
    nav.publish(same, Pos(1.0))
    topo.bus.deliver()
    assert guide.received(same) == Pos(1.0) == guide.received(POS) and guide.handled == [1.0]
    with pytest.raises(PortError, match="PUBLISHES"):
        nav.publish(other, Pos(2.0))
    with pytest.raises(PortError, match="carries Pos"):
        nav.publish(POS, 2.0)
    with pytest.raises(PortError, match="SUBSCRIBES"):
        guide.received(other)
    with pytest.raises(PortError, match="SUBSCRIBES"):
        guide.received(Topic("nav.elsewhere", Pos))
    assert topo.bus.pending == 0 and guide.handled == [1.0]


def test_delivery_is_same_tick_for_later_steps_next_run_for_earlier_ones():
    """The documented rule: delivered as soon as the publishing step returns."""
    nav, early, mid, late = Nav(), Guide("early"), Guide("mid"), Guide("late")
    topo = Topology("v", [early, nav, mid, late])
    topo.wire([POS])
    ex = Executive(SimClock(), 10, bus=topo.bus)
    ex.add_group("a", 1, [early, nav, mid])     # early runs before nav, mid after, in one group
    ex.add_group("b", 1, [late])
    ex.run(ticks=3)
    assert mid.seen == late.seen == [1.0, 2.0, 3.0]     # same tick, in executive order
    assert early.seen == [None, 1.0, 2.0]               # its next run
    assert early.handled == mid.handled == late.handled == [1.0, 2.0, 3.0]


def test_a_handler_that_raises_is_a_fault_of_the_publishing_step():
    class Fragile(Guide):
        def _on_pos(self, p):
            raise ValueError("bad fix")
    nav, fragile = Nav(), Fragile("fragile")
    topo = Topology("v", [nav, fragile])
    topo.wire([POS])
    ex = Executive(SimClock(), 10, bus=topo.bus)
    ex.add_group("a", 1, [nav, fragile])
    ex.run(ticks=2)
    assert ex.step_faults == {"nav": 2} and fragile.seen == [1.0, 2.0]


def test_an_executive_adopts_the_bus_its_components_are_wired_to():
    nav, guide = Nav(), Guide()
    topo = Topology("v", [nav, guide])
    topo.wire([POS])
    ex = Executive(SimClock(), 10)
    ex.add_group("a", 1, [nav, guide])
    ex.run(ticks=2)
    assert ex.bus is topo.bus and guide.seen == [1.0, 2.0]


class Counter(Component):
    PUBLISHES = (COUNT,)


class CountReader(Component):
    SUBSCRIBES = (COUNT,)


class PosAsInt(Component):
    SUBSCRIBES = (Topic("nav.pos", int),)


KINDS = {"nav": Nav, "guide": Guide, "counter": Counter, "reader": CountReader, "posint": PosAsInt}


@given(st.lists(st.sampled_from(sorted(KINDS)), max_size=6),
       st.sets(st.sampled_from(["nav.pos", "count"])))
def test_wiring_refuses_exactly_the_inconsistent_vehicles(kinds, declared_names):
    """Against a model: unknown topics, payload mismatches and unpublished subscriptions
    are errors, each named; anything else wires."""
    comps = [KINDS[k](f"{k}{i}") for i, k in enumerate(kinds)]
    declared = [t for t in (POS, COUNT) if t.name in declared_names]
    expected = []
    for c in comps:
        for name, entry in list(c.ports.published.items()) + list(c.ports.subscribed.items()):
            topic = getattr(entry, "topic", entry)
            if name not in declared_names:
                expected.append(f"unknown topic {name}")
            elif topic.payload is not {t.name: t for t in declared}[name].payload:
                expected.append(f"{c.name} subscribes to {name} as int")
    published = {n for c in comps for n in c.ports.published if n in declared_names}
    for name in sorted(declared_names - published):
        if any(name in c.ports.subscribed and not any(p.startswith(f"{c.name} ") for p in expected)
               for c in comps):
            expected.append(f"{name}, which nobody publishes")
    bus = Bus()
    if expected:
        with pytest.raises(WiringError) as err:
            wire(comps, declared, bus)
        for e in expected:
            assert e in str(err.value)
    else:
        conns = wire(comps, declared, bus)
        assert [c.topic for c in conns] == declared
        for conn in conns:
            assert list(conn.subscribers) == [c.name for c in comps if conn.topic.name in c.ports.subscribed]


def test_a_topic_declared_twice_is_refused():
    with pytest.raises(WiringError, match="declared twice"):
        wire([], [POS, Topic("nav.pos", Pos)], Bus())


@message
class _Fast:
    a: float
    b: tuple[int, ...] = ()
    c: str = "x"


@dataclass(frozen=True)
class _Plain:
    a: float
    b: tuple[int, ...] = ()
    c: str = "x"


@given(st.floats(allow_nan=False), st.lists(st.integers(), max_size=3).map(tuple), st.text(max_size=3))
def test_a_message_is_the_frozen_dataclass_it_declares(a, b, c):
    """@message builds its payload with one __dict__ update, and is otherwise the frozen
    dataclass: the same fields, defaults, equality, hash, repr and refusal to change."""
    import dataclasses
    fast, plain = _Fast(a, b, c), _Plain(a, b, c)
    assert dataclasses.astuple(fast) == dataclasses.astuple(plain)
    assert fast == _Fast(a=a, b=b, c=c) and hash(fast) == hash(_Fast(a, b, c))
    assert repr(fast) == repr(plain).replace("_Plain", "_Fast")
    assert _Fast(a) == _Fast(a, (), "x") and dataclasses.replace(fast, c="y").c == "y"
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.a = 1.0
    with pytest.raises(TypeError):
        _Fast()                     # a missing field is refused as before
    with pytest.raises(TypeError):
        _Fast(a, b, c, 4)


def test_a_message_with_a_default_factory_keeps_the_dataclass_init():
    import dataclasses

    @message
    class WithFactory:
        a: list = dataclasses.field(default_factory=list)

    assert WithFactory().a == [] and WithFactory().a is not WithFactory().a

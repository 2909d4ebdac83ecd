"""Ports: typed topics on the Bus, declared on the component class, wired once per vehicle.

A `Topic` is a name and a payload type (a frozen dataclass, or an immutable builtin), like a
uORB topic or an F Prime port type. A component declares what it sends and what it reads:

    class Sta(Component):
        PUBLISHES = (STA_STATUS,)
        SUBSCRIBES = (LANDER_MODE, Sub(ROVER_FIX, "_on_fix"))

and talks only through `self.publish(STA_STATUS, StaStatus(...))` and
`self.received(LANDER_MODE)` (the latest payload, or None) or its handler, called once per
message. No component reads another's attributes.

`wire(components, topics, bus)` connects a vehicle in one place (its topology function) and
refuses, listing every problem at once: a port on a topic the vehicle does not declare, a
topic declared with another payload type, a subscription nobody publishes.

Delivery (the executive's rule): a message is delivered as soon as the step that published
it returns, so every later step of the same tick, in executive order (later in its group or
in a later group), sees it that tick; an earlier step sees it at its next run. Order is
publish order, then subscription order (component order in the wiring, then declaration
order), so delivery is deterministic. A handler that raises is a fault of the publishing
step. Outside the executive (tests, the build) call `bus.deliver()`; the executive also
delivers what was published between ticks before the next tick. Latest values are not
checkpointed: a warm-restarted subscriber sees a topic again when it is next published.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Generic, Iterable, TypeVar

from .bus import Bus

if TYPE_CHECKING:  # pragma: no cover
    from .component import Component

P = TypeVar("P")
IMMUTABLE_BUILTINS = (bool, int, float, str, bytes, tuple, frozenset)


class PortError(TypeError):
    """A port used against its declaration (undeclared topic, wrong payload type)."""


class WiringError(ValueError):
    """A vehicle's wiring contradicts its components' ports; the message lists every problem."""


def message(cls: type) -> type:
    """`@dataclass(frozen=True)` for a topic payload published every tick, with an `__init__`
    that fills the new instance's `__dict__` in one update instead of the frozen dataclass's
    `object.__setattr__` per field (a 10-field payload: ~1.1 us -> ~0.6 us; a rover builds
    five a tick). The same fields, signature, defaults, eq, hash, repr and frozenness; a class
    with `__post_init__`, default factories, keyword-only or init=False fields keeps the
    dataclass's own `__init__`."""
    cls = dataclass(frozen=True)(cls)
    fs = dataclasses.fields(cls)
    if hasattr(cls, "__post_init__") or any(
            f.default_factory is not dataclasses.MISSING or not f.init or f.kw_only for f in fs):
        return cls
    scope = {f"_d_{f.name}": f.default for f in fs if f.default is not dataclasses.MISSING}
    params = ", ".join(f.name if f.default is dataclasses.MISSING else f"{f.name}=_d_{f.name}" for f in fs)
    store = ", ".join(f"{f.name!r}: {f.name}" for f in fs)
    exec(f"def __init__(self, {params}):\n    self.__dict__.update({{{store}}})\n", scope)  # noqa: S102 - from the fields only
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init
    return cls


@dataclass(frozen=True)
class Topic(Generic[P]):
    """A named, typed stream between components; `payload` is what every message must be."""

    name: str
    payload: type[P]
    doc: str = ""

    def __post_init__(self) -> None:
        p = self.payload
        frozen = dataclasses.is_dataclass(p) and p.__dataclass_params__.frozen
        if not isinstance(p, type) or not (frozen or issubclass(p, IMMUTABLE_BUILTINS)):
            raise PortError(f"topic {self.name}: payload {p!r} must be a frozen dataclass or an "
                            "immutable builtin (subscribers share one object)")


@dataclass(frozen=True)
class Sub:
    """A subscription; with `handler` (a method name) every message is also handed to it."""

    topic: Topic
    handler: str | None = None


def subscriptions(cls: type) -> tuple[Sub, ...]:
    return tuple(s if isinstance(s, Sub) else Sub(s) for s in getattr(cls, "SUBSCRIBES", ()))


def check_ports(cls: type) -> None:
    """Class-creation checks: ports are Topics, no topic twice, handlers are methods."""
    pubs = getattr(cls, "PUBLISHES", ())
    if not all(isinstance(t, Topic) for t in pubs):
        raise PortError(f"{cls.__name__}.PUBLISHES: every entry must be a Topic")
    for s in getattr(cls, "SUBSCRIBES", ()):
        if not isinstance(s, (Topic, Sub)) or not isinstance(getattr(s, "topic", s), Topic):
            raise PortError(f"{cls.__name__}.SUBSCRIBES: {s!r} is neither a Topic nor a Sub")
    subs = subscriptions(cls)
    for label, names in (("PUBLISHES", [t.name for t in pubs]),
                         ("SUBSCRIBES", [s.topic.name for s in subs])):
        if len(set(names)) != len(names):
            raise PortError(f"{cls.__name__}.{label}: a topic appears twice")
    for s in subs:
        if s.handler is not None and not callable(getattr(cls, s.handler, None)):
            raise PortError(f"{cls.__name__}: handler {s.handler!r} of {s.topic.name} is not a method")


class Ports:
    """One component's live ports: its bus (once wired) and the latest payload per topic."""

    __slots__ = ("owner", "bus", "latest", "published", "subscribed", "_sub_topics")

    def __init__(self, owner: Any) -> None:
        cls = type(owner)
        self.owner = owner
        self.bus: Bus | None = None
        self.latest: dict[str, Any] = {}
        self.published = {t.name: t for t in getattr(cls, "PUBLISHES", ())}
        self.subscribed = {s.topic.name: s for s in subscriptions(cls)}
        self._sub_topics = {name: s.topic for name, s in self.subscribed.items()}

    # The checks below take the declared Topic object itself first (`is`: what every caller
    # passes), and only otherwise compare by value (a dataclass __eq__ per call), so a port
    # used as declared costs one dict lookup.
    def publish(self, topic: Topic[P], payload: P) -> None:
        name = topic.name
        declared = self.published.get(name)
        if declared is not topic and declared != topic:
            raise PortError(f"{self.owner.name}: {name} is not in its PUBLISHES")
        if not isinstance(payload, topic.payload):
            raise PortError(f"{self.owner.name}: {name} carries {topic.payload.__name__}, "
                            f"not {type(payload).__name__}")
        if self.bus is not None:      # unwired (a unit test driving it alone): into nothing
            self.bus.publish(name, payload)

    def received(self, topic: Topic[P]) -> P | None:
        name = topic.name
        declared = self._sub_topics.get(name)
        if declared is not topic and (declared is None or declared != topic):
            raise PortError(f"{self.owner.name}: {name} is not in its SUBSCRIBES")
        return self.latest.get(name)

    def inject(self, topic: Topic[P], payload: P) -> None:
        """Deliver `payload` as if the bus had (a test driving one component alone)."""
        self.received(topic)
        if not isinstance(payload, topic.payload):
            raise PortError(f"{topic.name} carries {topic.payload.__name__}")
        self.deliver(topic.name, payload)

    def deliver(self, name: str, payload: Any) -> None:
        self.latest[name] = payload
        handler = self.subscribed[name].handler
        if handler is not None:
            getattr(self.owner, handler)(payload)


@dataclass(frozen=True)
class Connection:
    topic: Topic
    publishers: tuple[str, ...]
    subscribers: tuple[str, ...]


def _receiver(ports: Ports, name: str, handler: str | None) -> Callable[[str, Any], None]:
    """What the bus calls for one subscription: `ports.deliver(name, payload)`, with the
    subscription's latest table and handler name bound once at wiring."""
    latest = ports.latest
    if handler is None:
        def receive(_topic: str, payload: Any) -> None:
            latest[name] = payload
    else:
        owner = ports.owner

        def receive(_topic: str, payload: Any) -> None:
            latest[name] = payload
            getattr(owner, handler)(payload)
    return receive


def wire(components: Iterable["Component"], topics: Iterable[Topic], bus: Bus) -> tuple[Connection, ...]:
    """Connect every port of `components` over `bus`; `topics` are the vehicle's declared
    topics. Raises WiringError naming every problem; returns the connections, in order."""
    comps = list(components)
    declared: dict[str, Topic] = {}
    problems: list[str] = []
    for t in topics:
        if t.name in declared:
            problems.append(f"topic {t.name} declared twice")
        declared[t.name] = t
    pubs: dict[str, list[str]] = {n: [] for n in declared}
    subs: dict[str, list[str]] = {n: [] for n in declared}
    for c in comps:
        ports = c.ports
        for kind, table, out in (("publishes", ports.published, pubs), ("subscribes to", ports.subscribed, subs)):
            for name, entry in table.items():
                topic = getattr(entry, "topic", entry)
                if name not in declared:
                    problems.append(f"{c.name} {kind} unknown topic {name}")
                elif declared[name].payload is not topic.payload:
                    problems.append(f"{c.name} {kind} {name} as {topic.payload.__name__}, "
                                    f"the vehicle declares {declared[name].payload.__name__}")
                else:
                    out[name].append(c.name)
    for name, names in subs.items():
        if names and not pubs[name]:
            problems.append(f"{', '.join(names)} subscribe(s) to {name}, which nobody publishes")
    if problems:
        raise WiringError("; ".join(problems))
    for c in comps:
        c.ports.bus = bus
        for name, sub in c.ports.subscribed.items():
            bus.subscribe(name, _receiver(c.ports, name, sub.handler))
    return tuple(Connection(t, tuple(pubs[n]), tuple(subs[n])) for n, t in declared.items())


__all__ = ["Connection", "PortError", "Ports", "Sub", "Topic", "WiringError", "check_ports", "message",
           "subscriptions", "wire"]

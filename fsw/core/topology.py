"""A vehicle's topology: its named components, command routing and telemetry/event output.

Each component gets a small integer id (its order in the topology) that the ground link uses
for APIDs. Telemetry is sampled by `sample_telemetry` (put it in a rate group), events are
forwarded as they happen; both go to every attached sink in a fixed order.

Nothing emitted while the flight side is being built is lost: events a component emitted
before it joined (a mode change in its constructor, a parameter set by the deployment) are
delivered, in order, when it joins (a component moved from another topology brings the
events it emitted there), and a sink attached later (the telemetry log, after the flight
side is built) first receives the events the topology already holds, in order.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Protocol

from .bus import Bus
from .component import CommandResult, CommandStatus, Component
from .events import Event
from .ports import Connection, Topic, wire


class TelemetrySink(Protocol):
    def on_channels(self, t_ns: int, component: Component, values: Mapping[str, Any]) -> None: ...

    def on_event(self, event: Event, component: Component) -> None: ...


class Topology:
    def __init__(self, vehicle: str, components: Iterable[Component] = ()) -> None:
        self.vehicle = vehicle
        self.components: dict[str, Component] = {}
        self.sinks: list[TelemetrySink] = []
        self.events: list[Event] = []  # every event in emission order (bounded by the run)
        self.keep_events = True
        self.protection: Any = None   # fsw.core.protection.Protection once protected
        self.bus = Bus()              # the components' ports, once `wire` connects them
        self.connections: tuple[Connection, ...] = ()
        for c in components:
            self.add(c)

    def add(self, component: Component) -> Component:
        if component.name in self.components:
            raise ValueError(f"{self.vehicle}: duplicate component name {component.name!r}")
        component.component_id = len(self.components)
        self.components[component.name] = component
        previous = getattr(component, "_joined", None)
        if isinstance(previous, Topology) and previous is not self:
            pending = [e for e in previous.events if e.component == component.name]
        else:   # what it emitted before joining any topology, not yet delivered anywhere
            pending = component.event_log[getattr(component, "_delivered", 0):]
        component._delivered = len(component.event_log)
        component._joined = self

        def forward(ev: Event, _c: Component = component) -> None:
            if self.keep_events:
                self.events.append(ev)
            for s in self.sinks:
                s.on_event(ev, _c)
        component.events_out = forward
        for ev in pending:
            forward(ev)
        return component

    def wire(self, topics: Iterable[Topic]) -> tuple[Connection, ...]:
        """Connect the ports of every component added so far over this topology's bus (the
        vehicle's one wiring place); raises fsw.core.ports.WiringError on any mismatch."""
        self.connections = wire(self.components.values(), topics, self.bus)
        return self.connections

    def __getitem__(self, name: str) -> Component:
        return self.components[name]

    def attach(self, sink: TelemetrySink, *, replay: bool = True) -> None:
        """Add a sink; with `replay` it first gets every event the topology holds, in order
        (what the flight side emitted while it was built, before any log was attached)."""
        self.sinks.append(sink)
        if replay:
            for ev in list(self.events):
                comp = self.components.get(ev.component)
                if comp is not None:
                    sink.on_event(ev, comp)

    def dispatch(self, target: str, args: Mapping[str, Any] | None = None) -> CommandResult:
        """Route "component.COMMAND" to its component; an unknown target is a rejection."""
        comp_name, _, cmd = target.partition(".")
        comp = self.components.get(comp_name)
        if comp is None or not cmd:
            return CommandResult(CommandStatus.REJECTED, f"unknown command target {target!r}")
        return comp.dispatch(cmd, args)

    def sample_telemetry(self, t_ns: int) -> None:
        """Send every component's channels to the sinks (a rate-group step)."""
        sinks = self.sinks
        if not sinks:
            return
        for comp in self.components.values():
            if comp.tlm:
                for s in sinks:
                    s.on_channels(t_ns, comp, comp.tlm)

    def modes(self) -> dict[str, str | None]:
        return {n: c.mode for n, c in self.components.items()}

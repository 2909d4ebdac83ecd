"""A vehicle's topology: its named components, command routing and telemetry/event output.

Each component gets a small integer id (its order in the topology) that the ground link uses
for APIDs. Telemetry is sampled by `sample_telemetry` (put it in a rate group), events are
forwarded as they happen; both go to every attached sink in a fixed order.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Protocol

from .component import CommandResult, CommandStatus, Component
from .events import Event


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
        for c in components:
            self.add(c)

    def add(self, component: Component) -> Component:
        if component.name in self.components:
            raise ValueError(f"{self.vehicle}: duplicate component name {component.name!r}")
        component.component_id = len(self.components)
        self.components[component.name] = component

        def forward(ev: Event, _c: Component = component) -> None:
            if self.keep_events:
                self.events.append(ev)
            for s in self.sinks:
                s.on_event(ev, _c)
        component.events_out = forward
        return component

    def __getitem__(self, name: str) -> Component:
        return self.components[name]

    def attach(self, sink: TelemetrySink) -> None:
        self.sinks.append(sink)

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

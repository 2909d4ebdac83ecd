"""Real-time flight-side runner of the live link (what `msr gds serve` starts).

A topology plus its CommandIngest run in the Executive on the LinuxClock; the ingest polls
the transport from its rate-group step (no thread in the loop), and a downlink sink sends
acks, events and periodic channel packets back to the last peer.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from fsw.core.clock import Clock, LinuxClock
from fsw.core.component import Component
from fsw.core.executive import Executive
from fsw.core.topology import Topology

from .dictionary import LINK_COMPONENT, VehicleSpec, topology_spec
from .errors import EncodeError
from .ingest import Ack, CommandIngest
from .telemetry import TelemetryEncoder


class Downlink:
    """Topology sink and ack sink that sends TM packets over a transport."""

    def __init__(self, vehicle: VehicleSpec, transport: Any, *, channels: bool = True) -> None:
        self.encoder = TelemetryEncoder(vehicle)
        self.transport = transport
        self.channels = channels
        self.encode_errors = 0

    def _send(self, make: Callable[[], bytes]) -> None:
        try:
            self.transport.send(make())
        except EncodeError:
            self.encode_errors += 1

    def on_channels(self, t_ns: int, component: Component, values: Mapping[str, Any]) -> None:
        if self.channels:
            self._send(lambda: self.encoder.codec_for(component).channels(t_ns, values))

    def on_event(self, event: Any, component: Component) -> None:
        self._send(lambda: self.encoder.codec_for(component).event(
            event.t_ns, event.event_id, event.severity, event.args))

    def on_ack(self, ack: Ack, component: Component) -> None:
        self._send(lambda: self.encoder.codec_for(component).ack(
            ack.t_ns, ack.key_id, ack.cmd_seq, ack.status, ack.reason))


def link_topology(vehicle: str, components: list[Component], keys: Mapping[int, bytes], *,
                  window: int = 64) -> tuple[Topology, CommandIngest]:
    """A topology of `components` (in order) followed by its CommandIngest named "link",
    the order `dictionary.vehicle_spec` assumes."""
    topology = Topology(vehicle, components)
    ingest = topology.add(CommandIngest(LINK_COMPONENT, keys, window=window))
    return topology, ingest


class LinkServer:
    def __init__(self, topology: Topology, ingest: CommandIngest, transport: Any, *,
                 rate_hz: int = 50, telemetry_divisor: int = 50, apid_base: int | None = None,
                 clock: Clock | None = None, log: Any = None) -> None:
        spec = topology_spec(topology, apid_base)
        topology.keep_events = False  # long-running: do not grow a list of every event
        ingest.connect(topology, spec)
        ingest.uplink = transport
        self.topology, self.ingest, self.transport = topology, ingest, transport
        self.downlink = Downlink(spec, transport)
        topology.attach(self.downlink)
        ingest.ack_sinks.append(lambda a: self.downlink.on_ack(a, ingest))
        if log is not None:
            topology.attach(log)
            ingest.ack_sinks.append(lambda a: log.on_ack(a, ingest))
        self.executive = Executive(clock or LinuxClock(), rate_hz)
        others = [c for c in topology.components.values() if c is not ingest]
        self.executive.add_group("uplink", 1, [ingest])
        self.executive.add_group("components", 1, others)
        self.executive.add_group("telemetry", telemetry_divisor, [topology.sample_telemetry])

    def run(self, **limits: Any) -> int:
        """Run the executive (ticks=, until_ns=, stop_when= as Executive.run)."""
        return self.executive.run(**limits)

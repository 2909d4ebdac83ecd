"""Real-time flight-side runner of the live link (what `msr gds serve` starts).

A topology plus its CommandIngest run in the Executive on the LinuxClock; the ingest polls
the transport from its rate-group step (no thread in the loop), and a downlink sink sends
acks, events and periodic channel packets to the peer the transport trusts (the configured
ground, or the sender of the last verified command). An optional telemetry log is a
recorder behind a guard: a write that fails (full disk, I/O error) is counted and reported
once by the ingest, and never stops a command or its acknowledgement.
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
from .linked import link_topology
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
        try:
            pkt = self.encoder.codec_for(component).ack(ack.t_ns, ack.key_id, ack.cmd_seq,
                                                        ack.status, ack.reason)
        except EncodeError:
            self.encode_errors += 1
            return
        if ack.reply_to is not None:  # an authentic retry from elsewhere: answer it there
            self.transport.send_to(pkt, ack.reply_to)
        else:
            self.transport.send(pkt)


class TickSlice:
    """The transport as the ingest polls it in real time: a poll returns nothing once
    `slice_ns` of the current tick have passed on the executive's clock, so however hard
    the uplink is flooded, draining it takes at most that share of the tick (plus one
    chunk of 256); what is left waits in the socket. Through the Clock seam: on a SimClock
    time stands still inside a tick and only the count budget applies, as in SIL."""

    def __init__(self, transport: Any, clock: Clock, tick: Any, slice_ns: int) -> None:
        self.transport, self.clock, self.tick, self.slice_ns = transport, clock, tick, slice_ns

    @property
    def peer(self) -> Any:
        return self.transport.peer

    def poll(self, budget: int) -> list:
        if self.clock.now_ns() - self.tick.now_ns >= self.slice_ns:
            return []
        return self.transport.poll(budget)

    def verified(self, source: Any) -> None:
        self.transport.verified(source)


class GuardedSink:
    """A telemetry sink (the log) whose failures stay inside it: each one is counted and
    passed to `on_failure`, and the caller (a command's event, its ack, a telemetry
    sample) carries on. Writes keep being tried, so the log resumes when space returns.

    `on_failure` may emit an event, which comes back here and may fail again: it must
    report only the first failure (as `CommandIngest.note_log_failure` does)."""

    def __init__(self, sink: Any, on_failure: Callable[[BaseException], None]) -> None:
        self.sink = sink
        self.on_failure = on_failure
        self.failures = 0
        self.first_error: str | None = None

    def _call(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception as exc:
            self.failures += 1
            if self.first_error is None:
                self.first_error = f"{type(exc).__name__}: {exc}"
            self.on_failure(exc)

    def on_channels(self, t_ns: int, component: Component, values: Mapping[str, Any]) -> None:
        self._call(self.sink.on_channels, t_ns, component, values)

    def on_event(self, event: Any, component: Component) -> None:
        self._call(self.sink.on_event, event, component)

    def on_ack(self, ack: Ack, component: Component) -> None:
        self._call(self.sink.on_ack, ack, component)


DRAIN_PER_S = 200_000    # datagrams screened per second at most, spread over the ticks
VERIFY_PER_S = 25_000    # HMACs per second
UPLINK_SHARE = 40        # % of a tick the uplink may spend reading the transport


class LinkServer:
    def __init__(self, topology: Topology, ingest: CommandIngest, transport: Any, *,
                 rate_hz: int = 50, telemetry_divisor: int = 50, apid_base: int | None = None,
                 clock: Clock | None = None, log: Any = None) -> None:
        spec = topology_spec(topology, apid_base)
        topology.keep_events = False  # long-running: do not grow a list of every event
        ingest.connect(topology, spec)
        clock = clock or LinuxClock()
        self.executive = Executive(clock, rate_hz)
        ingest.uplink = TickSlice(transport, clock, self.executive.time,
                                  self.executive.period_ns * UPLINK_SHARE // 100)
        ingest.drain_per_tick = max(64, DRAIN_PER_S // rate_hz)
        ingest.verify_per_tick = max(16, VERIFY_PER_S // rate_hz)
        self.topology, self.ingest, self.transport = topology, ingest, transport
        self.downlink = Downlink(spec, transport)
        topology.attach(self.downlink)
        ingest.ack_sinks.append(lambda a: self.downlink.on_ack(a, ingest))
        self.log = None
        if log is not None:
            self.log = GuardedSink(log, ingest.note_log_failure)
            topology.attach(self.log)
            ingest.ack_sinks.append(lambda a: self.log.on_ack(a, ingest))
        others = [c for c in topology.components.values() if c is not ingest]
        self.executive.add_group("uplink", 1, [ingest])
        self.executive.add_group("components", 1, others)
        self.executive.add_group("telemetry", telemetry_divisor, [topology.sample_telemetry])

    def run(self, **limits: Any) -> int:
        """Run the executive (ticks=, until_ns=, stop_when= as Executive.run)."""
        return self.executive.run(**limits)

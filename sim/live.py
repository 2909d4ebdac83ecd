"""`msr sil SCENARIO --live`: a SIL flight paced to the wall clock, behind the live link.

The scenario runs as in `msr sil` (same plant, devices, flight software, run directory),
with three additions made through `sim.deployment.FLIGHT_HOOKS` once the flight is built:

- a `CommandIngest` named "link" joins the topology (so commands are authenticated, replay-
  checked and acknowledged exactly as on a served vehicle) and polls a UDP socket every tick
  of every rate set;
- a `Downlink` sends every channel sample, event and ack to the ground address (`--ground`,
  what `msr gds web --link` listens on); acks are logged too;
- a pacer on the SimClock holds simulated time to `speed` x the wall clock.

`dictionary.json` is written before the first tick, so a console can decode from the start.
A live run is not deterministic (commands arrive when the ground sends them), so it is never
compared with golden hashes; without commands it flies exactly the ticks `msr sil` flies.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping

from fsw.core import Executive, Topology
from fsw.link.dictionary import Dictionary, topology_spec
from fsw.link.ingest import CommandIngest
from fsw.link.linked import add_link
from fsw.link.log import TelemetryLogWriter
from fsw.link.server import Downlink
from fsw.link.transport import UdpLink
from sim.deployment import DICTIONARY, FLIGHT_HOOKS, ScenarioError


class Pacer:
    """A SimClock stepper that waits until the wall clock reaches `speed` x simulated time."""

    def __init__(self, start_ns: int, speed: float) -> None:
        if not speed > 0:
            raise ScenarioError(f"--speed must be > 0, got {speed}")
        self.start_ns, self.speed = start_ns, speed
        self.wall0: int | None = None
        self.behind_ns = 0   # worst lateness seen (the flight could not keep the pace)

    def advance_to(self, t_ns: int) -> None:
        now = time.monotonic_ns()
        if self.wall0 is None:
            self.wall0 = now
        due = self.wall0 + int((t_ns - self.start_ns) / self.speed)
        if due > now:
            time.sleep((due - now) / 1e9)
        else:
            self.behind_ns = max(self.behind_ns, now - due)


@dataclass
class LiveLink:
    """What a live run needs to talk to the ground."""

    keys: Mapping[int, bytes]
    ground: tuple[str, int]
    host: str = "127.0.0.1"
    port: int = 0
    speed: float = 1.0
    out_dir: Path | None = None
    transport: UdpLink | None = None
    ingest: CommandIngest | None = None
    pacer: Pacer | None = None
    on_ready: Callable[["LiveLink"], None] | None = None   # told when the link is up

    def install(self, topology: Topology, executive: Executive, log: TelemetryLogWriter) -> None:
        try:
            ingest = add_link(topology, self.keys)
        except ValueError as exc:
            raise ScenarioError(str(exc)) from None
        spec = topology_spec(topology)
        ingest.connect(topology, spec)
        self.transport = UdpLink(self.host, self.port, ground=self.ground)
        ingest.uplink = self.transport
        downlink = Downlink(spec, self.transport)
        topology.attach(downlink)
        ingest.ack_sinks.append(lambda a: downlink.on_ack(a, ingest))
        ingest.ack_sinks.append(lambda a: log.on_ack(a, ingest))
        for name in executive.rate_sets:
            executive.add_group(f"uplink_{name}", 1, [ingest], rate_set=name)
        self.pacer = Pacer(executive.start_ns, self.speed)
        executive.clock.attach(self.pacer)
        self.ingest = ingest
        if self.out_dir is not None:
            Path(self.out_dir).mkdir(parents=True, exist_ok=True)
            (Path(self.out_dir) / DICTIONARY).write_text(Dictionary((spec,)).to_json())
        if self.on_ready is not None:
            self.on_ready(self)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


@contextmanager
def live(link: LiveLink) -> Iterator[LiveLink]:
    """Every SIL flight built inside this block flies live on `link`."""
    token = FLIGHT_HOOKS.set(FLIGHT_HOOKS.get() + (link.install,))
    try:
        yield link
    finally:
        FLIGHT_HOOKS.reset(token)
        link.close()

"""Packets per second of the ground link: telemetry encode/decode, events, signed commands.

Goal (issue 5): >= 200,000 telemetry encodes/s and >= 100,000 decodes/s on one core.
Figures are noisy on a shared machine; the best of a few repeats is printed.
"""
from __future__ import annotations

import time

from fsw.core.component import Component
from fsw.core.declarations import Channel
from fsw.core.events import Event, Severity
from fsw.link.linked import linked_vehicle_spec as vehicle_spec
from fsw.link.testbed import TESTBED_COMPONENTS
from fsw.link.ingest import CommandIngest
from fsw.link.log import TelemetryLogWriter, read_log
from fsw.link.server import link_topology
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import TelemetryDecoder, TelemetryEncoder

GOAL_ENCODE = 200_000
GOAL_DECODE = 100_000


class Nav(Component):
    """A typical numeric component: 8 channels (6 floats, an int, a bool)."""

    CHANNELS = (*(Channel(n, float, "m") for n in ("x", "y", "z", "vx", "vy", "vz")),
                Channel("fixes", int), Channel("valid", bool))


def best_rate(fn, n: int, repeats: int = 5) -> float:
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn(n)
        dt = time.perf_counter() - t0
        best = max(best, n / dt)
    return best


def main() -> None:
    spec = vehicle_spec("testbed", {"nav": Nav, **TESTBED_COMPONENTS})
    enc = TelemetryEncoder(spec)
    dec = TelemetryDecoder(spec)
    nav = enc.codec("nav")
    values = {"x": 1.0, "y": 2.0, "z": 3.0, "vx": 0.1, "vy": 0.2, "vz": 0.3, "fixes": 42,
              "valid": True}
    pkt = nav.channels(123_456_789, values)
    heater_vals = {"temp_c": -20.0, "setpoint_c": -10.0, "heater_on": True, "mode": "ACTIVE"}
    heater_pkt = enc.channels(1, "heater", heater_vals)
    ev = Event(5, "counter", 7, "COUNTED", Severity.ACTIVITY_LO, (("count", 3), ("by", 1)))
    ev_pkt = enc.event(ev)

    def encode_nav(n):
        f = nav.channels
        for i in range(n):
            f(i, values)

    def decode_nav(n):
        d = dec.decode
        for _ in range(n):
            d(pkt)

    def encode_strings(n):
        f = enc.codec("heater").channels
        for i in range(n):
            f(i, heater_vals)

    def decode_strings(n):
        for _ in range(n):
            dec.decode(heater_pkt)

    def encode_event(n):
        for _ in range(n):
            enc.event(ev)

    def decode_event(n):
        for _ in range(n):
            dec.decode(ev_pkt)

    topology, ingest = link_topology("testbed", [c(n) for n, c in TESTBED_COMPONENTS.items()],
                                     {1: b"\x01" * 32})
    ingest.connect(topology)
    tce = TelecommandEncoder(ingest.vehicle, {1: b"\x01" * 32})
    counter = {"seq": 0}

    def sign(n):
        for _ in range(n):
            counter["seq"] += 1
            tce.encode("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=counter["seq"])

    tcs = [tce.encode("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=10**9 + i)
           for i in range(20_000)]

    def ingest_all(n):
        for p in tcs[:n]:
            ingest.process(p)

    class Sink(Component):
        CHANNELS = Nav.CHANNELS
    comp = Sink("nav")
    writer = TelemetryLogWriter(vehicle_spec("testbed", {"nav": Sink}))
    comp.tlm.update(values)

    def log_write(n):
        on = writer.on_channels
        for i in range(n):
            on(i, comp, comp.tlm)
    log_write(50_000)
    log = writer.getvalue()

    def log_read(n):
        for _ in read_log(log[:n * len(pkt)], writer.encoder.vehicle):
            pass

    rows = [("telemetry encode, 8 numeric channels", encode_nav, 200_000, GOAL_ENCODE),
            ("telemetry decode, 8 numeric channels", decode_nav, 200_000, GOAL_DECODE),
            ("log writer on_channels (sink path)", log_write, 200_000, None),
            ("log read_log walk + decode", log_read, 50_000, None),
            ("telemetry encode, 4 channels with a string", encode_strings, 100_000, None),
            ("telemetry decode, 4 channels with a string", decode_strings, 100_000, None),
            ("event encode (2 TLV args)", encode_event, 100_000, None),
            ("event decode (2 TLV args)", decode_event, 100_000, None),
            ("telecommand sign (HMAC-SHA256)", sign, 20_000, None),
            ("command ingest verify+dispatch", ingest_all, 20_000, None)]
    print(f"packet size: numeric TM {len(pkt)} B, event {len(ev_pkt)} B, TC {len(tcs[0])} B")
    print(f"{'operation':<45} {'packets/s':>12}  goal")
    for name, fn, n, goal in rows:
        rate = best_rate(fn, n, repeats=3 if n > 20_000 else 1)
        verdict = "" if goal is None else f"{goal:>9,}  x{rate / goal:.2f}"
        print(f"{name:<45} {rate:>12,.0f}  {verdict}")
    assert ingest.tlm["accepted"] == 20_000


if __name__ == "__main__":
    main()

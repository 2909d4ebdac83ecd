"""What the ground console costs: packets per second `msr gds web` forwards to a browser's
WebSocket, and whether it keeps up with a 50 Hz vehicle.

The vehicle: the seed-1 ascent's own channel values, re-timed onto a 50 Hz grid (every
component sends a channel packet every 20 ms: 5 components -> 250 packets/s), 40 s of flight.
The console runs as `msr gds web --link` in its own process (as in use) and this bench is
both ends around it: it sends the packets over UDP like the flight's downlink, tick by tick,
and reads the WebSocket like the browser (whose own rendering is not counted). The latency
of a packet is from its send to its arrival on the WebSocket, on one clock.

Paced at 1x, 4x, 16x and 64x the vehicle (250 to 16,000 packets/s) it reports packets
received / sent and the latency median, p99 and worst; the highest rate with every packet
delivered and a p99 below 100 ms is what the console sustains.

Run: .venv/bin/python bench/console.py   (needs the console extra)
"""
from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time
from urllib.request import urlopen
from pathlib import Path

from tornado.websocket import websocket_connect

from fsw.link.dictionary import Dictionary
from fsw.link.log import TelemetryLogWriter, iter_records, read_log
from fsw.link.telemetry import ChannelPacket

RATE_HZ = 50
SECONDS = 40
MSR = str(Path(sys.executable).parent / "msr")


def fifty_hz_log(out: Path) -> int:
    """A 50 Hz log of the MAV (values from the seed-1 ascent, re-timed); packets written."""
    from sim.scenarios import ascent
    run = out / "ascent-1"
    ascent.run(seed=1, out_dir=run, overrides={})
    d = Dictionary.from_json((run / "dictionary.json").read_text())
    spec = d.vehicles[0]
    samples: dict[str, list[dict]] = {}
    for p in read_log(run / "telemetry.bin", d):
        if isinstance(p, ChannelPacket):
            samples.setdefault(p.component, []).append(p.values)
    writer = TelemetryLogWriter(spec)
    n = 0
    for k in range(RATE_HZ * SECONDS):
        t_ns = k * (1_000_000_000 // RATE_HZ)
        for comp, values in samples.items():
            writer.on_channels(t_ns, _Named(comp, spec), values[k % len(values)])
            n += 1
    (out / "telemetry.bin").write_bytes(writer.getvalue())
    (out / "dictionary.json").write_text(d.to_json())
    return n


class _Named:
    """Just enough of a component for the log writer (a name and its id)."""

    def __init__(self, name: str, spec) -> None:
        self.name = name
        self.component_id = spec.by_name[name].component_id


async def measure(url: str, udp: tuple[str, int], packets: list[bytes], per_tick: int,
                  speed: int) -> tuple[int, list[float]]:
    """Send `packets` over UDP, `per_tick` every 20 ms / speed; (received, latencies s)."""
    conn = await websocket_connect(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent_at: dict[tuple[int, int], float] = {}
    lat: list[float] = []

    async def reader() -> None:
        while len(lat) < len(packets):
            msg = await conn.read_message()
            if msg is None:
                return
            now = time.monotonic()
            for d in json.loads(msg):
                key = (d.get("apid"), d.get("seq"))
                if d["k"] == "ch" and key in sent_at:
                    lat.append(now - sent_at.pop(key))

    task = asyncio.create_task(reader())
    period = 1 / RATE_HZ / speed
    t0 = time.monotonic()
    for i in range(0, len(packets), per_tick):
        due = t0 + (i // per_tick) * period
        if due > time.monotonic():
            await asyncio.sleep(due - time.monotonic())
        for pkt in packets[i:i + per_tick]:
            sent_at[(int.from_bytes(pkt[0:2], "big") & 0x7FF,
                     int.from_bytes(pkt[2:4], "big") & 0x3FFF)] = time.monotonic()
            sock.sendto(pkt, udp)
    try:
        await asyncio.wait_for(task, 5)
    except asyncio.TimeoutError:
        task.cancel()
    conn.close()
    sock.close()
    return len(lat), lat


def run_speed(log: Path, speed: int, per_tick: int) -> tuple[int, int, list[float]]:
    packets = [bytes(r) for _, r in iter_records(log.read_bytes())]
    web = subprocess.Popen([MSR, "gds", "web", "--link", "--dict", str(log.parent / "dictionary.json"),
                            "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        udp_line = web.stdout.readline()            # "ground udp 127.0.0.1:PORT"
        http_line = web.stdout.readline()           # "console on http://127.0.0.1:PORT/ ..."
        host, port = udp_line.split()[2].rstrip(",").rsplit(":", 1)
        url = http_line.split()[2].replace("http://", "ws://").rstrip("/") + "/ws"
        got, lat = asyncio.run(measure(url, (host, int(port)), packets, per_tick, speed))
        with urlopen(http_line.split()[2].rstrip("/") + "/api/status", timeout=5) as r:
            received = json.load(r)["received"]
        return got, received, len(packets), lat
    finally:
        web.terminate()
        web.wait(10)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        n = fifty_hz_log(tmp)
        per_tick = n // (RATE_HZ * SECONDS)
        print(f"50 Hz MAV: {n} channel packets over {SECONDS} s, {per_tick} per 20 ms tick "
              f"({n // SECONDS} packets/s at 1x)")
        for speed in (1, 4, 16, 64):
            got, received, sent, lat = run_speed(tmp / "telemetry.bin", speed, per_tick)
            lat.sort()
            q = (lambda f: lat[min(len(lat) - 1, int(len(lat) * f))] * 1e3) if lat else (lambda f: float("nan"))
            print(f"{speed:>2}x the vehicle ({n // SECONDS * speed:>6} packets/s): {got}/{sent} "
                  f"forwarded ({sent - received} lost on UDP before the console), latency median {q(0.5):6.2f} ms, p99 {q(0.99):7.2f} ms, "
                  f"worst {(lat[-1] * 1e3 if lat else float('nan')):7.2f} ms")


if __name__ == "__main__":
    main()

"""Serial link figures: codec cost, pty throughput, round-trip latency, corruption acceptance.

    .venv/bin/python bench/serial_link.py [--corrupted 1000000] [--round-trips 5000]

Prints:
  * encode + decode cost per frame (an IMU reading: 56-byte payload), codec only and with
    payload packing;
  * frames/s one way over an os.openpty pair (no baud limit on a pty: this is CPU-bound);
  * request/response round-trip latency (READ of an IMU) median and p99 against an emulator
    thread on the other end of a pty;
  * how many of N randomly corrupted frames the decoder accepts (goal: 0), and how long it took.
Figures are from a shared 2-core machine: noisy, report them with that caveat.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hal.catalog import KINDS  # noqa: E402
from hal.serial.channel import SerialChannel  # noqa: E402
from hal.serial.framing import Frame, FrameDecoder, MsgType, encode_frame  # noqa: E402
from hal.serial.link import SerialLink  # noqa: E402
from hal.serial.messages import decode_reading, encode_reading  # noqa: E402
from hal.serial.port import FdPort, PortSettings  # noqa: E402
from hal.serial.responder import Responder, serve_in_thread  # noqa: E402
from hal.simulated import SimChannel  # noqa: E402
from hal.table_plant import TablePlant  # noqa: E402
from hal.values import Sample  # noqa: E402

IMU = KINDS["imu"]
SAMPLE = Sample(123_456_789, {"accel_mps2": (0.01, -0.02, 3.71), "rate_radps": (1e-3, -2e-3, 3e-4)})


def codec_cost(n: int) -> None:
    payload = encode_reading(IMU, SAMPLE)
    frame = Frame(1, MsgType.READING, 42, payload)
    t0 = time.perf_counter()
    for _ in range(n):
        wire = encode_frame(frame)
    t1 = time.perf_counter()
    dec = FrameDecoder()
    for _ in range(n):
        dec.feed(wire)
    t2 = time.perf_counter()
    for _ in range(n):
        w = encode_frame(Frame(1, MsgType.READING, 42, encode_reading(IMU, SAMPLE)))
        decode_reading(IMU, dec.feed(w)[0].payload)
    t3 = time.perf_counter()
    print(f"frame: {len(payload)} B payload, {len(wire)} B on the wire")
    print(f"encode            {1e6 * (t1 - t0) / n:6.2f} us/frame")
    print(f"decode (stream)   {1e6 * (t2 - t1) / n:6.2f} us/frame")
    print(f"encode+decode     {1e6 * (t2 - t0) / n:6.2f} us/frame (codec only)")
    print(f"with payload pack {1e6 * (t3 - t2) / n:6.2f} us/frame (check+pack+frame+deframe+unpack)")


def pty_throughput(n: int) -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    link = SerialLink(PortSettings(path), timeout_s=1.0)
    wire = b"".join(encode_frame(Frame(1, MsgType.STREAM_READING, (i + 1) & 0xFFFF, encode_reading(IMU, SAMPLE)))
                    for i in range(n))

    def writer() -> None:
        view = memoryview(wire)
        while view:
            view = view[os.write(master, view[:4096]):]

    t0 = time.perf_counter()
    th = threading.Thread(target=writer, daemon=True)
    th.start()
    deadline = time.monotonic() + 60
    while link.stats.stream_frames + link.stats.stream_out_of_order < n and time.monotonic() < deadline:
        link.poll(0.05)
    dt = time.perf_counter() - t0
    th.join()
    got = link.stats.stream_frames
    print(f"pty one-way: {got}/{n} frames in {dt:.2f} s = {got / dt:,.0f} frames/s "
          f"({len(wire) / dt / 1e6:.1f} MB/s), lost {link.stats.stream_lost}, rejected {link.decoder.rejected}")
    link.close()
    os.close(master)
    os.close(slave)


def round_trip(n: int) -> None:
    plant = TablePlant({"imu0": "imu"})
    plant.set("imu0", **SAMPLE.values)
    master, slave = os.openpty()
    path = os.ttyname(slave)
    port = FdPort(master, "emulator")
    thread, stop = serve_in_thread(Responder(port, {1: SimChannel(plant, "imu0", IMU)}))
    link = SerialLink(PortSettings(path), timeout_s=1.0)
    ch = SerialChannel(link, 1, IMU, "imu0")
    for _ in range(200):
        ch.read()  # warm-up
    lat = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        ch.read()
        lat.append(time.perf_counter_ns() - t0)
    stop.set()
    thread.join()
    link.close()
    port.close()
    os.close(slave)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
    print(f"round trip READ over pty ({n}): median {statistics.median(lat) / 1e3:.0f} us, "
          f"p99 {p99 / 1e3:.0f} us, max {lat[-1] / 1e3:.0f} us")


def corrupted(n: int, seed: int = 2026, batch: int = 20_000) -> None:
    """Corrupt 1..4 random bytes of random frames (random devices, types, payloads 0..64 B)."""
    rng = np.random.default_rng(seed)
    base = [encode_frame(Frame(int(rng.integers(256)), int(rng.integers(1, 16)), int(rng.integers(65536)),
                               rng.bytes(int(rng.integers(0, 65))))) for _ in range(1000)]
    dec = FrameDecoder()
    accepted = 0
    t0 = time.perf_counter()
    done = 0
    while done < n:
        m = min(batch, n - done)
        which = rng.integers(0, len(base), m).tolist()
        nbytes = rng.integers(1, 5, m).tolist()
        where = rng.random((m, 4)).tolist()
        # xor with a non-zero value: every chosen byte really changes (positions may repeat,
        # then the xors combine; the result is still a change unless they cancel, see below)
        xors = rng.integers(1, 256, (m, 4)).tolist()
        pieces = []
        for k in range(m):
            orig = base[which[k]]
            w = bytearray(orig)
            for j in range(nbytes[k]):
                w[int(where[k][j] * len(w))] ^= xors[k][j]
            if w == orig:  # two xors cancelled at one position: not a corrupted frame
                w[0] ^= 0x55
            pieces.append(bytes(w))
        # a clean delimiter between corrupted frames, as line idle would give
        accepted += len(dec.feed(b"\x00".join(pieces) + b"\x00"))
        done += m
    dt = time.perf_counter() - t0
    print(f"corrupted frames accepted: {accepted} of {n:,} (1-4 random bytes changed each), "
          f"rejected {dec.rejected:,} bodies, {dt:.1f} s ({1e6 * dt / n:.1f} us/frame incl. corruption)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codec", type=int, default=100_000)
    ap.add_argument("--stream", type=int, default=100_000)
    ap.add_argument("--round-trips", type=int, default=5_000)
    ap.add_argument("--corrupted", type=int, default=1_000_000)
    args = ap.parse_args()
    codec_cost(args.codec)
    pty_throughput(args.stream)
    round_trip(args.round_trips)
    corrupted(args.corrupted)


if __name__ == "__main__":
    main()

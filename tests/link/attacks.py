"""Attack harness of the command path, shared by tests/link/test_attacks.py (small) and
bench/link_attacks.py (large, prints the table).

Each input class is thrown at a fresh testbed vehicle's CommandIngest, in process, with a valid
command from the ground interleaved after every few bad ones. A row counts what was tried,
what was rejected cleanly (no execution, no exception), what crashed (an exception escaped),
and what data was lost (a valid command that did not run exactly once, or a bad one that
ran). The telemetry decoder gets the same treatment on TM packets.
"""
from __future__ import annotations

import random
import struct
from dataclasses import dataclass
from typing import Callable, Iterator

from fsw.link.ccsds import CRC, crc16
from fsw.link.errors import DecodeError
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import AckStatus, TelemetryDecoder, TelemetryEncoder

from .kit import KEYS, linked_testbed

EXECUTED = frozenset({AckStatus.OK, AckStatus.FAILED})
EVERY = 7  # a valid command after this many bad packets


@dataclass
class Row:
    name: str
    tried: int = 0
    rejected: int = 0
    crashed: int = 0
    lost: int = 0

    def line(self) -> str:
        return f"| {self.name} | {self.tried} | {self.rejected} | {self.crashed} | {self.lost} |"


def recrc(pkt: bytes | bytearray) -> bytes:
    pkt = bytearray(pkt)
    pkt[-2:] = CRC.pack(crc16(bytes(pkt[:-2])))
    return bytes(pkt)


class Target:
    """A fresh vehicle and its ground: valid commands count up, bad ones must not count."""

    def __init__(self) -> None:
        self.topology, self.ingest, spec = linked_testbed()
        self.enc = TelecommandEncoder(spec, KEYS)
        self.seq = 1000
        self.valid_sent = 0

    def valid(self) -> bytes:
        self.seq += 1
        self.valid_sent += 1
        return self.enc.encode("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=self.seq)

    @property
    def count(self) -> int:
        return self.topology["counter"].tlm["count"]


class GroundPeer:
    """The uplink as the ingest sees it when the ground ("ground") is the verified peer."""

    peer = "ground"

    def verified(self, source: object) -> None:
        pass


def attack(name: str, packets: Iterator[bytes], batch: int = 0, prime: bytes | None = None) -> Row:
    """Feed `packets` one by one, or through `ingest` in batches of `batch` as the flight
    loop does each tick (junk from an attacker's address, valid commands from the ground).
    `prime` is a command run first (the one an attacker recorded and replays)."""
    t, row = Target(), Row(name)
    if prime is not None:
        t.ingest.process(prime)
    base = t.count
    if batch:
        t.ingest.uplink = GroundPeer()
    queue: list[tuple[bytes, object]] = []

    def flush() -> None:
        try:
            t.ingest.ingest(queue)
        except Exception:  # noqa: BLE001 - an escape is what this harness counts
            row.crashed += len(queue)
        queue.clear()
    for i, pkt in enumerate(packets, 1):
        row.tried += 1
        before = t.count
        if batch:
            queue.append((pkt, ("192.0.2.1", 9)))
        else:
            try:
                ack = t.ingest.process(pkt)
            except Exception:  # noqa: BLE001
                row.crashed += 1
                continue
            if ack.status in EXECUTED or t.count != before:
                row.lost += 1       # a bad packet ran
            else:
                row.rejected += 1
        if i % EVERY == 0:
            valid = t.valid()
            if batch:
                queue.append((valid, "ground"))
                if len(queue) >= batch:
                    flush()
            else:
                t.ingest.process(valid)
    if batch:
        flush()
        row.rejected = row.tried - row.crashed
    row.lost += abs(t.count - base - t.valid_sent)  # valid commands not run exactly once
    return row


def classes(scale: int, seed: int = 7
            ) -> tuple[list[tuple[str, Callable[[], Iterator[bytes]], int]], bytes]:
    rng = random.Random(seed)
    t = Target()
    good = t.enc.encode("counter.INCREMENT", {"by": 5}, key_id=1, auth_seq=1)

    def random_bytes():
        for _ in range(scale):
            yield rng.randbytes(rng.randint(0, 120))

    def truncations():
        for _ in range(max(1, scale // len(good))):
            yield from (good[:n] for n in range(len(good)))

    def byte_mutations():
        for _ in range(scale):
            pkt = bytearray(good)
            pkt[rng.randrange(len(pkt))] = rng.randrange(256)
            yield bytes(pkt)

    def bit_flips_recrc():
        for i in range(scale):
            pkt = bytearray(good)
            bit = i % ((len(pkt) - 2) * 8)
            pkt[bit // 8] ^= 1 << (bit % 8)
            yield recrc(pkt)

    def forged_mac():
        for i in range(scale):
            pkt = bytearray(good)
            struct.pack_into(">Q", pkt, 8, 10_000 + i)
            pkt[-18:-2] = rng.randbytes(16)
            yield recrc(pkt)

    def unknown_key():
        for _ in range(scale):
            yield _with_key(good, rng.randint(3, 0xFFFF))

    def replays():
        for _ in range(scale):
            yield good                    # runs once (first time), then only replays

    def stale():
        for i in range(scale):
            yield t.enc.encode("counter.INCREMENT", {"by": 1}, key_id=2, auth_seq=i + 1)

    def bad_bools():
        for i in range(scale):
            pkt = bytearray(t.enc.encode("counter.LABEL", {"text": "x", "level": "LOW",
                                                           "loud": True}, key_id=2,
                                         auth_seq=10**9 + i))
            pkt[-19] = rng.randint(2, 255)  # the bool byte, re-signed: an authentic bad value
            yield _resign(pkt, KEYS[2])

    def flood_mix():
        for i in range(scale):
            r = rng.random()
            if r < 0.4:
                yield rng.randbytes(rng.randint(1, 100))
            elif r < 0.8:
                yield next(forged_mac())
            elif r < 0.9:
                yield _with_key(good, rng.randint(3, 0xFFFF))
            else:
                yield good
    return [("random bytes", random_bytes, 0),
            ("every truncation of a valid command", truncations, 0),
            ("random byte replaced (CRC not fixed)", byte_mutations, 0),
            ("single bit flipped, CRC recomputed", bit_flips_recrc, 0),
            ("forged MAC, real key id, valid CRC", forged_mac, 0),
            ("unknown key id, valid CRC", unknown_key, 0),
            ("replay of an executed command", replays, 0),
            ("sequence number behind the window", stale, 0),
            ("authentic command, bool byte not 0/1", bad_bools, 0),
            ("flood mix through the per-tick budget", flood_mix, 2048)], good


def _with_key(pkt: bytes, key_id: int) -> bytes:
    p = bytearray(pkt)
    struct.pack_into(">H", p, 6, key_id)
    return recrc(p)


def _resign(pkt: bytearray, key: bytes) -> bytes:
    from fsw.link.auth import mac
    pkt[-18:-2] = mac(key, bytes(pkt[:-18]))
    return recrc(pkt)


def run_all(scale: int, seed: int = 7) -> list[Row]:
    rows = []
    table, recorded = classes(scale, seed)
    for name, make, batch in table:
        if name.startswith("sequence number behind"):
            rows.append(_stale_row(name, make))
        elif name.startswith("replay"):
            rows.append(_replay_row(name, make))
        else:
            rows.append(attack(name, make(), batch, prime=recorded if batch else None))
    rows.append(telemetry_row(scale, seed))
    return rows


def _stale_row(name: str, make: Callable[[], Iterator[bytes]]) -> Row:
    t = Target()
    far = t.enc.encode("counter.NOOP", {}, key_id=2, auth_seq=1 << 40)
    t.ingest.process(far)
    row = Row(name)
    for pkt in make():
        row.tried += 1
        before = t.count
        try:
            ack = t.ingest.process(pkt)
        except Exception:  # noqa: BLE001
            row.crashed += 1
            continue
        if ack.status is AckStatus.STALE and t.count == before:
            row.rejected += 1
        else:
            row.lost += 1
    return row


def _replay_row(name: str, make: Callable[[], Iterator[bytes]]) -> Row:
    t = Target()
    row = Row(name)
    first = True
    for pkt in make():
        row.tried += 1
        try:
            ack = t.ingest.process(pkt)
        except Exception:  # noqa: BLE001
            row.crashed += 1
            continue
        if first:
            first = False
            row.tried -= 1                 # the original, not an attack
            continue
        if ack.status is AckStatus.REPLAY:
            row.rejected += 1
        else:
            row.lost += 1
    row.lost += abs(t.count - 5)           # the original ran exactly once
    return row


def telemetry_row(scale: int, seed: int) -> Row:
    """TM decoder: random and mutated packets raise only DecodeError."""
    rng = random.Random(seed)
    t = Target()
    enc = TelemetryEncoder(t.ingest.vehicle)
    dec = TelemetryDecoder(t.ingest.vehicle)
    samples = [enc.channels(5, "heater", {"temp_c": 1.0, "setpoint_c": 2.0, "heater_on": True,
                                          "mode": "IDLE"}),
               enc.ack(6, "link", 1, 2, AckStatus.OK, "fine"),
               enc.codec("counter").event(7, 0, 1, (("count", 3), ("by", 1)))]
    row = Row("telemetry decoder: mutated and random TM packets")
    for i in range(scale):
        pkt = bytearray(rng.choice(samples))
        if i % 3 == 0:
            pkt = bytearray(rng.randbytes(rng.randint(0, 80)))
        else:
            for _ in range(rng.randint(1, 3)):
                pkt[rng.randrange(len(pkt))] = rng.randrange(256)
            if i % 2:
                pkt = bytearray(recrc(pkt))
        row.tried += 1
        try:
            dec.decode(bytes(pkt))
        except DecodeError:
            row.rejected += 1
        except Exception:  # noqa: BLE001
            row.crashed += 1
        else:
            row.rejected += 1  # decoded to some packet: nothing executes on the ground
    return row

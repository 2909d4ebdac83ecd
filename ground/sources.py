"""Where the console's packets come from. Each source calls `publish(packet bytes)` for every
TM packet, on the asyncio loop:

- `ReplaySource`: a telemetry log played back at `speed` x spacecraft time (0: at once);
- `FollowSource`: a log that another process is still writing (a SIL or HIL run), read as it
  grows, whole records only;
- `UdpSource`: a live link with a flight instance (`msr sil ... --live`, `msr gds serve`): TM
  arrives on a UDP port, telecommands go back to the flight's address (given, or learnt
  from the first telemetry datagram).
"""
from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path
from typing import Callable

from fsw.link.ccsds import CRC, CRC_SIZE, PRIMARY_SIZE, crc16
from fsw.link.errors import LinkError
from fsw.link.log import iter_records

Publish = Callable[[bytes], None]
RCVBUF = 4 << 20


class ReplaySource:
    """Plays a log back paced on its spacecraft times; `done` is set at its end."""

    def __init__(self, path: Path, speed: float = 1.0) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0 (0: as fast as possible)")
        self.path, self.speed = Path(path), speed
        self.sent = 0
        self.done = asyncio.Event()

    async def run(self, publish: Publish) -> None:
        data = self.path.read_bytes()
        t0 = wall0 = None
        for _, rec in iter_records(data):
            if self.speed:
                t_ns = int.from_bytes(rec[6:14], "big")
                if t0 is None:
                    t0, wall0 = t_ns, time.monotonic()
                delay = wall0 + (t_ns - t0) / 1e9 / self.speed - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            publish(bytes(rec))
            self.sent += 1
            if not self.speed and self.sent % 2000 == 0:
                await asyncio.sleep(0)   # let the server answer meanwhile
        self.done.set()


def complete_records(buf: bytes | bytearray) -> tuple[list[bytes], int]:
    """The whole, CRC-good records at the start of `buf` and how many bytes they (and any
    bad bytes skipped before the last good record) use; a record still being written stays."""
    out, off, n = [], 0, len(buf)
    while n - off >= PRIMARY_SIZE:
        length = PRIMARY_SIZE + 1 + ((buf[off + 4] << 8) | buf[off + 5])
        if off + length > n:
            break
        rec = bytes(buf[off:off + length])
        if length > PRIMARY_SIZE + CRC_SIZE and crc16(rec[:-CRC_SIZE]) == CRC.unpack_from(rec, length - CRC_SIZE)[0]:
            out.append(rec)
            off += length
        else:
            off += 1   # resynchronise byte by byte, as iter_records does
    return out, off


class FollowSource:
    """Reads a log as another process appends to it (polling: no inotify dependency)."""

    def __init__(self, path: Path, poll_s: float = 0.1) -> None:
        self.path, self.poll_s = Path(path), poll_s
        self.sent = 0

    async def run(self, publish: Publish) -> None:
        pending = bytearray()
        pos = 0
        while True:
            try:
                with open(self.path, "rb") as f:
                    f.seek(pos)
                    chunk = f.read()
            except FileNotFoundError:
                chunk = b""
            pos += len(chunk)
            pending += chunk
            records, used = complete_records(pending)
            del pending[:used]
            for rec in records:
                publish(rec)
                self.sent += 1
            await asyncio.sleep(self.poll_s)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: "UdpSource") -> None:
        self.owner = owner

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        self.owner.received(data, addr)

    def error_received(self, exc: Exception) -> None:   # e.g. ICMP port unreachable
        self.owner.send_errors += 1


class UdpSource:
    """The ground end of a live UDP link."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0,
                 flight: tuple[str, int] | None = None) -> None:
        self.host, self.port, self.flight = host, port, flight
        self.transport: asyncio.DatagramTransport | None = None
        self.publish: Publish | None = None
        self.sent = self.send_errors = 0

    async def bind(self) -> None:
        """Open the ground UDP port (port 0: any free one, then in `self.port`)."""
        if self.transport is not None:
            return
        loop = asyncio.get_running_loop()
        try:
            self.transport, _ = await loop.create_datagram_endpoint(
                lambda: _Datagrams(self), local_addr=(self.host, self.port))
        except OSError as exc:
            raise LinkError(f"cannot bind UDP {self.host}:{self.port}: {exc}") from None
        self.port = self.transport.get_extra_info("sockname")[1]
        try:   # room for bursts while the loop is busy (the kernel caps it at rmem_max)
            self.transport.get_extra_info("socket").setsockopt(
                socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        except OSError:
            pass

    async def run(self, publish: Publish) -> None:
        """Datagrams publish themselves from now on (returns once bound)."""
        self.publish = publish
        await self.bind()

    def received(self, data: bytes, addr: tuple) -> None:
        if self.flight is None:
            self.flight = (addr[0], addr[1])
        if self.publish is not None:
            self.publish(data)

    def send(self, pkt: bytes) -> None:
        if self.transport is None or self.flight is None:
            raise LinkError("no flight address yet: give --flight HOST:PORT, or wait for "
                            "its telemetry")
        self.transport.sendto(pkt, self.flight)
        self.sent += 1

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

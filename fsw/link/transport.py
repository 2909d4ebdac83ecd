"""Packet transports of the live link: UDP datagrams, or COBS-framed packets on a serial port.

Both are polled without blocking (`poll` returns what has arrived, at most a budget), so the
flight loop reads them from a rate-group step with no thread. The downlink goes to one peer:
a configured ground address, or the source of the last telecommand the ingest verified
(`verified`). Nobody else can move it: a datagram from an unknown sender is only read.
"""
from __future__ import annotations

import socket
from typing import Any

import serial
from cobs import cobs

from .ccsds import MAX_PACKET
from .errors import LinkError


Source = Any  # where a datagram came from: (host, port) for UDP, None on a serial line


class UdpLink:
    """A non-blocking UDP endpoint of the flight side.

    `send` goes to `peer`: the configured `ground` address if one is given (it never moves),
    else the source of the last fresh telecommand whose MAC verified, as the ingest reports
    with `verified`. A datagram from anyone else is read and judged, never answered with the
    downlink, so one garbage byte cannot redirect or amplify it. The receive buffer asks
    for `rcvbuf` bytes (the kernel caps it at net.core.rmem_max) so a burst of junk between
    two polls does not push the ground's commands out of the socket.
    """

    RCVBUF = 4 << 20

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 ground: tuple[str, int] | None = None, rcvbuf: int = RCVBUF) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise LinkError(f"cannot bind UDP {host}:{port}: {exc}") from None
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        except OSError:
            pass  # keep the default buffer
        self.sock.setblocking(False)
        self.ground = ground
        self.peer: Source = ground
        self.sent = 0
        self.send_errors = 0

    @property
    def address(self) -> tuple[str, int]:
        return self.sock.getsockname()

    def poll(self, budget: int) -> list[tuple[bytes, Source]]:
        """At most `budget` (datagram, source) pairs, without blocking."""
        recv = self.sock.recvfrom
        out: list[tuple[bytes, Source]] = []
        for _ in range(budget):
            try:
                out.append(recv(MAX_PACKET))
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # e.g. ICMP port unreachable reported on a later call
                continue
        return out

    def verified(self, source: Source) -> None:
        """A fresh, authenticated telecommand came from `source`: the downlink goes there
        (unless a ground address was configured)."""
        if self.ground is None and source is not None:
            self.peer = source

    def send(self, pkt: bytes) -> bool:
        return self.send_to(pkt, self.peer)

    def send_to(self, pkt: bytes, dest: Source) -> bool:
        if dest is None:
            return False
        try:
            self.sock.sendto(pkt, dest)
        except OSError:
            self.send_errors += 1
            return False
        self.sent += 1
        return True

    def close(self) -> None:
        self.sock.close()


class SerialLink:
    """Packets framed as 0x00 | COBS(packet) | 0x00 on a pyserial port (any serial_for_url URL:
    a device, "loop://", "socket://host:port", a pty)."""

    def __init__(self, url: str, baudrate: int = 115200) -> None:
        try:
            self.port = serial.serial_for_url(url, baudrate=baudrate, timeout=0)
        except (serial.SerialException, ValueError) as exc:
            raise LinkError(f"cannot open serial port {url}: {exc}") from None
        self._rx = bytearray()
        self._pending: list[bytes] = []
        self.dropped = 0

    @staticmethod
    def frame(pkt: bytes) -> bytes:
        return b"\x00" + cobs.encode(pkt) + b"\x00"

    def receive(self) -> list[bytes]:
        try:
            waiting = self.port.in_waiting
            if waiting:
                self._rx += self.port.read(waiting)
        except (serial.SerialException, OSError):
            return []
        out: list[bytes] = []
        *frames, rest = self._rx.split(b"\x00")
        for f in frames:
            if f:
                try:
                    out.append(cobs.decode(bytes(f)))
                except cobs.DecodeError:
                    self.dropped += 1
        if len(rest) > 2 * MAX_PACKET:  # no delimiter for too long: garbage, resynchronise
            self.dropped += 1
            rest = b""
        self._rx = bytearray(rest)
        return out

    MAX_PENDING = 4096

    def poll(self, budget: int) -> list[tuple[bytes, Source]]:
        """Complete packets received (at most `budget`; the rest wait for the next poll, up
        to MAX_PENDING: beyond that the oldest are dropped and counted)."""
        self._pending.extend(self.receive())
        if len(self._pending) > self.MAX_PENDING:
            self.dropped += len(self._pending) - self.MAX_PENDING
            del self._pending[:len(self._pending) - self.MAX_PENDING]
        out = [(p, None) for p in self._pending[:budget]]
        del self._pending[:budget]
        return out

    def verified(self, source: Source) -> None:
        """A serial line has one peer: nothing to learn."""

    def send_to(self, pkt: bytes, dest: Source) -> bool:
        return self.send(pkt)

    def send(self, pkt: bytes) -> bool:
        try:
            self.port.write(self.frame(pkt))
        except (serial.SerialException, OSError):
            return False
        return True

    def close(self) -> None:
        self.port.close()

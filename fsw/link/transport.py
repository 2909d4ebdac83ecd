"""Packet transports of the live link: UDP datagrams, or COBS-framed packets on a serial port.

Both are polled without blocking (`receive` returns what has arrived), so the flight loop
reads them from a rate-group step with no thread. Replies go to the last peer heard from.
"""
from __future__ import annotations

import socket

import serial
from cobs import cobs

from .ccsds import MAX_PACKET
from .errors import LinkError


class UdpLink:
    """A non-blocking UDP endpoint; `send` answers the last peer that sent a datagram."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, max_per_poll: int = 64,
                 peer: tuple[str, int] | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise LinkError(f"cannot bind UDP {host}:{port}: {exc}") from None
        self.sock.setblocking(False)
        self.max_per_poll = max_per_poll
        self.peer = peer
        self.sent = 0
        self.send_errors = 0

    @property
    def address(self) -> tuple[str, int]:
        return self.sock.getsockname()

    def receive(self) -> list[bytes]:
        out: list[bytes] = []
        for _ in range(self.max_per_poll):
            try:
                data, addr = self.sock.recvfrom(MAX_PACKET)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # e.g. ICMP port unreachable reported on a later call
                continue
            self.peer = addr
            out.append(data)
        return out

    def send(self, pkt: bytes) -> bool:
        if self.peer is None:
            return False
        try:
            self.sock.sendto(pkt, self.peer)
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

    def send(self, pkt: bytes) -> bool:
        try:
            self.port.write(self.frame(pkt))
        except (serial.SerialException, OSError):
            return False
        return True

    def close(self) -> None:
        self.port.close()

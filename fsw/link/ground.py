"""Ground side of the live link (used by `msr gds send`; never runs in flight).

Sends signed telecommands over UDP or a serial port and waits for the matching
acknowledgement, collecting the other telemetry that arrives meanwhile.
"""
from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from .dictionary import VehicleSpec
from .errors import DecodeError, LinkError
from .telecommand import TelecommandEncoder
from .telemetry import AckPacket, Packet, TelemetryDecoder
from .transport import SerialLink


class UdpClient:
    """UDP socket aimed at one flight instance, and listening to it alone.

    The socket is connected, so the kernel drops datagrams from any other address, and each
    datagram's source is checked again: an ack forged by a third party never reaches the
    ground tool (counted in `foreign`)."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind(("127.0.0.1" if host in ("127.0.0.1", "localhost") else "", 0))
            self.sock.connect((host, port))
        except OSError as exc:
            self.sock.close()
            raise LinkError(f"cannot reach UDP {host}:{port}: {exc}") from None
        self.addr = self.sock.getpeername()
        self.foreign = 0

    def send(self, pkt: bytes) -> bool:
        try:
            self.sock.send(pkt)
        except OSError as exc:
            raise LinkError(f"cannot send to {self.addr[0]}:{self.addr[1]}: {exc}") from None
        return True

    def receive_for(self, timeout_s: float) -> list[bytes]:
        self.sock.settimeout(max(timeout_s, 1e-3))
        try:
            data, source = self.sock.recvfrom(70_000)
        except ConnectionRefusedError:  # ICMP: nothing listens there (yet); do not spin
            time.sleep(min(timeout_s, 0.05))
            return []
        except OSError:  # timeout
            return []
        if source != self.addr:
            self.foreign += 1
            return []
        return [data]

    def close(self) -> None:
        self.sock.close()


class SerialClient(SerialLink):
    def receive_for(self, timeout_s: float) -> list[bytes]:
        end = time.monotonic() + timeout_s
        while True:
            got = self.receive()
            if got or time.monotonic() >= end:
                return got
            time.sleep(0.005)


@dataclass
class Exchange:
    """What came back for one command: its ack (None on timeout) and everything else."""

    packet: bytes
    ack: AckPacket | None
    other: list[Packet] = field(default_factory=list)
    undecodable: int = 0


class GroundClient:
    def __init__(self, vehicle: VehicleSpec, keys: Mapping[int, bytes], transport: Any) -> None:
        self.encoder = TelecommandEncoder(vehicle, keys)
        self.decoder = TelemetryDecoder(vehicle)
        self.transport = transport

    def exchange(self, pkt: bytes, *, key_id: int, auth_seq: int,
                 timeout_s: float = 2.0) -> Exchange:
        """Send raw TC bytes and wait for the ack of (key_id, auth_seq)."""
        self.transport.send(pkt)
        out = Exchange(pkt, None)
        end = time.monotonic() + timeout_s
        while (left := end - time.monotonic()) > 0:
            for data in self.transport.receive_for(left):
                try:
                    p = self.decoder.decode(data)
                except DecodeError:
                    out.undecodable += 1
                    continue
                if isinstance(p, AckPacket) and p.key_id == key_id and p.cmd_seq == auth_seq:
                    out.ack = p
                    return out
                out.other.append(p)
        return out

    def listen(self, timeout_s: float) -> list[Packet]:
        """Every telemetry packet that arrives within `timeout_s` (nothing sent)."""
        out = Exchange(b"", None)
        end = time.monotonic() + timeout_s
        while (left := end - time.monotonic()) > 0:
            for data in self.transport.receive_for(left):
                try:
                    out.other.append(self.decoder.decode(data))
                except DecodeError:
                    out.undecodable += 1
        return out.other

    def command(self, target: str, args: Mapping[str, Any] | None, *, key_id: int,
                auth_seq: int, timeout_s: float = 2.0, validate: bool = True) -> Exchange:
        pkt = self.encoder.encode(target, args, key_id=key_id, auth_seq=auth_seq,
                                  validate=validate)
        return self.exchange(pkt, key_id=key_id, auth_seq=auth_seq, timeout_s=timeout_s)

"""Telemetry log: CCSDS TM packets back to back, nothing else.

Each record is self-delimiting (primary header length) and self-checking (CRC), so a log
needs no index; the same inputs give the same bytes (sequence counts start at zero, times
come from the executive). `TelemetryLogWriter` is a Topology sink (and an ack sink of a
CommandIngest); `read_log` walks a log and yields decoded packets.
"""
from __future__ import annotations

import hashlib
import os
import warnings
from typing import Any, BinaryIO, Iterator, Mapping

from fsw.core.component import Component
from fsw.core.events import Event

from .ccsds import CRC, CRC_SIZE, PRIMARY_SIZE, crc16
from .dictionary import Dictionary, VehicleSpec, topology_spec
from .errors import DecodeError
from .telemetry import Packet, TelemetryDecoder, TelemetryEncoder


class LogWarning(UserWarning):
    """A log ended inside a record, or held bytes that are not a packet (skipped)."""


class TelemetryLogWriter:
    """Writes every channel sample, event and command ack of one vehicle as TM packets.

    `out` is a binary file (buffered writes) or None for an in-memory buffer (`getvalue`).
    """

    def __init__(self, vehicle: VehicleSpec, out: BinaryIO | None = None) -> None:
        self.encoder = TelemetryEncoder(vehicle)
        self._buf = bytearray() if out is None else None
        self._out = out
        self._write = self._buf.extend if out is None else out.write
        self.packets = 0

    @classmethod
    def for_topology(cls, topology: Any, out: BinaryIO | None = None, *,
                     apid_base: int | None = None, attach: bool = True) -> "TelemetryLogWriter":
        writer = cls(topology_spec(topology, apid_base), out)
        if attach:
            topology.attach(writer)
        return writer

    # Topology sink protocol
    def on_channels(self, t_ns: int, component: Component, values: Mapping[str, Any]) -> None:
        self._write(self.encoder.codec_for(component).channels(t_ns, values))
        self.packets += 1

    def on_event(self, event: Event, component: Component) -> None:
        self._write(self.encoder.codec_for(component).event(
            event.t_ns, event.event_id, event.severity, event.args))
        self.packets += 1

    def on_ack(self, ack: Any, component: Component) -> None:
        """Acknowledgements of a CommandIngest (wire with `ingest.ack_sinks`)."""
        self._write(self.encoder.codec_for(component).ack(ack.t_ns, ack.key_id, ack.cmd_seq,
                                                          ack.status, ack.reason))
        self.packets += 1

    def dictionary(self) -> Dictionary:
        """The dictionary that decodes this log (write it beside the log as dictionary.json)."""
        v = self.encoder.vehicle
        specs = {c.name: c for c in v.components}
        specs.update((name, codec.spec) for name, codec in self.encoder._codecs.items())
        return Dictionary((VehicleSpec(v.name, v.apid_base, tuple(specs.values())),))

    def getvalue(self) -> bytes:
        if self._buf is None:
            raise ValueError("this writer writes to a file")
        return bytes(self._buf)

    def sha256(self) -> str:
        return hashlib.sha256(self.getvalue()).hexdigest()

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()


def _read_all(source: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            return f.read()
    return source.read()


def iter_records(data: bytes) -> Iterator[tuple[int, memoryview]]:
    """(offset, packet bytes) of every record with a good CRC.

    A truncated last record ends the walk with a LogWarning; a corrupt record is skipped with
    a LogWarning by searching byte by byte for the next record whose CRC checks.
    """
    view = memoryview(data)
    n = len(data)
    off = 0
    bad_at = None
    while off < n:
        length = PRIMARY_SIZE + 1 + ((data[off + 4] << 8) | data[off + 5]) if n - off >= PRIMARY_SIZE \
            else PRIMARY_SIZE
        if off + length > n:
            if bad_at is None:
                warnings.warn(LogWarning(f"log ends inside a record at byte {off} "
                                         f"({n - off} of {length} bytes); stopped there"),
                              stacklevel=2)
                return
            off += 1
            continue
        rec = view[off:off + length]
        if (data[off] >> 3 == 0b00001 and data[off + 2] >> 6 == 0b11
                and length >= PRIMARY_SIZE + CRC_SIZE + 1
                and crc16(rec[:-CRC_SIZE]) == CRC.unpack_from(rec, length - CRC_SIZE)[0]):
            if bad_at is not None:
                warnings.warn(LogWarning(f"skipped {off - bad_at} bad bytes at {bad_at}"),
                              stacklevel=2)
                bad_at = None
            yield off, rec
            off += length
        else:
            if bad_at is None:
                bad_at = off
            off += 1
    if bad_at is not None:
        warnings.warn(LogWarning(f"skipped {n - bad_at} bad bytes at {bad_at}"), stacklevel=2)


def read_log(source: bytes | bytearray | memoryview | str | os.PathLike | BinaryIO,
             dictionary: Dictionary | VehicleSpec) -> Iterator[Packet]:
    """Decoded packets of a log in order; records the dictionary cannot decode come back as
    RawPacket (with the reason), damaged bytes are skipped with a LogWarning."""
    decoder = TelemetryDecoder(dictionary)
    for _, rec in iter_records(_read_all(source)):
        try:
            yield decoder.decode(rec)
        except DecodeError as exc:
            try:
                yield decoder.raw(rec, str(exc))
            except DecodeError as exc2:  # good CRC, but not one of our TM packets
                warnings.warn(LogWarning(f"record is not a TM packet: {exc2}"), stacklevel=2)


__all__ = ["LogWarning", "TelemetryLogWriter", "iter_records", "read_log"]

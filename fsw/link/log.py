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

from .ccsds import PRIMARY_SIZE
from .dictionary import Dictionary, VehicleSpec, topology_spec
from .errors import DecodeError
from .logscan import ScanReport, scan
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


def iter_records(data: bytes | bytearray | memoryview, report: ScanReport | None = None
                 ) -> Iterator[tuple[int, memoryview]]:
    """(offset, packet bytes) of every record with a good CRC.

    Damage never ends the walk early: bytes that hold no good record (a corrupted record,
    even one whose length field points past the end) are skipped up to the next record that
    checks, and a record cut short at the end stops it. Each is a LogWarning naming the
    bytes, and goes into `report` (skipped ranges, torn offset) when one is given. Linear
    time on any input (see logscan.py).
    """
    report = report if report is not None else ScanReport()
    told = 0
    skipped = report.skipped
    for record in scan(data, report):
        if len(skipped) != told:
            told = _warn_skipped(report, told)
        yield record
    _warn_skipped(report, told)
    if report.torn_at is not None:
        at, n = report.torn_at, len(data)
        need = f" of {PRIMARY_SIZE + 1 + ((data[at + 4] << 8) | data[at + 5])}" if n - at >= PRIMARY_SIZE else ""
        warnings.warn(LogWarning(f"log ends inside a record at byte {at} ({n - at}{need} bytes); "
                                 "stopped there"), stacklevel=2)


def _warn_skipped(report: ScanReport, told: int) -> int:
    for start, end in report.skipped[told:]:
        warnings.warn(LogWarning(f"skipped {end - start} bad bytes at {start}..{end - 1} "
                                 "(no record with a good CRC there)"), stacklevel=3)
    return len(report.skipped)


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


__all__ = ["LogWarning", "ScanReport", "TelemetryLogWriter", "iter_records", "read_log"]

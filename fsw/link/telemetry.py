"""Telemetry packets: channel samples, events and command acknowledgements.

Layout after the primary header (see ccsds.py), big-endian:

    secondary header  u64 spacecraft time (ns) | u8 packet kind (1 channels, 2 event, 3 ack)
    u16 component signature (dictionary.py)
    kind 1  channel values in declaration order, declared wire types (wire.py)
    kind 2  u16 event id | u8 severity | event arguments (wire.py TLV)
    kind 3  u16 key id | u64 command sequence number | u8 AckStatus | u16 length + reason
    u16 CRC-16/CCITT-FALSE

APID = vehicle base + component id; the sequence count runs per APID over all three kinds.
"""
from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, ClassVar, Mapping, Union

from fsw.core.component import CommandStatus, Component
from fsw.core.events import Event, Severity

from .ccsds import (CRC, CRC_SIZE, PRIMARY_SIZE, SEQ_MASK, TYPE_TM, UNSEGMENTED, check_packet,
                    crc16, word0)
from .dictionary import ComponentSpec, Dictionary, VehicleSpec, component_spec
from .errors import DecodeError, EncodeError
from .wire import U16, FieldCodec, decode_utf8, pack_args, unpack_args

KIND_CHANNELS, KIND_EVENT, KIND_ACK = 1, 2, 3
KIND_NAMES = {KIND_CHANNELS: "channels", KIND_EVENT: "event", KIND_ACK: "ack"}
HEADER = struct.Struct(">HHHQBH")  # primary header, time, kind, signature
HEADER_SIZE = HEADER.size
EVENT_HEAD = struct.Struct(">HB")
ACK_HEAD = struct.Struct(">HQBH")
TM_MIN_DATA = HEADER_SIZE - PRIMARY_SIZE


class AckStatus(enum.IntEnum):
    """Outcome of one telecommand, as reported in its acknowledgement."""

    OK = 0
    REJECTED = 1      # authenticated, refused by the component (unknown, bad args, mode)
    FAILED = 2        # authenticated, started, refused by the handler
    BAD_FORMAT = 3    # truncated, bad CRC, bad header, unknown opcode or bad argument bytes
    UNKNOWN_KEY = 4
    BAD_MAC = 5       # forged or tampered
    STALE = 6         # sequence number behind the anti-replay window
    REPLAY = 7        # sequence number already seen inside the window

    @classmethod
    def of(cls, status: CommandStatus) -> "AckStatus":
        return {CommandStatus.OK: cls.OK, CommandStatus.REJECTED: cls.REJECTED,
                CommandStatus.FAILED: cls.FAILED}[status]


@dataclass(frozen=True, slots=True)
class ChannelPacket:
    kind: ClassVar[str] = "channels"
    apid: int
    seq: int
    t_ns: int
    vehicle: str
    component: str
    values: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventPacket:
    kind: ClassVar[str] = "event"
    apid: int
    seq: int
    t_ns: int
    vehicle: str
    component: str
    event_id: int
    name: str
    severity: Severity
    args: tuple[tuple[str, Any], ...]
    text: str

    def to_event(self) -> Event:
        return Event(self.t_ns, self.component, self.event_id, self.name, self.severity, self.args)


@dataclass(frozen=True, slots=True)
class AckPacket:
    kind: ClassVar[str] = "ack"
    apid: int
    seq: int
    t_ns: int
    vehicle: str
    component: str
    key_id: int
    cmd_seq: int
    status: AckStatus
    reason: str


@dataclass(frozen=True, slots=True)
class RawPacket:
    """A packet with a good CRC that the dictionary cannot decode (kept, not dropped)."""

    kind: ClassVar[str] = "raw"
    apid: int
    seq: int
    t_ns: int
    packet_kind: int
    payload: bytes
    error: str


Packet = Union[ChannelPacket, EventPacket, AckPacket, RawPacket]


def format_event(fmt: str, name: str, args: tuple[tuple[str, Any], ...]) -> str:
    try:
        return fmt.format(**dict(args))
    except (KeyError, IndexError, ValueError, AttributeError, TypeError):
        return Event(0, "", 0, name, Severity.DIAGNOSTIC, args).text


class ComponentCodec:
    """Encoder state (sequence count) and codecs of one component's telemetry."""

    def __init__(self, spec: ComponentSpec, vehicle: str = "") -> None:
        self.spec = spec
        self.vehicle = vehicle
        self.apid = spec.apid
        self.w0 = word0(TYPE_TM, spec.apid)
        self.sig = spec.signature
        self.seq = 0
        names = [c.name for c in spec.channels]
        self.names = tuple(names)
        self.fields = FieldCodec(names, [c.type for c in spec.channels])
        if len(names) > 1:
            self.get = itemgetter(*names)
        elif names:
            one = names[0]
            self.get = lambda values: (values[one],)
        else:
            self.get = lambda values: ()
        self.fixed = self.fields.fixed
        if self.fixed:
            self.chan_struct = struct.Struct(">HHHQBH" + self.fields.codes)
            self.chan_dlen = self.chan_struct.size + CRC_SIZE - PRIMARY_SIZE - 1

    def _next_seq(self) -> int:
        seq = self.seq
        self.seq = (seq + 1) & SEQ_MASK
        return seq

    def _finish(self, kind: int, t_ns: int, payload: bytes) -> bytes:
        """Header + payload + CRC; advances the sequence count only on success."""
        dlen = HEADER_SIZE + len(payload) + CRC_SIZE - PRIMARY_SIZE - 1
        if dlen > 0xFFFF:
            raise EncodeError(f"{self.spec.name}: packet of {dlen + 7} bytes is too long")
        try:
            head = HEADER.pack(self.w0, UNSEGMENTED | self.seq, dlen, t_ns, kind, self.sig)
        except struct.error:
            raise EncodeError(f"{self.spec.name}: time {t_ns!r} is not a u64 ns count") from None
        body = head + payload
        self._next_seq()
        return body + CRC.pack(crc16(body))

    def channels(self, t_ns: int, values: Mapping[str, Any]) -> bytes:
        try:
            vals = self.get(values)
        except KeyError as exc:
            raise EncodeError(f"{self.spec.name}: channel {exc} has no value") from None
        if self.fixed:
            try:
                body = self.chan_struct.pack(self.w0, UNSEGMENTED | self.seq, self.chan_dlen,
                                             t_ns, KIND_CHANNELS, self.sig, *vals)
            except struct.error:
                return self._finish(KIND_CHANNELS, t_ns, self.fields.pack(
                    self.fields.convert(vals, self.spec.name), self.spec.name))
            self.seq = (self.seq + 1) & SEQ_MASK
            return body + CRC.pack(crc16(body))
        return self._finish(KIND_CHANNELS, t_ns, self.fields.pack(vals, self.spec.name))

    def event(self, t_ns: int, event_id: int, severity: int, args: tuple) -> bytes:
        try:
            head = EVENT_HEAD.pack(event_id, int(severity))
        except struct.error as exc:
            raise EncodeError(f"event fields out of range: {exc}") from None
        return self._finish(KIND_EVENT, t_ns, head + pack_args(args))

    def ack(self, t_ns: int, key_id: int, cmd_seq: int, status: AckStatus, reason: str) -> bytes:
        r = reason.encode("utf-8")[:0xFFFF]
        try:
            head = ACK_HEAD.pack(key_id, cmd_seq, int(status), len(r))
        except struct.error as exc:
            raise EncodeError(f"ack fields out of range: {exc}") from None
        return self._finish(KIND_ACK, t_ns, head + r)

    # ------------------------------------------------------------ decoding
    def decode(self, pkt: bytes | memoryview, seq: int, t_ns: int, kind: int) -> Packet:
        end = len(pkt) - CRC_SIZE
        spec = self.spec
        if kind == KIND_CHANNELS:
            vals = self.fields.unpack(pkt, HEADER_SIZE, end)
            return ChannelPacket(self.apid, seq, t_ns, self.vehicle, spec.name,
                                 dict(zip(self.names, vals)))
        if kind == KIND_EVENT:
            if end - HEADER_SIZE < EVENT_HEAD.size:
                raise DecodeError("event packet too short")
            eid, sev = EVENT_HEAD.unpack_from(pkt, HEADER_SIZE)
            if eid >= len(spec.events):
                raise DecodeError(f"{spec.name}: unknown event id {eid}")
            try:
                severity = Severity(sev)
            except ValueError:
                raise DecodeError(f"unknown severity {sev}") from None
            args = unpack_args(pkt, HEADER_SIZE + EVENT_HEAD.size, end)
            edef = spec.events[eid]
            return EventPacket(self.apid, seq, t_ns, self.vehicle, spec.name, eid, edef.name,
                               severity, args, format_event(edef.fmt, edef.name, args))
        if kind == KIND_ACK:
            if end - HEADER_SIZE < ACK_HEAD.size:
                raise DecodeError("ack packet too short")
            key_id, cmd_seq, st, n = ACK_HEAD.unpack_from(pkt, HEADER_SIZE)
            start = HEADER_SIZE + ACK_HEAD.size
            if start + n != end:
                raise DecodeError("ack reason length does not match the packet")
            try:
                status = AckStatus(st)
            except ValueError:
                raise DecodeError(f"unknown ack status {st}") from None
            return AckPacket(self.apid, seq, t_ns, self.vehicle, spec.name, key_id, cmd_seq,
                             status, decode_utf8(pkt[start:end]))
        raise DecodeError(f"unknown packet kind {kind}")


class TelemetryEncoder:
    """Encodes one vehicle's telemetry; holds the per-APID sequence counts."""

    def __init__(self, vehicle: VehicleSpec) -> None:
        self.vehicle = vehicle
        self._codecs = {c.name: ComponentCodec(c, vehicle.name) for c in vehicle.components}

    def codec(self, name: str) -> ComponentCodec:
        try:
            return self._codecs[name]
        except KeyError:
            raise EncodeError(f"{self.vehicle.name}: no component {name!r}") from None

    def codec_for(self, component: Component) -> ComponentCodec:
        """Codec of a live component; components unknown to the spec are added on first use."""
        c = self._codecs.get(component.name)
        if c is None:
            c = ComponentCodec(component_spec(component.name, type(component),
                                              component.component_id, self.vehicle.apid_base),
                               self.vehicle.name)
            self._codecs[component.name] = c
        return c

    def channels(self, t_ns: int, component: str, values: Mapping[str, Any]) -> bytes:
        return self.codec(component).channels(t_ns, values)

    def event(self, event: Event) -> bytes:
        return self.codec(event.component).event(event.t_ns, event.event_id, event.severity,
                                                 event.args)

    def ack(self, t_ns: int, component: str, key_id: int, cmd_seq: int, status: AckStatus,
            reason: str = "") -> bytes:
        return self.codec(component).ack(t_ns, key_id, cmd_seq, status, reason)


class TelemetryDecoder:
    """Decodes TM packets of every vehicle in a dictionary (stateless)."""

    def __init__(self, dictionary: Dictionary | VehicleSpec) -> None:
        if isinstance(dictionary, VehicleSpec):
            dictionary = Dictionary((dictionary,))
        self.dictionary = dictionary
        self._codecs = {c.apid: ComponentCodec(c, v.name) for v in dictionary.vehicles
                        for c in v.components}

    def decode(self, pkt: bytes | memoryview) -> Packet:
        """Decode one whole packet; raises only DecodeError (and its subclasses)."""
        hdr = check_packet(pkt, TYPE_TM, TM_MIN_DATA)
        _, _, _, t_ns, kind, sig = HEADER.unpack_from(pkt, 0)
        codec = self._codecs.get(hdr.apid)
        if codec is None:
            raise DecodeError(f"APID {hdr.apid:#05x} is not in the dictionary")
        if sig != codec.sig:
            raise DecodeError(f"APID {hdr.apid:#05x} ({codec.spec.name}): signature {sig:#06x} "
                              f"is not the dictionary's {codec.sig:#06x}; wrong dictionary?")
        return codec.decode(pkt, hdr.seq, t_ns, kind)

    @staticmethod
    def raw(pkt: bytes | memoryview, error: str = "") -> RawPacket:
        """Header fields of a packet whose CRC is good but whose content is not understood."""
        hdr = check_packet(pkt, TYPE_TM, TM_MIN_DATA)
        _, _, _, t_ns, kind, _ = HEADER.unpack_from(pkt, 0)
        return RawPacket(hdr.apid, hdr.seq, t_ns, kind,
                         bytes(pkt[HEADER_SIZE - 2:len(pkt) - CRC_SIZE]), error)

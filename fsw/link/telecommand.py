"""Telecommand packets, signed in the SDLS style.

Layout after the primary header (type TC, APID = vehicle base + target component id):

    security header  u16 key id | u64 sequence number (anti-replay, see auth.py)
    command          u16 opcode (dictionary.py) | arguments in declaration order, wire types
    security trailer 16-byte HMAC-SHA256-128 over every preceding byte
    u16 CRC-16/CCITT-FALSE over every preceding byte

The CRC catches line noise cheaply before any MAC is computed; the MAC catches forgery.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any, Mapping, NamedTuple

from fsw.core.declarations import ValidationError

from .auth import MAC_SIZE, MacKey, mac, mac_ok
from .ccsds import (APID_MASK, CRC, CRC_SIZE, PRIMARY_SIZE, SEQ_MASK, TYPE_TC, UNSEGMENTED,
                    check_packet, crc16, word0)
from .dictionary import CommandSpec, ComponentSpec, VehicleSpec
from .errors import AuthError, DecodeError, EncodeError
from .wire import FieldCodec, parse_text

HEAD = struct.Struct(">HHHHQH")  # primary header, key id, sequence number, opcode
HEAD_SIZE = HEAD.size
MIN_SIZE = HEAD_SIZE + MAC_SIZE + CRC_SIZE
TC_MIN_DATA = HEAD_SIZE - PRIMARY_SIZE + MAC_SIZE


class TcHeader(NamedTuple):
    apid: int
    seq: int
    key_id: int
    auth_seq: int
    opcode: int


@dataclass(frozen=True)
class Telecommand:
    apid: int
    seq: int
    key_id: int
    auth_seq: int
    target: str          # "component.COMMAND"
    args: dict[str, Any]


def _codec(cmd: CommandSpec) -> FieldCodec:
    return FieldCodec([a.name for a in cmd.args], [a.type for a in cmd.args])


def parse_header(pkt: bytes | memoryview) -> TcHeader:
    """Framing, header constants and CRC; raises DecodeError (TruncatedError, CrcError)."""
    hdr = check_packet(pkt, TYPE_TC, TC_MIN_DATA)
    _, _, _, key_id, auth_seq, opcode = HEAD.unpack_from(pkt, 0)
    return TcHeader(hdr.apid, hdr.seq, key_id, auth_seq, opcode)


def quick_check(pkt: bytes | memoryview) -> bool:
    """The framing and CRC checks of `parse_header`, building nothing and raising nothing:
    what the ingest runs on every datagram of a flood before anything costs more."""
    n = len(pkt)
    return (n >= MIN_SIZE and (pkt[0] & 0xF8) == 0x18 and (pkt[2] & 0xC0) == 0xC0
            and ((pkt[4] << 8) | pkt[5]) + PRIMARY_SIZE + 1 == n
            and crc16(pkt[:-CRC_SIZE]) == ((pkt[n - 2] << 8) | pkt[n - 1]))


def format_problem(pkt: bytes | memoryview) -> str:
    """Why a packet fails `quick_check`, in words (only worth it for a reported rejection)."""
    try:
        parse_header(pkt)
    except DecodeError as exc:
        return str(exc)
    return "bad header"


def header_of(pkt: bytes | memoryview) -> TcHeader:
    """Header fields of a packet that passed `quick_check`."""
    w0, w1, _, key_id, auth_seq, opcode = HEAD.unpack_from(pkt, 0)
    return TcHeader(w0 & APID_MASK, w1 & SEQ_MASK, key_id, auth_seq, opcode)


def verify(pkt: bytes | memoryview, key: bytes | MacKey) -> bool:
    """True if the packet's MAC was made with `key` (constant-time comparison)."""
    end = len(pkt) - CRC_SIZE - MAC_SIZE
    if isinstance(key, MacKey):
        return key.ok(pkt[:end], pkt[end:end + MAC_SIZE])
    return mac_ok(key, pkt[:end], pkt[end:end + MAC_SIZE])


def decode_command(vehicle: VehicleSpec, hdr: TcHeader, pkt: bytes | memoryview) -> Telecommand:
    """Target and typed arguments of an (already verified) packet; raises DecodeError."""
    comp: ComponentSpec | None = vehicle.by_apid.get(hdr.apid)
    if comp is None:
        raise DecodeError(f"APID {hdr.apid:#05x} is not a component of {vehicle.name}")
    cmd = comp.command_by_opcode.get(hdr.opcode)
    if cmd is None:
        raise DecodeError(f"{comp.name}: unknown opcode {hdr.opcode:#06x}")
    try:
        vals = _codec(cmd).unpack(pkt, HEAD_SIZE, len(pkt) - CRC_SIZE - MAC_SIZE)
    except DecodeError as exc:
        raise DecodeError(f"{comp.name}.{cmd.name}: bad argument: {exc}") from None
    args: dict[str, Any] = {}
    for a, v in zip(cmd.args, vals):
        if a.type == "enum":
            if v >= len(a.choices or ()):
                raise DecodeError(f"{comp.name}.{cmd.name}: {a.name} index {v} out of range")
            v = a.choices[v]
        args[a.name] = v
    return Telecommand(hdr.apid, hdr.seq, hdr.key_id, hdr.auth_seq, f"{comp.name}.{cmd.name}", args)


def decode_telecommand(vehicle: VehicleSpec, keys: Mapping[int, bytes],
                       pkt: bytes | memoryview) -> Telecommand:
    """Parse, authenticate and decode (no replay check: that needs state, see ingest.py)."""
    hdr = parse_header(pkt)
    key = keys.get(hdr.key_id)
    if key is None:
        raise AuthError(f"unknown key id {hdr.key_id}")
    if not verify(pkt, key):
        raise AuthError(f"MAC does not verify (key id {hdr.key_id})")
    return decode_command(vehicle, hdr, pkt)


class TelecommandEncoder:
    """Ground side: builds signed telecommands for one vehicle; counts sequence per APID."""

    def __init__(self, vehicle: VehicleSpec, keys: Mapping[int, bytes]) -> None:
        self.vehicle = vehicle
        self.keys = dict(keys)
        self._seq: dict[int, int] = {}

    def lookup(self, target: str) -> tuple[ComponentSpec, CommandSpec]:
        comp_name, _, cmd_name = target.partition(".")
        comp = self.vehicle.by_name.get(comp_name)
        if comp is None:
            raise EncodeError(f"{self.vehicle.name} has no component {comp_name!r}")
        cmd = comp.command_by_name.get(cmd_name)
        if cmd is None:
            raise EncodeError(f"{comp_name} has no command {cmd_name!r} "
                              f"(has {sorted(comp.command_by_name)})")
        return comp, cmd

    def encode(self, target: str, args: Mapping[str, Any] | None, *, key_id: int,
               auth_seq: int, validate: bool = True) -> bytes:
        """Signed packet for "component.COMMAND"; `validate` checks ranges and modes' types
        on the ground as the flight side will. Turn it off to test flight-side rejection:
        a text argument is then parsed by its wire type only, so `by=0`, `by=-5` or
        `celsius=nan` reach the vehicle and its checks."""
        comp, cmd = self.lookup(target)
        key = self.keys.get(key_id)
        if key is None:
            raise EncodeError(f"no key with id {key_id} (have {sorted(self.keys)})")
        if not 0 < auth_seq < 1 << 64:
            raise EncodeError(f"sequence number {auth_seq} must be in [1, 2**64)")
        given = dict(args or {})
        vals = []
        for a in cmd.args:
            if a.name not in given:
                raise EncodeError(f"{target}: missing argument {a.name}")
            v = given.pop(a.name)
            if not validate and isinstance(v, str) and a.type in ("i64", "f64", "bool"):
                v = parse_text(a.type, v, f"{target}.{a.name}")  # type only, no range
            elif validate or a.type == "enum":
                try:
                    v = a.to_arg().coerce(v)
                except ValidationError as exc:
                    raise EncodeError(f"{target}: {exc}") from None
            if a.type == "enum":
                v = a.choices.index(v)
            vals.append(v)
        if given:
            raise EncodeError(f"{target}: unexpected arguments {sorted(given)}")
        body = _codec(cmd).pack(vals, target)
        seq = self._seq.get(comp.apid, 0)
        data_len = HEAD_SIZE + len(body) + MAC_SIZE + CRC_SIZE - PRIMARY_SIZE - 1
        if data_len > 0xFFFF:
            raise EncodeError(f"{target}: command too long")
        signed = HEAD.pack(word0(TYPE_TC, comp.apid), UNSEGMENTED | seq, data_len, key_id,
                           auth_seq, cmd.opcode) + body
        signed += mac(key, signed)
        self._seq[comp.apid] = (seq + 1) & SEQ_MASK
        return signed + CRC.pack(crc16(signed))

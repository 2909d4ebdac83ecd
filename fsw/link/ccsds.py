"""CCSDS Space Packet primary header (CCSDS 133.0-B-2) and the CRC error control field.

Every packet this link sends is one Space Packet, big-endian, unsegmented, with the
secondary-header flag set, ending in a CRC-16/CCITT-FALSE over all preceding bytes
(the ECSS PUS packet error control):

    word 0  version(3)=0 | type(1) TM=0/TC=1 | sec-hdr flag(1)=1 | APID(11)
    word 1  sequence flags(2)=0b11 | sequence count(14), counted per APID
    word 2  packet data length = (bytes after the primary header) - 1
    ...     secondary header and user data (see telemetry.py and telecommand.py)
    last 2  CRC-16/CCITT-FALSE
"""
from __future__ import annotations

import struct
from binascii import crc_hqx
from typing import NamedTuple

from .errors import CrcError, DecodeError, TruncatedError

PRIMARY = struct.Struct(">HHH")
CRC = struct.Struct(">H")
PRIMARY_SIZE = PRIMARY.size
CRC_SIZE = CRC.size
TYPE_TM = 0
TYPE_TC = 1
SEQ_MASK = 0x3FFF
APID_MASK = 0x7FF
UNSEGMENTED = 0b11 << 14
MAX_PACKET = PRIMARY_SIZE + 0x10000


def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor; check value
    0x29B1 for b"123456789"): the standard library's C `crc_hqx` seeded with 0xFFFF. `crc`
    continues a running CRC (crc16(b, crc16(a)) == crc16(a + b)), as the log scan needs."""
    return crc_hqx(data, crc)


def word0(packet_type: int, apid: int) -> int:
    return (packet_type << 12) | (1 << 11) | apid


class PrimaryHeader(NamedTuple):
    packet_type: int
    apid: int
    seq: int
    length: int  # whole packet, bytes


def packet_length(buf: bytes | memoryview, offset: int = 0) -> int:
    """Total length of the packet starting at `offset`, from its primary header."""
    if len(buf) - offset < PRIMARY_SIZE:
        raise TruncatedError(f"{len(buf) - offset} bytes: shorter than a primary header")
    return PRIMARY_SIZE + 1 + ((buf[offset + 4] << 8) | buf[offset + 5])


def check_packet(pkt: bytes | memoryview, packet_type: int, min_data: int) -> PrimaryHeader:
    """Check framing, header constants and CRC of one whole packet; return its header."""
    n = len(pkt)
    if n < PRIMARY_SIZE + min_data + CRC_SIZE:
        raise TruncatedError(f"{n} bytes: shorter than the smallest packet")
    w0, w1, dlen = PRIMARY.unpack_from(pkt, 0)
    length = PRIMARY_SIZE + dlen + 1
    if length > n:
        raise TruncatedError(f"header announces {length} bytes, got {n}")
    if length < n:
        raise DecodeError(f"header announces {length} bytes, got {n} (trailing bytes)")
    if w0 >> 11 != (packet_type << 1) | 1:
        raise DecodeError(f"primary header {w0:#06x}: not a version-0 "
                          f"{'TC' if packet_type else 'TM'} packet with a secondary header")
    if w1 & ~SEQ_MASK != UNSEGMENTED:
        raise DecodeError(f"sequence flags {w1 >> 14:#b}: only unsegmented packets are used")
    if crc16(pkt[:-CRC_SIZE]) != CRC.unpack_from(pkt, n - CRC_SIZE)[0]:
        raise CrcError("CRC mismatch")
    return PrimaryHeader(packet_type, w0 & APID_MASK, w1 & SEQ_MASK, length)

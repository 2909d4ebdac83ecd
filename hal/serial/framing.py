"""Frame codec of the serial device protocol.

On the wire a frame is ``0x00 | COBS(header | payload | crc32c) | 0x00``:

* header, little-endian ``<BBHH``: device address, message type, sequence number, payload
  length;
* payload: struct-packed per the catalog (see `hal.serial.messages`);
* CRC-32C (Castagnoli) over header and payload, little-endian ``<I``; computed by
  google-crc32c (C, with the CPU's CRC instructions on x86-64 SSE4.2 and ARMv8; wheels for
  x86_64 and aarch64 boards). `msr hil board-check` reports which path is in use.

COBS removes every 0x00 from the body, so 0x00 only ever delimits frames and a receiver
resynchronises at the next 0x00 after garbage or a partial frame. The leading delimiter
ends any garbage before the frame, so a frame right after line noise still decodes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

import google_crc32c
from cobs import cobs

from hal.errors import FrameError

HEADER = struct.Struct("<BBHH")
CRC = struct.Struct("<I")
OVERHEAD = HEADER.size + CRC.size
MAX_PAYLOAD = 4096
# COBS adds one byte per 254 plus one; two delimiters.
MAX_ENCODED = OVERHEAD + MAX_PAYLOAD + (OVERHEAD + MAX_PAYLOAD) // 254 + 1
BROADCAST = 0xFF  # device address of link-level messages (hello, clock advance)
SEQ_MOD = 1 << 16

crc32c = google_crc32c.value   # crc32c(data) -> int; check value 0xE3069283 for b"123456789"


class MsgType(IntEnum):
    """Message types; each request is listed with its response."""

    READ = 1            # request a reading (empty payload)
    READING = 2         # response: u64 t_ns + reading fields
    COMMAND = 3         # command fields
    ACK = 4             # response to COMMAND / STREAM / HELLO (empty payload)
    STREAM = 5          # u32 rate_hz (0 stops); the device then sends STREAM_READING
    STREAM_READING = 6  # unsolicited: u64 t_ns + reading fields, own sequence per device
    IDENTIFY = 7        # request the device kind
    IDENTITY = 8        # response: u8 kind id, u32 layout CRC
    ADVANCE = 9         # lockstep clock: u64 t_ns "step your plant to t_ns" (address BROADCAST)
    ADVANCED = 10       # response: u64 t_ns reached
    HELLO = 11          # (re)start a session: the responder forgets sequence state (BROADCAST)
    ERROR = 15          # response: u8 code + UTF-8 text


RESPONSES = frozenset({MsgType.READING, MsgType.ACK, MsgType.IDENTITY, MsgType.ADVANCED, MsgType.ERROR})


@dataclass(frozen=True, slots=True)
class Frame:
    device: int
    msg: int
    seq: int
    payload: bytes = b""


def encode_frame(frame: Frame) -> bytes:
    """Bytes on the wire for one frame, delimiters included. ValueError on bad header values."""
    if len(frame.payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(frame.payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(frame.device, frame.msg, frame.seq, len(frame.payload)) + frame.payload
    return b"\x00" + cobs.encode(body + CRC.pack(crc32c(body))) + b"\x00"


def decode_frame(encoded: bytes) -> Frame:
    """Decode one frame body (no delimiters). Raises only `FrameError`."""
    if len(encoded) > MAX_ENCODED:
        raise FrameError(f"frame of {len(encoded)} bytes is longer than {MAX_ENCODED}")
    try:
        raw = cobs.decode(encoded)
    except cobs.DecodeError as exc:
        raise FrameError(f"COBS: {exc}") from None
    if len(raw) < OVERHEAD:
        raise FrameError(f"frame of {len(raw)} bytes is shorter than {OVERHEAD}")
    body = raw[:-CRC.size]
    (crc,) = CRC.unpack_from(raw, len(body))
    if crc32c(body) != crc:
        raise FrameError("CRC mismatch")
    device, msg, seq, length = HEADER.unpack_from(body)
    if length != len(body) - HEADER.size:
        raise FrameError(f"length field {length} but {len(body) - HEADER.size} payload bytes")
    return Frame(device, msg, seq, bytes(body[HEADER.size:]))


class FrameDecoder:
    """Turns arbitrary byte chunks into frames; never raises, counts what it throws away.

    Counters: `frames` accepted, `rejected` frame bodies (bad COBS/CRC/length), `overflows`
    (a run without a delimiter longer than any frame, discarded), `bytes_in`.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._skipping = False  # discarding an over-long run until the next delimiter
        self.frames = 0
        self.rejected = 0
        self.overflows = 0
        self.bytes_in = 0
        self.last_error = ""

    def reset(self) -> None:
        """Forget a partial frame (after a reconnect)."""
        self._buf.clear()
        self._skipping = False

    def feed(self, data: bytes) -> list[Frame]:
        self.bytes_in += len(data)
        out: list[Frame] = []
        if not data:
            return out
        parts = bytes(data).split(b"\x00")
        # every part but the last is terminated by a delimiter
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if self._skipping:
                if last:
                    break
                self._skipping = False
                continue
            if last:
                self._buf += part
                if len(self._buf) > MAX_ENCODED:
                    self._buf.clear()
                    self._skipping = True
                    self.overflows += 1
                break
            if self._buf:
                self._buf += part
                body = bytes(self._buf)
                self._buf.clear()
            else:
                body = part
            if not body:
                continue  # adjacent delimiters
            try:
                frame = decode_frame(body)
            except FrameError as exc:
                self.rejected += 1
                self.last_error = str(exc)
                continue
            self.frames += 1
            out.append(frame)
        return out

    @property
    def stats(self) -> dict[str, int]:
        return {"frames": self.frames, "rejected": self.rejected,
                "overflows": self.overflows, "bytes_in": self.bytes_in}


def seq_delta(new: int, old: int) -> int:
    """Signed distance from `old` to `new` in the 16-bit sequence space (-32768..32767)."""
    d = (new - old) % SEQ_MOD
    return d - SEQ_MOD if d >= SEQ_MOD // 2 else d


__all__ = [
    "Frame", "MsgType", "RESPONSES", "FrameDecoder", "encode_frame", "decode_frame",
    "seq_delta", "crc32c", "HEADER", "CRC", "OVERHEAD", "MAX_PAYLOAD", "MAX_ENCODED",
    "BROADCAST", "SEQ_MOD",
]

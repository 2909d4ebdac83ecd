"""Payloads of the protocol messages, built from the catalog layouts.

A READING / STREAM_READING payload is ``<Q`` sample time (ns) followed by the kind's reading
fields; a COMMAND payload is the kind's command fields. Decoding raises only
`DeviceProtocolError` (via `hal.values.InvalidValues` or directly).
"""
from __future__ import annotations

import struct
from typing import Any, Mapping

from hal.catalog import DeviceKind, layout_crc
from hal.errors import DeviceProtocolError
from hal.values import Sample, check_values, pack, unpack

T_NS = struct.Struct("<Q")
RATE = struct.Struct("<I")
IDENTITY = struct.Struct("<BI")
ERROR_CODE = struct.Struct("<B")


class ErrorCode:
    """Codes carried by ERROR frames."""

    UNKNOWN_DEVICE = 1
    UNKNOWN_MESSAGE = 2
    BAD_PAYLOAD = 3
    DEVICE_FAULT = 4
    NOT_SUPPORTED = 5


def encode_reading(kind: DeviceKind, sample: Sample, device: str | None = None) -> bytes:
    values = check_values(kind.readings, sample.values, device)
    return T_NS.pack(sample.t_ns) + pack(kind.readings, values)


def decode_reading(kind: DeviceKind, payload: bytes, device: str | None = None) -> Sample:
    if len(payload) < T_NS.size:
        raise DeviceProtocolError(f"reading payload of {len(payload)} bytes", device)
    (t_ns,) = T_NS.unpack_from(payload)
    return Sample(t_ns, unpack(kind.readings, payload[T_NS.size:], device))


def encode_command(kind: DeviceKind, command: Mapping[str, Any], device: str | None = None) -> bytes:
    return pack(kind.commands, check_values(kind.commands, command, device, finite=True))


def decode_command(kind: DeviceKind, payload: bytes, device: str | None = None) -> dict[str, Any]:
    return check_values(kind.commands, unpack(kind.commands, payload, device), device, finite=True)


def encode_identity(kind: DeviceKind) -> bytes:
    return IDENTITY.pack(kind.kind_id, layout_crc(kind))


def decode_identity(payload: bytes, device: str | None = None) -> tuple[int, int]:
    if len(payload) != IDENTITY.size:
        raise DeviceProtocolError(f"identity payload of {len(payload)} bytes", device)
    return IDENTITY.unpack(payload)


def encode_t_ns(t_ns: int) -> bytes:
    return T_NS.pack(t_ns)


def decode_t_ns(payload: bytes, device: str | None = None) -> int:
    if len(payload) != T_NS.size:
        raise DeviceProtocolError(f"time payload of {len(payload)} bytes", device)
    return T_NS.unpack(payload)[0]


def encode_rate(rate_hz: int) -> bytes:
    return RATE.pack(rate_hz)


def decode_rate(payload: bytes, device: str | None = None) -> int:
    if len(payload) != RATE.size:
        raise DeviceProtocolError(f"rate payload of {len(payload)} bytes", device)
    return RATE.unpack(payload)[0]


def encode_error(code: int, text: str) -> bytes:
    return ERROR_CODE.pack(code) + text.encode("utf-8", "replace")[:200]


def decode_error(payload: bytes) -> tuple[int, str]:
    if not payload:
        return 0, "device error (no detail)"
    return payload[0], payload[1:].decode("utf-8", "replace")


__all__ = [
    "ErrorCode", "encode_reading", "decode_reading", "encode_command", "decode_command",
    "encode_identity", "decode_identity", "encode_t_ns", "decode_t_ns", "encode_rate",
    "decode_rate", "encode_error", "decode_error",
]

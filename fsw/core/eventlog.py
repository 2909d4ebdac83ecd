"""The human-readable event log: one JSON record a line, each with its own CRC-32.

Append-only; a log cut short by a crash is read back up to its last whole record with a
warning (a torn or corrupted line is skipped with a warning, never an exception).
"""
from __future__ import annotations

import json
import os
import re
import warnings
import zlib
from typing import Any, BinaryIO, Iterator, Mapping

from .component import Component
from .events import Event


class EventLogWarning(UserWarning):
    """A truncated or corrupted record was skipped."""


def encode_record(event: Event) -> bytes:
    body = json.dumps({"t_ns": event.t_ns, "component": event.component, "event": event.name,
                       "id": event.event_id, "severity": event.severity.name,
                       "args": {k: _plain(v) for k, v in event.args}},
                      sort_keys=True, separators=(",", ":"), allow_nan=True)
    return f"{zlib.crc32(body.encode()):08x} {body}\n".encode()


def _plain(v: Any) -> Any:
    if isinstance(v, (bool, int, float, str)) or v is None:
        return v
    return str(v)


class EventLogWriter:
    """Topology sink writing every event as a checksummed JSON line."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.records = 0

    def on_channels(self, t_ns: int, component: Component, values: Mapping[str, Any]) -> None:
        pass

    def on_event(self, event: Event, component: Component) -> None:
        self._out.write(encode_record(event))
        self.records += 1

    def flush(self, durable: bool = False) -> None:
        self._out.flush()
        if durable:
            os.fsync(self._out.fileno())


_CRC = re.compile(rb"[0-9a-f]{8}")
_KEYS = {"t_ns": int, "component": str, "event": str, "id": int, "severity": str, "args": dict}
_INT64 = 2**63


def _record_problem(obj: Any) -> str | None:
    """Why a checksum-valid line is still no event record (a crafted one), or None. A record
    is what `encode_record` writes: these keys, 64-bit integers, flat args of plain values."""
    if not isinstance(obj, dict) or set(obj) != set(_KEYS):
        return "not an event record"
    for key, kind in _KEYS.items():
        value = obj[key]
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{key} is not {kind.__name__}"
        if kind is int and not -_INT64 <= value < _INT64:
            return f"{key} out of 64-bit range"
    for name, value in obj["args"].items():
        if not (isinstance(value, (bool, float, str)) or value is None
                or (isinstance(value, int) and -2**64 < value < 2**64)):
            return f"argument {name!r} is not a plain value"
    return None


def read_event_log(data: bytes) -> Iterator[dict[str, Any]]:
    """Records of an event log in order; skips (with a warning) anything that does not check,
    including checksum-valid lines that are no record (nested, huge numbers, other keys)."""
    lines = data.split(b"\n")
    tail = lines.pop()  # after the last newline: empty, or a record cut short
    for no, line in enumerate(lines, start=1):
        try:
            crc, body = line.split(b" ", 1)
            if not _CRC.fullmatch(crc) or int(crc, 16) != zlib.crc32(body):
                raise ValueError("checksum mismatch")
            record = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
            warnings.warn(EventLogWarning(f"event log line {no}: skipped ({reason})"), stacklevel=2)
            continue
        problem = _record_problem(record)
        if problem is not None:
            warnings.warn(EventLogWarning(f"event log line {no}: skipped ({problem})"), stacklevel=2)
            continue
        yield record
    if tail:
        warnings.warn(EventLogWarning(f"event log ends inside a record ({len(tail)} bytes); stopped there"),
                      stacklevel=2)

"""Field values: checking them against a catalog layout and packing them to bytes and back.

Scalars are Python `float`/`int`, vectors are tuples, a `bytes` field is `bytes`. Packing
uses the struct format the catalog derives, so SIL and HIL carry bit-identical floats.
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from hal.catalog import INTEGER_RANGES, Field, Layout
from hal.errors import DeviceProtocolError


class InvalidValues(DeviceProtocolError, ValueError):
    """Values do not match the layout (missing/extra field, wrong length, out of range)."""


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading of a device: its sample time (integer ns) and its values by field name."""

    t_ns: int
    values: Mapping[str, Any]


def _scalar(f: Field, v: Any, device: str | None, finite: bool) -> float | int:
    if f.is_float:
        try:
            x = float(v)
        except (TypeError, ValueError):
            raise InvalidValues(f"{f.name}: expected a number, got {v!r}", device) from None
        if finite and not math.isfinite(x):
            raise InvalidValues(f"{f.name}: not finite ({x})", device)
        return x
    if isinstance(v, bool):
        v = int(v)
    if not isinstance(v, int):
        # accept numpy integers and integral floats coming from a plant
        try:
            iv = int(v)
        except (TypeError, ValueError, OverflowError):
            raise InvalidValues(f"{f.name}: expected an integer, got {v!r}", device) from None
        if iv != v:
            raise InvalidValues(f"{f.name}: expected an integer, got {v!r}", device)
        v = iv
    lo, hi = INTEGER_RANGES[f.type]
    if not lo <= v <= hi:
        raise InvalidValues(f"{f.name}: {v} outside {f.type} range [{lo}, {hi}]", device)
    return v


def check_values(layout: Layout, values: Mapping[str, Any], device: str | None = None,
                 *, finite: bool = False) -> dict[str, Any]:
    """Return `values` normalised to the layout (floats, ints, tuples, bytes), or raise
    `InvalidValues` naming the field. `finite=True` also refuses NaN/inf (for commands)."""
    if not isinstance(values, Mapping):
        raise InvalidValues(f"expected a mapping of fields, got {type(values).__name__}", device)
    extra = set(values) - set(layout.names)
    missing = [n for n in layout.names if n not in values]
    if extra or missing:
        raise InvalidValues(f"fields do not match: missing {missing}, unexpected {sorted(map(str, extra))}", device)
    out: dict[str, Any] = {}
    for f in layout.fields:
        v = values[f.name]
        if f.type == "bytes":
            if not isinstance(v, (bytes, bytearray, memoryview)):
                raise InvalidValues(f"{f.name}: expected bytes, got {type(v).__name__}", device)
            out[f.name] = bytes(v)
        elif f.count == 1:
            out[f.name] = _scalar(f, v, device, finite)
        else:
            try:
                items = list(v)
            except TypeError:
                raise InvalidValues(f"{f.name}: expected {f.count} values, got {v!r}", device) from None
            if len(items) != f.count:
                raise InvalidValues(f"{f.name}: expected {f.count} values, got {len(items)}", device)
            out[f.name] = tuple(_scalar(f, x, device, finite) for x in items)
    return out


@lru_cache(maxsize=None)
def _struct(layout: Layout) -> struct.Struct:
    return struct.Struct(layout.struct_format)


def pack(layout: Layout, values: Mapping[str, Any]) -> bytes:
    """Pack already-checked values (see `check_values`) into the layout's wire format."""
    flat: list[Any] = []
    for f in layout.fields:
        if f.type == "bytes":
            continue
        v = values[f.name]
        if f.count == 1:
            flat.append(v)
        else:
            flat.extend(v)
    out = _struct(layout).pack(*flat)
    tail = layout.tail_bytes
    return out + values[tail.name] if tail is not None else out


def unpack(layout: Layout, payload: bytes, device: str | None = None) -> dict[str, Any]:
    """Unpack a payload; a wrong length raises `InvalidValues` (a `DeviceProtocolError`)."""
    s = _struct(layout)
    tail = layout.tail_bytes
    if len(payload) < s.size or (tail is None and len(payload) != s.size):
        raise InvalidValues(f"payload of {len(payload)} bytes, layout needs {s.size}", device)
    flat = s.unpack_from(payload)
    out: dict[str, Any] = {}
    i = 0
    for f in layout.fields:
        if f.type == "bytes":
            out[f.name] = bytes(payload[s.size:])
        elif f.count == 1:
            out[f.name] = flat[i]
            i += 1
        else:
            out[f.name] = tuple(flat[i:i + f.count])
            i += f.count
    return out


__all__ = ["Sample", "InvalidValues", "check_values", "pack", "unpack"]

"""Field values: checking them against a catalog layout and packing them to bytes and back.

Scalars are Python `float`/`int`, vectors are tuples, a `bytes` field is `bytes`. Packing
uses the struct format the catalog derives, so SIL and HIL carry bit-identical floats.
"""
from __future__ import annotations

import math
import struct
from collections.abc import Mapping as _Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

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


def _field(f: Field, v: Any, device: str | None, finite: bool) -> Any:
    """One field's value normalised (bytes, scalar or tuple), or `InvalidValues`."""
    if f.type == "bytes":
        if not isinstance(v, (bytes, bytearray, memoryview)):
            raise InvalidValues(f"{f.name}: expected bytes, got {type(v).__name__}", device)
        return bytes(v)
    if f.count == 1:
        return _scalar(f, v, device, finite)
    try:
        items = list(v)
    except TypeError:
        raise InvalidValues(f"{f.name}: expected {f.count} values, got {v!r}", device) from None
    if len(items) != f.count:
        raise InvalidValues(f"{f.name}: expected {f.count} values, got {len(items)}", device)
    return tuple(_scalar(f, x, device, finite) for x in items)


_FLOAT, _INT, _FLOAT3, _FLOAT_VEC, _OTHER = range(5)


class LayoutChecker:
    """`check_values` for one layout, compiled once: what a device backend holds per device.

    The common case (a plain dict with exactly the layout's names, values already of the
    normalised types: `float`, in-range `int`, tuples or lists of them) is accepted without
    converting anything; anything else goes through the general per-field rules, which give
    the same result and the same error as `check_values` always has."""

    __slots__ = ("layout", "finite", "_names", "_plan", "_fast")

    def __init__(self, layout: Layout, finite: bool = False) -> None:
        self.layout = layout
        self.finite = finite
        self._names = frozenset(layout.names)
        plan = []
        for f in layout.fields:
            if f.type == "bytes":
                code, lo, hi = _OTHER, 0, 0
            elif f.is_float and f.count == 1:
                code, lo, hi = _FLOAT, 0, 0
            elif f.is_float and f.count == 3:
                code, lo, hi = _FLOAT3, 0, 0
            elif f.is_float:
                code, lo, hi = _FLOAT_VEC, (float,) * f.count, 0  # lo: the element types
            elif f.count == 1:
                code, (lo, hi) = _INT, INTEGER_RANGES[f.type]
            else:
                code, lo, hi = _OTHER, 0, 0
            plan.append((f.name, f, code, lo, hi, f.count))
        self._plan = tuple(plan)
        self._fast = self._compile()

    def _compile(self):
        """The common case of `_checked` as straight-line code for this layout (one per
        layout, made once): the same tests in the same order without the per-field loop and
        dispatch, and `_checked` itself for anything the common case does not cover."""
        finite = self.finite
        scope: dict[str, Any] = {"_scalar": _scalar, "_field": _field, "isfinite": math.isfinite,
                                 "slow": self._checked}
        n = len(self._plan)
        lines = ["def fast(values, device=None):",
                 f"    if type(values) is not dict or len(values) != {n}:",
                 "        return slow(values, device)"]
        if n:
            lines.append("    try:")
            lines += [f"        v{k} = values[{name!r}]" for k, (name, *_rest) in enumerate(self._plan)]
            lines += ["    except KeyError:", "        return slow(values, device)"]
        for k, (name, f, code, lo, hi, count) in enumerate(self._plan):
            v, fk = f"v{k}", f"F{k}"
            scope[fk] = f
            if code == _FLOAT:
                test = f"type({v}) is not float" + (f" or not isfinite({v})" if finite else "")
                lines += [f"    if {test}:", f"        {v} = _scalar({fk}, {v}, device, {finite})"]
            elif code == _INT:
                lines += [f"    if type({v}) is not int or not {lo} <= {v} <= {hi}:",
                          f"        {v} = _scalar({fk}, {v}, device, {finite})"]
            elif code == _FLOAT3:
                ok = (f"type({v}) is tuple and len({v}) == 3 and type({v}[0]) is float and type({v}[1]) is float"
                      f" and type({v}[2]) is float" + (f" and all(map(isfinite, {v}))" if finite else ""))
                lines += [f"    if not ({ok}):", f"        {v} = _field({fk}, {v}, device, {finite})"]
            elif code == _FLOAT_VEC:
                scope[f"T{k}"] = lo
                ok = (f"(t{k} is tuple or t{k} is list) and tuple(map(type, {v})) == T{k}"
                      + (f" and all(map(isfinite, {v}))" if finite else ""))
                lines += [f"    t{k} = type({v})", f"    if {ok}:",
                          f"        {v} = tuple({v}) if t{k} is list else {v}",
                          "    else:", f"        {v} = _field({fk}, {v}, device, {finite})"]
            else:
                lines += [f"    {v} = _field({fk}, {v}, device, {finite})"]
        lines.append("    return {" + ", ".join(f"{name!r}: v{k}" for k, (name, *_r) in enumerate(self._plan)) + "}")
        exec("\n".join(lines) + "\n", scope)      # noqa: S102 - generated from the catalog layout only
        return scope["fast"]

    def __call__(self, values: Mapping[str, Any], device: str | None = None) -> dict[str, Any]:
        return self._fast(values, device)

    @property
    def function(self) -> Callable[..., dict[str, Any]]:
        """What calling the checker calls, `(values, device=None) -> dict`: a caller that checks
        every sample holds it and saves the call through `__call__`."""
        return self._fast

    def _checked(self, values: Mapping[str, Any], device: str | None = None) -> dict[str, Any]:
        """The per-field rules of the common case (what `_compile` writes out), else `_general`."""
        if type(values) is not dict or len(values) != len(self._names) or not self._names.issuperset(values):
            return self._general(values, device)
        finite = self.finite
        out: dict[str, Any] = {}
        for name, f, code, lo, hi, count in self._plan:
            v = values[name]
            if code == _FLOAT:
                if type(v) is not float or (finite and not math.isfinite(v)):
                    v = _scalar(f, v, device, finite)
            elif code == _INT:
                if type(v) is not int or not lo <= v <= hi:
                    v = _scalar(f, v, device, finite)
            elif code == _FLOAT3:
                if (type(v) is tuple and len(v) == 3 and type(v[0]) is float and type(v[1]) is float
                        and type(v[2]) is float and (not finite or all(map(math.isfinite, v)))):
                    pass
                else:
                    v = _field(f, v, device, finite)
            elif code == _FLOAT_VEC:
                tv = type(v)
                if ((tv is tuple or tv is list) and tuple(map(type, v)) == lo
                        and (not finite or all(map(math.isfinite, v)))):
                    v = tuple(v) if tv is list else v
                else:
                    v = _field(f, v, device, finite)
            else:
                v = _field(f, v, device, finite)
            out[name] = v
        return out

    def _general(self, values: Any, device: str | None) -> dict[str, Any]:
        layout = self.layout
        if not isinstance(values, _Mapping):
            raise InvalidValues(f"expected a mapping of fields, got {type(values).__name__}", device)
        extra = set(values) - self._names
        missing = [n for n in layout.names if n not in values]
        if extra or missing:
            raise InvalidValues(f"fields do not match: missing {missing}, unexpected {sorted(map(str, extra))}",
                                device)
        return {f.name: _field(f, values[f.name], device, self.finite) for f in layout.fields}


_CHECKERS: dict[tuple[int, bool], LayoutChecker] = {}


def layout_checker(layout: Layout, *, finite: bool = False) -> LayoutChecker:
    """The (cached) checker of a layout; hold it to skip even the cache look-up."""
    key = (id(layout), finite)
    c = _CHECKERS.get(key)
    if c is None or c.layout is not layout:
        if len(_CHECKERS) > 4096:  # layouts made on the fly (tests): keep the cache bounded
            _CHECKERS.clear()
        c = _CHECKERS[key] = LayoutChecker(layout, finite)  # holds the layout: its id stays unique
    return c


def check_values(layout: Layout, values: Mapping[str, Any], device: str | None = None,
                 *, finite: bool = False) -> dict[str, Any]:
    """Return `values` normalised to the layout (floats, ints, tuples, bytes), or raise
    `InvalidValues` naming the field. `finite=True` also refuses NaN/inf (for commands).
    The result is a new dict the caller may keep or change."""
    return layout_checker(layout, finite=finite)(values, device)


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


__all__ = ["Sample", "InvalidValues", "LayoutChecker", "check_values", "layout_checker", "pack", "unpack"]

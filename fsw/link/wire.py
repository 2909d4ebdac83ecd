"""Wire encodings of typed values: fixed big-endian types for declared fields, and a small
tag-length-value form for event arguments (whose types are only known at run time).

Declared fields (channels, command arguments) use these wire types:

    bool   1 byte 0/1        i64  8-byte two's complement     f64  IEEE-754 binary64
    enum   u16 index into the declared choices               string  u16 length + UTF-8

A bool byte other than 0 or 1 is malformed (DecodeError), not True: a flipped bit must not
turn into a command argument.
"""
from __future__ import annotations

import enum
import operator
import struct
from typing import Any, Sequence

from .errors import DecodeError, EncodeError, TruncatedError

FIXED_CODES = {"bool": "?", "i64": "q", "f64": "d", "enum": "H"}
UNPACK_CODES = {"bool": "B", "i64": "q", "f64": "d", "enum": "H"}  # bool read as a byte, checked
WIRE_TYPES = ("bool", "i64", "f64", "string", "enum")
U8 = struct.Struct(">B")
U16 = struct.Struct(">H")
I64 = struct.Struct(">q")
F64 = struct.Struct(">d")
I64_MIN, I64_MAX = -(1 << 63), (1 << 63) - 1
MAX_STRING = 0xFFFF


def wire_type_of(py_type: type) -> str:
    """Wire type of a declared Python type; raises TypeError for one the link cannot carry."""
    if py_type is bool:
        return "bool"
    if py_type is int:
        return "i64"
    if py_type is float:
        return "f64"
    if py_type is str:
        return "string"
    if isinstance(py_type, type) and issubclass(py_type, enum.Enum):
        return "enum"
    raise TypeError(f"no wire type for {py_type!r}")


def to_wire(wtype: str, value: Any, what: str) -> Any:
    """Convert a value to the exact Python type its wire type packs; EncodeError if it cannot."""
    try:
        if wtype == "bool":
            return bool(value)
        if wtype == "f64":
            if isinstance(value, str):
                raise TypeError("a string")
            return float(value)
        if wtype in ("i64", "enum"):
            if isinstance(value, float):
                if not value.is_integer():
                    raise TypeError("not integral")
                value = int(value)
            v = operator.index(value)
            lo, hi = (I64_MIN, I64_MAX) if wtype == "i64" else (0, 0xFFFF)
            if not lo <= v <= hi:
                raise ValueError("out of range")
            return v
        if wtype == "string":
            if not isinstance(value, str):
                raise TypeError("not a string")
            if len(value.encode("utf-8")) > MAX_STRING:
                raise ValueError("longer than 65535 bytes")
            return value
    except (TypeError, ValueError, OverflowError) as exc:
        raise EncodeError(f"{what}: {value!r} cannot be sent as {wtype} ({exc})") from None
    raise EncodeError(f"{what}: unknown wire type {wtype!r}")


_BOOL_TEXT = {"1": True, "true": True, "0": False, "false": False}


def parse_text(wtype: str, text: str, what: str) -> Any:
    """A command-line text as the value of its wire type, checking the type only (no declared
    range): what `msr gds send --no-validate` puts on the wire to test flight-side checks."""
    try:
        if wtype == "i64":
            try:
                return int(text)
            except ValueError:
                return int(text, 0)  # 0x.., 0o.., 0b..
        if wtype == "f64":
            return float(text)  # nan and inf included: the flight side must refuse them
        if wtype == "bool":
            return _BOOL_TEXT[text.strip().lower()]
    except (ValueError, KeyError):
        raise EncodeError(f"{what}: {text!r} is not {_TEXT_KIND[wtype]}") from None
    return text


_TEXT_KIND = {"i64": "an integer (i64)", "f64": "a number (f64)", "bool": "a bool (0, 1, true, false)"}


class FieldCodec:
    """Packs and unpacks a fixed sequence of typed fields (declaration order)."""

    def __init__(self, names: Sequence[str], wtypes: Sequence[str]) -> None:
        for w in wtypes:
            if w not in WIRE_TYPES:
                raise ValueError(f"unknown wire type {w!r}")
        self.names = tuple(names)
        self.wtypes = tuple(wtypes)
        self.fixed = "string" not in self.wtypes
        self.codes = "".join(FIXED_CODES[w] for w in self.wtypes) if self.fixed else None
        self.struct = struct.Struct(">" + self.codes) if self.fixed else None
        self._field = [None if w == "string" else struct.Struct(">" + UNPACK_CODES[w])
                       for w in self.wtypes]
        self.bools = tuple(i for i, w in enumerate(self.wtypes) if w == "bool")
        self.unpack_struct = (struct.Struct(">" + "".join(UNPACK_CODES[w] for w in self.wtypes))
                              if self.fixed else None)

    def convert(self, values: Sequence[Any], owner: str) -> list[Any]:
        return [to_wire(w, v, f"{owner}.{n}") for n, w, v in zip(self.names, self.wtypes, values)]

    def pack(self, values: Sequence[Any], owner: str = "") -> bytes:
        if self.fixed:
            try:
                return self.struct.pack(*values)
            except struct.error:
                return self.struct.pack(*self.convert(values, owner))
        out = []
        for w, v, s in zip(self.wtypes, self.convert(values, owner), self._field):
            if s is None:
                b = v.encode("utf-8")
                out.append(U16.pack(len(b)))
                out.append(b)
            else:
                out.append(s.pack(v))
        return b"".join(out)

    def unpack(self, buf: bytes | memoryview, offset: int, end: int) -> tuple:
        """Fields from buf[offset:end]; the fields must use exactly those bytes."""
        if self.fixed:
            if end - offset != self.struct.size:
                raise DecodeError(f"{end - offset} bytes of fields, layout needs {self.struct.size}")
            vals = self.unpack_struct.unpack_from(buf, offset)
            return self._bools(vals) if self.bools else vals
        vals = []
        for w, s in zip(self.wtypes, self._field):
            if s is None:
                if offset + 2 > end:
                    raise TruncatedError("string length cut off")
                n = (buf[offset] << 8) | buf[offset + 1]
                offset += 2
                if offset + n > end:
                    raise TruncatedError("string cut off")
                vals.append(decode_utf8(buf[offset:offset + n]))
                offset += n
            else:
                if offset + s.size > end:
                    raise TruncatedError("field cut off")
                vals.append(s.unpack_from(buf, offset)[0])
                offset += s.size
        if offset != end:
            raise DecodeError(f"{end - offset} bytes left after the declared fields")
        return self._bools(vals) if self.bools else tuple(vals)

    def _bools(self, vals: Sequence[Any]) -> tuple:
        out = list(vals)
        for i in self.bools:
            if out[i] > 1:
                raise DecodeError(f"{self.names[i]}: bool byte {out[i]} is not 0 or 1")
            out[i] = out[i] == 1
        return tuple(out)


def decode_utf8(b: bytes | memoryview) -> str:
    try:
        return bytes(b).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"string is not UTF-8: {exc}") from None


# ---------------------------------------------------------------- event arguments (TLV)
T_NONE, T_FALSE, T_TRUE, T_I64, T_F64, T_STR, T_BIGINT, T_TEXT = range(8)


def _str_field(s: str) -> bytes:
    b = s.encode("utf-8", "replace")
    if len(b) > MAX_STRING:  # cut on a character boundary
        b = b[:MAX_STRING].decode("utf-8", "ignore").encode("utf-8")
    return U16.pack(len(b)) + b


def pack_value(v: Any) -> bytes:
    """One tagged value. None, bool, int, float and str round-trip exactly; anything else is
    sent as its str() (tag TEXT) and comes back as that string."""
    if v is None:
        return b"\x00"
    if v is True or v is False:
        return b"\x02" if v else b"\x01"
    if isinstance(v, int):
        if I64_MIN <= v <= I64_MAX:
            return b"\x03" + I64.pack(v)
        try:
            return b"\x06" + _str_field(str(v))
        except ValueError:  # beyond Python's int-to-text limit
            return b"\x07" + _str_field("<integer too large>")
    if isinstance(v, float):
        return b"\x04" + F64.pack(v)
    if isinstance(v, str):
        try:
            b = v.encode("utf-8")
        except UnicodeEncodeError:  # lone surrogates: sent as TEXT with replacement characters
            return b"\x07" + _str_field(v)
        if len(b) <= MAX_STRING:
            return b"\x05" + U16.pack(len(b)) + b
        return b"\x07" + _str_field(v)
    try:
        return pack_value(operator.index(v))  # numpy integers
    except TypeError:
        return b"\x07" + _str_field(str(v))


def pack_args(args: Sequence[tuple[str, Any]]) -> bytes:
    """u8 count, then per argument: u8 name length, UTF-8 name, tagged value."""
    if len(args) > 255:
        raise EncodeError(f"{len(args)} event arguments: at most 255")
    out = [U8.pack(len(args))]
    for name, v in args:
        nb = str(name).encode("utf-8")
        if len(nb) > 255:
            raise EncodeError(f"event argument name {name!r} longer than 255 bytes")
        out.append(U8.pack(len(nb)))
        out.append(nb)
        out.append(pack_value(v))
    return b"".join(out)


def unpack_args(buf: bytes | memoryview, offset: int, end: int) -> tuple[tuple[str, Any], ...]:
    if offset >= end:
        raise TruncatedError("event argument count missing")
    count = buf[offset]
    offset += 1
    out = []
    for _ in range(count):
        if offset >= end:
            raise TruncatedError("event argument cut off")
        n = buf[offset]
        offset += 1
        if offset + n + 1 > end:
            raise TruncatedError("event argument cut off")
        name = decode_utf8(buf[offset:offset + n])
        offset += n
        tag = buf[offset]
        offset += 1
        if tag == T_NONE:
            v: Any = None
        elif tag == T_FALSE:
            v = False
        elif tag == T_TRUE:
            v = True
        elif tag in (T_I64, T_F64):
            if offset + 8 > end:
                raise TruncatedError("event argument value cut off")
            v = (I64 if tag == T_I64 else F64).unpack_from(buf, offset)[0]
            offset += 8
        elif tag in (T_STR, T_BIGINT, T_TEXT):
            if offset + 2 > end:
                raise TruncatedError("event argument length cut off")
            m = (buf[offset] << 8) | buf[offset + 1]
            offset += 2
            if offset + m > end:
                raise TruncatedError("event argument text cut off")
            v = decode_utf8(buf[offset:offset + m])
            offset += m
            if tag == T_BIGINT:
                try:
                    v = int(v)
                except ValueError:
                    raise DecodeError(f"bad big integer {v!r}") from None
        else:
            raise DecodeError(f"unknown event argument tag {tag}")
        out.append((name, v))
    if offset != end:
        raise DecodeError(f"{end - offset} bytes left after the event arguments")
    return tuple(out)

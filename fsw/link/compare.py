"""Compare two telemetry logs: where two runs part, and by how much.

Byte-identical logs are the promise of a deterministic run; when two logs differ this module
says where: the first packet that differs (in log order) and, for every channel, how many
samples differ and by how much (absolute, relative, units in the last place). Packets are
paired by what they are, not where they sit: (vehicle, component, kind, time, event name,
occurrence), so a log with one extra packet still lines up with the other after it, and two
runs that decode with different dictionaries (a channel added) compare channel by channel.

A `Tolerance` turns the comparison into one of outcomes: a float (channel value or event
argument) within `atol + rtol * max(|a|, |b|)` of the other counts as equal. Everything else
(integers, booleans, strings, modes, event names, a packet present in one log only) must be
equal exactly. With no tolerance, floats must be equal bit for bit (-0.0 differs from 0.0;
NaN equals NaN of the same bits).
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from .telemetry import AckPacket, ChannelPacket, EventPacket, Packet, RawPacket

_D = struct.Struct(">d")
_Q = struct.Struct(">Q")
_SIGN = 1 << 63


def float_key(x: float) -> int:
    """An integer that orders like the float and steps by one per representable value
    (-0.0 and 0.0 both map to 0)."""
    b = _Q.unpack(_D.pack(x))[0]
    return -(b & ~_SIGN) if b & _SIGN else b


def ulp_distance(a: float, b: float) -> int | None:
    """Representable float64 values between a and b (0 for equal values); None with a NaN."""
    if math.isnan(a) or math.isnan(b):
        return None
    return abs(float_key(a) - float_key(b))


def same_float(a: float, b: float) -> bool:
    return _D.pack(a) == _D.pack(b)


@dataclass(frozen=True)
class Tolerance:
    rtol: float = 0.0
    atol: float = 0.0

    def __post_init__(self) -> None:
        for name in ("rtol", "atol"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0.0):
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")

    @property
    def exact(self) -> bool:
        return self.rtol == 0.0 and self.atol == 0.0

    def floats_equal(self, a: float, b: float) -> bool:
        if same_float(a, b):
            return True
        if self.exact:
            return False
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        if math.isinf(a) or math.isinf(b):
            return a == b
        return abs(a - b) <= self.atol + self.rtol * max(abs(a), abs(b))

    def values_equal(self, a: Any, b: Any) -> bool:
        if type(a) is float and type(b) is float:
            return self.floats_equal(a, b)
        return type(a) is type(b) and a == b

    def __str__(self) -> str:
        return "exact" if self.exact else f"rel={self.rtol:g}, abs={self.atol:g}"


EXACT = Tolerance()


@dataclass(frozen=True)
class ValueDiff:
    """One differing value: a channel, or an event/ack field."""

    name: str
    a: Any
    b: Any

    @property
    def numeric(self) -> bool:
        return type(self.a) in (int, float) and type(self.b) in (int, float)

    @property
    def abs_diff(self) -> float | None:
        return abs(self.a - self.b) if self.numeric else None

    @property
    def rel_diff(self) -> float | None:
        if not self.numeric:
            return None
        scale = max(abs(self.a), abs(self.b))
        return 0.0 if self.a == self.b else (abs(self.a - self.b) / scale if scale else math.inf)

    @property
    def ulps(self) -> int | None:
        return ulp_distance(self.a, self.b) if type(self.a) is float and type(self.b) is float else None


@dataclass(frozen=True)
class PacketDiff:
    """The first packet that differs: where (log position, time, APID, component) and what."""

    index: int                 # position in log A (or in B for a packet only B has)
    t_ns: int
    apid: int
    vehicle: str
    component: str
    kind: str
    only_in: str | None        # "A" or "B" when the other log has no such packet
    values: tuple[ValueDiff, ...] = ()


@dataclass
class ChannelStats:
    compared: int = 0
    differing: int = 0
    max_abs: float = 0.0
    max_rel: float = 0.0
    max_ulps: int = 0
    first_t_ns: int | None = None

    def add(self, t_ns: int, d: ValueDiff | None) -> None:
        self.compared += 1
        if d is None:
            return
        self.differing += 1
        if self.first_t_ns is None:
            self.first_t_ns = t_ns
        if d.numeric:
            self.max_abs = max(self.max_abs, d.abs_diff if not math.isnan(d.abs_diff) else math.inf)
            self.max_rel = max(self.max_rel, d.rel_diff if not math.isnan(d.rel_diff) else math.inf)
            self.max_ulps = max(self.max_ulps, d.ulps if d.ulps is not None else 0)


@dataclass
class Comparison:
    tolerance: Tolerance
    packets_a: int
    packets_b: int
    first: PacketDiff | None = None
    channels: dict[str, ChannelStats] = field(default_factory=dict)   # "vehicle/component.channel"
    events_compared: int = 0
    events_differing: int = 0
    other_differing: int = 0    # acks and undecodable packets
    only_in_a: int = 0
    only_in_b: int = 0
    first_unpaired: PacketDiff | None = None   # where the two timelines part, if they do

    @property
    def equal(self) -> bool:
        """Equal within the tolerance (exactly equal with none)."""
        return self.first is None

    def differing_channels(self) -> list[tuple[str, ChannelStats]]:
        """Channels with a difference, in the order their first difference appeared."""
        rows = [(k, s) for k, s in self.channels.items() if s.differing]
        return sorted(rows, key=lambda r: (r[1].first_t_ns, r[0]))


def _key_fields(p: Packet) -> tuple:
    if isinstance(p, RawPacket):
        return (f"apid {p.apid:#05x}", "?", "raw", p.t_ns, p.packet_kind)
    name = p.name if isinstance(p, EventPacket) else ""
    return (p.vehicle, p.component, p.kind, p.t_ns, name)


def keyed(packets: Iterable[Packet]) -> dict[tuple, tuple[int, Packet]]:
    """{pairing key: (log position, packet)}; the key ends with an occurrence count so that
    repeats (two phases of one vehicle in a campaign log) stay apart."""
    out: dict[tuple, tuple[int, Packet]] = {}
    seen: dict[tuple, int] = {}
    for i, p in enumerate(packets):
        k = _key_fields(p)
        n = seen.get(k, 0)
        seen[k] = n + 1
        out[k + (n,)] = (i, p)
    return out


def _fields(p: Packet) -> dict[str, Any]:
    """What is compared in a non-channel packet, by name."""
    if isinstance(p, EventPacket):
        return {"severity": p.severity.name} | {f"arg {k}": v for k, v in p.args}
    if isinstance(p, AckPacket):
        return {"key_id": p.key_id, "cmd_seq": p.cmd_seq, "status": p.status.name, "reason": p.reason}
    return {"payload": p.payload.hex(), "error": p.error}


def _diffs(a: dict[str, Any], b: dict[str, Any], tol: Tolerance) -> list[ValueDiff]:
    out = []
    for name in dict.fromkeys([*a, *b]):
        va, vb = a.get(name), b.get(name)
        if name not in a or name not in b or not tol.values_equal(va, vb):
            out.append(ValueDiff(name, va, vb))
    return out


def compare_packets(a: Sequence[Packet], b: Sequence[Packet], tolerance: Tolerance = EXACT) -> Comparison:
    """Pair the packets of two logs and compare them (see the module docstring)."""
    ka, kb = keyed(a), keyed(b)
    cmp = Comparison(tolerance, len(a), len(b))
    first: tuple[int, PacketDiff] | None = None
    unpaired: tuple[int, PacketDiff] | None = None

    def note(index: int, diff: PacketDiff) -> None:
        nonlocal first, unpaired
        if first is None or index < first[0]:
            first = (index, diff)
        if diff.only_in and (unpaired is None or index < unpaired[0]):
            unpaired = (index, diff)

    for key, (i, pa) in ka.items():
        hit = kb.get(key)
        where = dict(index=i, t_ns=pa.t_ns, apid=pa.apid, vehicle=key[0], component=key[1], kind=key[2])
        if hit is None:
            cmp.only_in_a += 1
            note(i, PacketDiff(**where, only_in="A"))
            continue
        pb = hit[1]
        if isinstance(pa, ChannelPacket) and isinstance(pb, ChannelPacket):
            prefix = f"{key[0]}/{key[1]}."
            diffs = []
            for name in dict.fromkeys([*pa.values, *pb.values]):
                va, vb = pa.values.get(name), pb.values.get(name)
                d = None
                if name not in pa.values or name not in pb.values or not tolerance.values_equal(va, vb):
                    d = ValueDiff(name, va, vb)
                    diffs.append(d)
                cmp.channels.setdefault(prefix + name, ChannelStats()).add(pa.t_ns, d)
        else:
            diffs = _diffs(_fields(pa), _fields(pb), tolerance)
            if isinstance(pa, EventPacket):
                cmp.events_compared += 1
                cmp.events_differing += bool(diffs)
            else:
                cmp.other_differing += bool(diffs)
        if diffs:
            note(i, PacketDiff(**where, only_in=None, values=tuple(diffs)))
    for key, (i, pb) in kb.items():
        if key not in ka:
            cmp.only_in_b += 1
            note(i, PacketDiff(i, pb.t_ns, pb.apid, key[0], key[1], key[2], only_in="B"))
    cmp.first = first[1] if first is not None else None
    cmp.first_unpaired = unpaired[1] if unpaired is not None else None
    return cmp


def parse_tolerance(text: str) -> Tolerance:
    """`rel=1e-9`, `abs=1e-6`, `rel=1e-9,abs=1e-12` (also rtol=/atol=); ValueError if not."""
    names = {"rel": "rtol", "rtol": "rtol", "abs": "atol", "atol": "atol"}
    got: dict[str, float] = {}
    for part in text.split(","):
        key, sep, raw = part.strip().partition("=")
        if not sep or key.strip() not in names:
            raise ValueError(f"tolerance {text!r}: expected rel=X and/or abs=Y")
        try:
            got[names[key.strip()]] = float(raw)
        except ValueError:
            raise ValueError(f"tolerance {text!r}: {raw!r} is not a number") from None
    return Tolerance(**got)


__all__ = ["EXACT", "ChannelStats", "Comparison", "PacketDiff", "Tolerance", "ValueDiff",
           "compare_packets", "float_key", "keyed", "parse_tolerance", "same_float", "ulp_distance"]

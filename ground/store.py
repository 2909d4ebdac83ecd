"""What the console has received, kept for historical queries and as Open MCT datums.

Every decoded packet becomes one JSON-able record (`datum_of`): channel packets keep their
values by name, events and acks their fields. Times are spacecraft nanoseconds; Open MCT
gets them as milliseconds in its `utc` time system (spacecraft time 0 is 1970-01-01T00:00Z,
so the clock reads as elapsed time). Non-finite floats travel as their text ("nan", "inf"),
because JSON has no such numbers.

Object keys (also the Open MCT identifiers' keys): `ch:VEHICLE.COMPONENT.CHANNEL`,
`ev:VEHICLE` (every event), `ev:VEHICLE.COMPONENT`, `ack:VEHICLE`.
"""
from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Any

from fsw.link.telemetry import AckPacket, ChannelPacket, EventPacket, Packet

MAX_RECORDS = 500_000   # per series; the oldest half is dropped beyond it


def json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, (str, int, float, bool)) or v is None:
        return v
    return str(v)


def datum_of(p: Packet) -> dict[str, Any] | None:
    """The wire form of one packet for the browser (None: not for display)."""
    base = {"utc": p.t_ns / 1e6, "t_ns": p.t_ns, "apid": p.apid, "seq": p.seq}
    if isinstance(p, ChannelPacket):
        return base | {"k": "ch", "vehicle": p.vehicle, "component": p.component,
                       "values": {k: json_value(v) for k, v in p.values.items()}}
    if isinstance(p, EventPacket):
        return base | {"k": "ev", "vehicle": p.vehicle, "component": p.component,
                       "name": p.name, "severity": p.severity.name, "text": p.text,
                       "args": {k: json_value(v) for k, v in p.args}}
    if isinstance(p, AckPacket):
        return base | {"k": "ack", "vehicle": p.vehicle, "component": p.component,
                       "key_id": p.key_id, "cmd_seq": str(p.cmd_seq),
                       "status": p.status.name, "reason": p.reason}
    return None


@dataclass
class Series:
    """Records in arrival order with their times (bisect needs them sorted: a live link
    delivers in time order; a record that arrives out of order is placed by time)."""

    times: list[int] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)

    def add(self, t_ns: int, record: dict[str, Any]) -> None:
        if self.times and t_ns < self.times[-1]:
            i = bisect_right(self.times, t_ns)
            self.times.insert(i, t_ns)
            self.records.insert(i, record)
        else:
            self.times.append(t_ns)
            self.records.append(record)
        if len(self.times) > MAX_RECORDS:
            del self.times[:MAX_RECORDS // 2], self.records[:MAX_RECORDS // 2]

    def between(self, start_ns: int | None, end_ns: int | None) -> list[dict[str, Any]]:
        lo = 0 if start_ns is None else bisect_left(self.times, start_ns)
        hi = len(self.times) if end_ns is None else bisect_right(self.times, end_ns)
        return self.records[lo:hi]


class TelemetryStore:
    """Received telemetry, by component (channels) and by vehicle (events, acks)."""

    def __init__(self) -> None:
        self.channels: dict[tuple[str, str], Series] = {}
        self.events: dict[str, Series] = {}
        self.acks: dict[str, Series] = {}
        self.received = 0
        self.latest_ns: int | None = None

    def add(self, record: dict[str, Any]) -> None:
        self.received += 1
        t = record["t_ns"]
        self.latest_ns = t if self.latest_ns is None else max(self.latest_ns, t)
        kind, vehicle = record["k"], record["vehicle"]
        if kind == "ch":
            series = self.channels.setdefault((vehicle, record["component"]), Series())
        elif kind == "ev":
            series = self.events.setdefault(vehicle, Series())
        else:
            series = self.acks.setdefault(vehicle, Series())
        series.add(t, record)

    def query(self, key: str, start_ms: float | None = None, end_ms: float | None = None,
              latest: int | None = None) -> list[dict[str, Any]]:
        """Open MCT datums of object `key` in [start, end] (ms), oldest first; with `latest`,
        only the last so many. An unknown key is an empty answer, not an error."""
        kind, _, path = key.partition(":")
        start = None if start_ms is None else math.floor(start_ms * 1e6)
        end = None if end_ms is None else math.ceil(end_ms * 1e6)
        if kind == "ch":
            vehicle, comp, name = (path.split(".", 2) + ["", ""])[:3]
            series = self.channels.get((vehicle, comp))
            rows = [] if series is None else [
                {"utc": r["utc"], "t_ns": r["t_ns"], "value": r["values"][name]}
                for r in series.between(start, end) if name in r["values"]]
        elif kind in ("ev", "ack"):
            vehicle, _, comp = path.partition(".")
            series = (self.events if kind == "ev" else self.acks).get(vehicle)
            rows = [] if series is None else series.between(start, end)
            if comp:
                rows = [r for r in rows if r["component"] == comp]
        else:
            rows = []
        return rows[-latest:] if latest else rows

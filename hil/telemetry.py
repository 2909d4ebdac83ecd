"""The telemetry log a bench run writes, the thing SIL/HIL equivalence is judged on.

It is the ground link's CCSDS log (`fsw.link.log.TelemetryLogWriter`) when that module is
importable, else a canonical text record of every channel sample and event (one line each,
floats as `float.hex`, so two logs are byte-identical exactly when the values are).
"""
from __future__ import annotations

import hashlib
from typing import Any, BinaryIO, Mapping

from fsw.core import Component, Event, Topology


def _canon(v: Any) -> str:
    if isinstance(v, float):
        return v.hex()
    if isinstance(v, (tuple, list)):
        return "(" + ",".join(_canon(x) for x in v) + ")"
    if isinstance(v, bytes):
        return "b" + v.hex()
    return repr(v)


class CanonicalLogWriter:
    """Fallback log: `C t component name=value ...` and `E t component event args` lines."""

    format = "canonical-text"

    def __init__(self, out: BinaryIO | None = None) -> None:
        self._buf = bytearray() if out is None else None
        self._out = out
        self.packets = 0

    def _write(self, line: str) -> None:
        data = (line + "\n").encode()
        if self._out is None:
            self._buf.extend(data)
        else:
            self._out.write(data)
        self.packets += 1

    def on_channels(self, t_ns: int, component: Component, values: Mapping[str, Any]) -> None:
        self._write(f"C {t_ns} {component.name} " + " ".join(f"{k}={_canon(v)}" for k, v in values.items()))

    def on_event(self, event: Event, component: Component) -> None:
        args = " ".join(f"{k}={_canon(v)}" for k, v in event.args)
        self._write(f"E {event.t_ns} {component.name} {event.event_id} {event.name} {int(event.severity)} {args}")

    def getvalue(self) -> bytes:
        if self._buf is None:
            raise ValueError("this writer writes to a file")
        return bytes(self._buf)

    def sha256(self) -> str:
        return hashlib.sha256(self.getvalue()).hexdigest()

    def flush(self) -> None:
        if self._out is not None:
            self._out.flush()


def attach_log(topology: Topology, out: BinaryIO | None = None) -> Any:
    """Attach the telemetry log writer to `topology` (in memory when `out` is None)."""
    try:
        from fsw.link.log import TelemetryLogWriter
    except ImportError:
        writer = CanonicalLogWriter(out)
        topology.attach(writer)
        return writer
    writer = TelemetryLogWriter.for_topology(topology, out)
    writer.format = "ccsds"
    return writer


def log_format(writer: Any) -> str:
    return getattr(writer, "format", "ccsds")


__all__ = ["CanonicalLogWriter", "attach_log", "log_format"]

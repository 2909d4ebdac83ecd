"""Serial line fault injection: a port (or bench transport) wrapper that corrupts bytes, drops
bytes, or pulls the cable, on either end of a line.

Faults act on what is read (the wire as the far end sent it), so the protocol's CRC, COBS
resynchronisation, sequence numbers and retries are what must cope: line noise and byte
loss end as `FrameError`s skipped by the decoder and, at worst, request timeouts; a pulled
cable is `DeviceDisconnected`. The random generator is handed in (seeded runs repeat).
`wrap_link(link, ...)` puts the wrapper under a `SerialLink`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from hal.errors import DeviceDisconnected


@dataclass
class LineFaultStats:
    bytes_in: int = 0
    bytes_flipped: int = 0
    bytes_dropped: int = 0
    disconnects: int = 0


class FaultyPort:
    """Wraps `read_available/write/close` (and `is_open` when present) of a port or transport.

    `noise`: probability per byte read that one random bit flips; `loss`: probability per byte
    read that it vanishes; `disconnected`: the cable is out (reads and writes raise). All can
    be changed while running (set the attributes).
    """

    def __init__(self, inner: Any, rng: np.random.Generator, *, noise: float = 0.0, loss: float = 0.0,
                 name: str = "line") -> None:
        for label, p in (("noise", noise), ("loss", loss)):
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"{label} must be a probability in [0, 1], got {p!r}")
        self.inner = inner
        self.rng = rng
        self.noise = float(noise)
        self.loss = float(loss)
        self.disconnected = False
        self.name = name
        self.stats = LineFaultStats()

    @property
    def is_open(self) -> bool:
        return not self.disconnected and getattr(self.inner, "is_open", True)

    def open(self) -> None:
        if self.disconnected:
            raise DeviceDisconnected("cable pulled (injected)", self.name)
        if hasattr(self.inner, "open"):
            self.inner.open()

    def _cut(self) -> None:
        self.stats.disconnects += 1
        raise DeviceDisconnected("cable pulled (injected)", self.name)

    def read_available(self, deadline: float) -> bytes:
        if self.disconnected:
            self._cut()
        data = self.inner.read_available(deadline)
        if not data:
            return data
        self.stats.bytes_in += len(data)
        if self.noise == 0.0 and self.loss == 0.0:
            return data
        buf = np.frombuffer(data, dtype=np.uint8).copy()
        if self.noise > 0.0:
            hit = self.rng.random(buf.size) < self.noise
            n = int(hit.sum())
            if n:
                buf[hit] ^= (1 << self.rng.integers(0, 8, n)).astype(np.uint8)
                self.stats.bytes_flipped += n
        if self.loss > 0.0:
            keep = self.rng.random(buf.size) >= self.loss
            self.stats.bytes_dropped += int(buf.size - keep.sum())
            buf = buf[keep]
        return buf.tobytes()

    def write(self, data: bytes) -> None:
        if self.disconnected:
            self._cut()
        self.inner.write(data)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # set_modem_lines, reset_input, fileno ...
        return getattr(self.inner, name)


def wrap_link(link: Any, rng: np.random.Generator, **faults: Any) -> FaultyPort:
    """Insert a FaultyPort under a `hal.serial.link.SerialLink` (its own port); returns it."""
    port = FaultyPort(link._port, rng, name=link.name, **faults)
    link._port = port
    return port


__all__ = ["FaultyPort", "LineFaultStats", "wrap_link"]

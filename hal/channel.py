"""The generic device channel: what every backend (simulated, serial) provides per device.

Typed interfaces in `hal.devices` sit on top of a channel; the bench emulator serves
channels over a serial line (`hal.serial.responder`). Values are keyed by catalog field name.
"""
from __future__ import annotations

from typing import Any, Mapping, Protocol, runtime_checkable

from hal.catalog import DeviceKind
from hal.values import Sample


@runtime_checkable
class Channel(Protocol):
    name: str
    kind: DeviceKind

    def read(self) -> Sample:
        """Latest sample (time stamp in integer ns + reading fields); raises DeviceFault."""
        ...

    def write(self, command: Mapping[str, Any]) -> None:
        """Send a complete command (every command field of the kind); raises DeviceFault."""
        ...

    def close(self) -> None: ...


__all__ = ["Channel"]

"""Device fault types: the only exceptions hal/ lets escape to flight code.

Flight code catches `DeviceFault` (or a subclass) and turns it into an event or an FDIR
input; nothing else from a device backend should reach it.
"""
from __future__ import annotations


class DeviceFault(Exception):
    """A device did not deliver what was asked. `device` names the instance when known."""

    def __init__(self, message: str, device: str | None = None) -> None:
        super().__init__(f"{device}: {message}" if device else message)
        self.device = device


class DeviceTimeout(DeviceFault):
    """No (valid) answer within the deadline; the link may still be up."""


class DeviceDisconnected(DeviceFault):
    """The port went away (other end closed, cable pulled, EIO). Call `reconnect()`."""


class PeerClosed(DeviceDisconnected):
    """The other end closed the line (EOF, or EIO on a pty whose other side is closed): the
    normal end of a session when the peer finishes, not a fault of this side."""


class DeviceProtocolError(DeviceFault):
    """Bytes arrived but did not make a valid frame or payload (corrupt, wrong length/kind)."""


class FrameError(DeviceProtocolError):
    """A single frame failed to decode (COBS, length, CRC). The stream decoder counts these."""


class DeviceReportedFault(DeviceFault):
    """The device answered with an ERROR frame (it is alive but refused or failed)."""

    def __init__(self, message: str, device: str | None = None, code: int = 0) -> None:
        super().__init__(message, device)
        self.code = code


class DeviceConfigError(DeviceFault, ValueError):
    """A device configuration entry is invalid; the message names the entry."""


class DeviceBusy(DeviceConfigError):
    """The port is already opened exclusively by another process."""


__all__ = [
    "DeviceFault", "DeviceTimeout", "DeviceDisconnected", "PeerClosed", "DeviceProtocolError",
    "FrameError", "DeviceReportedFault", "DeviceConfigError", "DeviceBusy",
]

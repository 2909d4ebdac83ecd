"""A pyserial port with our own timeouts and clean failure modes.

Why not just `serial.Serial(timeout=...)`: `inter_byte_timeout` does not work on Linux, a
pty whose other end closed keeps reporting "ready" and reading raises or returns nothing,
and modem-control ioctls fail on a pty. This wrapper waits with `select` on the file
descriptor (or socket) up to a monotonic deadline, reads whatever is there in one call,
and maps every failure to `DeviceTimeout`, `DeviceDisconnected` or `DeviceBusy`.
"""
from __future__ import annotations

import errno
import os
import select
import time
from dataclasses import dataclass, field
from typing import Any

import serial

from hal.errors import DeviceBusy, DeviceConfigError, DeviceDisconnected, DeviceTimeout, PeerClosed

READ_CHUNK = 65536
LOOP_SLICE_S = 0.002  # read timeout slice for ports without a selectable handle (loop://)


@dataclass(frozen=True)
class PortSettings:
    """Where and how to open a port. `url` is a device path or a pyserial URL."""

    url: str
    baudrate: int = 115200
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    rtscts: bool = False
    xonxoff: bool = False
    exclusive: bool = True
    write_timeout_s: float = 1.0
    extra: dict[str, Any] = field(default_factory=dict)


class Port:
    """One open pyserial port; `name` is used in error messages."""

    def __init__(self, settings: PortSettings, name: str | None = None, *, open_now: bool = True) -> None:
        self.settings = settings
        self.name = name or settings.url
        self._ser: serial.SerialBase | None = None
        self._select_on: Any = None
        if open_now:
            self.open()

    # ---- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        s = self.settings
        try:
            ser = serial.serial_for_url(
                s.url, do_not_open=True, baudrate=s.baudrate, bytesize=s.bytesize,
                parity=s.parity, stopbits=s.stopbits, rtscts=s.rtscts, xonxoff=s.xonxoff,
                write_timeout=s.write_timeout_s, **s.extra)
        except ValueError as exc:  # bad settings or unknown URL scheme
            raise DeviceConfigError(f"cannot use port {s.url!r}: {exc}", self.name) from None
        except serial.SerialException as exc:
            raise DeviceConfigError(f"cannot use port {s.url!r}: {exc}", self.name) from None
        if s.exclusive and _supports_exclusive(ser):
            ser.exclusive = True
        try:
            ser.open()
        except serial.SerialException as exc:
            if "exclusively lock" in str(exc):
                raise DeviceBusy(f"port {s.url!r} is in use by another process", self.name) from None
            raise DeviceDisconnected(f"cannot open {s.url!r}: {exc}", self.name) from None
        except OSError as exc:
            raise DeviceDisconnected(f"cannot open {s.url!r}: {exc}", self.name) from None
        self._ser = ser
        self._select_on = _selectable(ser)
        ser.timeout = 0 if self._select_on is not None else LOOP_SLICE_S

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except (OSError, serial.SerialException):
                pass

    @property
    def is_open(self) -> bool:
        return self._ser is not None

    @property
    def serial(self) -> serial.SerialBase:
        if self._ser is None:
            raise DeviceDisconnected("port is closed", self.name)
        return self._ser

    # ---- I/O ---------------------------------------------------------------------------
    def read_available(self, deadline: float) -> bytes:
        """Bytes that arrive before `deadline` (time.monotonic()); b'' on timeout.

        Returns as soon as anything is there. Raises `DeviceDisconnected` when the other
        end has gone (EOF, EIO, socket closed).
        """
        ser = self.serial
        try:
            if self._select_on is not None:
                wait = max(0.0, deadline - time.monotonic())
                ready, _, _ = select.select([self._select_on], [], [], wait)
                if not ready:
                    return b""
                data = ser.read(READ_CHUNK)
                if not data:
                    # ready but nothing read: the other end is gone (pty hang-up)
                    self.close()
                    raise PeerClosed("port reports data but none came (other end closed)", self.name)
                return data
            while True:
                data = ser.read(max(1, ser.in_waiting))
                if data or time.monotonic() >= deadline:
                    return data
        except serial.SerialException as exc:
            self.close()
            raise DeviceDisconnected(f"read failed: {exc}", self.name) from None
        except (OSError, ValueError, TypeError) as exc:  # fd closed under us, EIO
            self.close()
            raise DeviceDisconnected(f"read failed: {exc}", self.name) from None

    def write(self, data: bytes) -> None:
        ser = self.serial
        try:
            ser.write(data)
        except serial.SerialTimeoutException:
            raise DeviceTimeout(f"write of {len(data)} bytes timed out", self.name) from None
        except serial.SerialException as exc:
            self.close()
            raise DeviceDisconnected(f"write failed: {exc}", self.name) from None
        except OSError as exc:
            self.close()
            raise DeviceDisconnected(f"write failed: {exc}", self.name) from None

    def set_modem_lines(self, *, dtr: bool | None = None, rts: bool | None = None) -> bool:
        """Set DTR/RTS where the port has them; False (not an error) where it does not (pty)."""
        ser = self.serial
        try:
            if dtr is not None:
                ser.dtr = dtr
            if rts is not None:
                ser.rts = rts
            return True
        except (OSError, serial.SerialException, ValueError, NotImplementedError, AttributeError):
            return False

    def reset_input(self) -> None:
        try:
            self.serial.reset_input_buffer()
        except (OSError, serial.SerialException, NotImplementedError):
            pass


def _supports_exclusive(ser: serial.SerialBase) -> bool:
    # Only the POSIX tty backend implements the flock; URL handlers ignore it or refuse it.
    return hasattr(ser, "fileno") and ser.__class__.__module__.startswith("serial.serialposix")


def _selectable(ser: serial.SerialBase) -> Any:
    """Something `select` can wait on, or None (loop:// and other queue-backed handlers)."""
    fileno = getattr(ser, "fileno", None)
    if fileno is not None:
        try:
            return fileno()
        except (OSError, serial.SerialException, AttributeError, NotImplementedError):
            pass
    sock = getattr(ser, "_socket", None)
    if sock is not None:
        return sock
    return None




class FdPort:
    """The same read/write surface over a raw file descriptor: a pty master, an accepted
    socket. Used by device emulators (the far end of the line), not by flight code."""

    def __init__(self, fd: int, name: str = "fd", *, owner: Any = None) -> None:
        self.fd = fd
        self.name = name
        self._owner = owner  # keeps a socket object alive; closed with the port
        self._open = True

    @property
    def is_open(self) -> bool:
        return self._open

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        try:
            if self._owner is not None:
                self._owner.close()
            else:
                os.close(self.fd)
        except OSError:
            pass

    def read_available(self, deadline: float) -> bytes:
        if not self._open:
            raise DeviceDisconnected("port is closed", self.name)
        try:
            ready, _, _ = select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return b""
            data = os.read(self.fd, READ_CHUNK)
        except OSError as exc:
            self.close()
            if exc.errno == errno.EIO:   # a pty master whose slave side was closed: a normal end
                raise PeerClosed("other end closed", self.name) from None
            raise DeviceDisconnected(f"read failed: {exc}", self.name) from None
        except ValueError as exc:
            self.close()
            raise DeviceDisconnected(f"read failed: {exc}", self.name) from None
        if not data:
            self.close()
            raise PeerClosed("other end closed", self.name)
        return data

    def write(self, data: bytes) -> None:
        if not self._open:
            raise DeviceDisconnected("port is closed", self.name)
        view = memoryview(data)
        try:
            while view:
                n = os.write(self.fd, view)
                view = view[n:]
        except OSError as exc:
            self.close()
            raise DeviceDisconnected(f"write failed: {exc}", self.name) from None


__all__ = ["Port", "PortSettings", "FdPort"]

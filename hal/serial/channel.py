"""A device channel over a serial link: one catalog kind at one address on one line."""
from __future__ import annotations

from typing import Any, Mapping

from hal.catalog import DeviceKind, layout_crc
from hal.errors import DeviceProtocolError
from hal.serial.framing import MsgType
from hal.serial.link import SerialLink
from hal.serial.messages import decode_identity, decode_reading, encode_command, encode_rate
from hal.values import Sample


class SerialChannel:
    """Reads by request (default) or from the device's periodic stream (`stream_hz`)."""

    def __init__(self, link: SerialLink, address: int, kind: DeviceKind, name: str,
                 *, stream_hz: int | None = None) -> None:
        self.link = link
        self.address = address
        self.kind = kind
        self.name = name
        self.stream_hz = stream_hz
        self._streaming = False

    def identify(self) -> None:
        """Check the device at the address is of the configured kind with the same layout."""
        frame = self.link.request(self.address, MsgType.IDENTIFY, device_name=self.name)
        self._expect(frame, MsgType.IDENTITY)
        kind_id, crc = decode_identity(frame.payload, self.name)
        if kind_id != self.kind.kind_id or crc != layout_crc(self.kind):
            raise DeviceProtocolError(
                f"device answers as kind id {kind_id} (layout {crc:#010x}), expected "
                f"{self.kind.name} id {self.kind.kind_id} (layout {layout_crc(self.kind):#010x})", self.name)

    def start_stream(self, rate_hz: int | None = None) -> None:
        rate = int(rate_hz or self.stream_hz or self.kind.rate_hz)
        frame = self.link.request(self.address, MsgType.STREAM, encode_rate(rate), device_name=self.name)
        self._expect(frame, MsgType.ACK)
        self._streaming = True
        self.stream_hz = rate

    def stop_stream(self) -> None:
        frame = self.link.request(self.address, MsgType.STREAM, encode_rate(0), device_name=self.name)
        self._expect(frame, MsgType.ACK)
        self._streaming = False

    def read(self) -> Sample:
        if self.stream_hz:
            if not self._streaming:
                self.start_stream()
            self.link.poll()
            frame = self.link.latest_stream(self.address)
            age = self.link.stream_age_s(self.address)
            if frame is None or age > max(3.0 / self.stream_hz, self.link.timeout_s):
                # nothing yet, or the stream stopped: wait for a fresh one (or time out)
                frame = self.link.wait_stream(self.address, frame.seq if frame else None,
                                              device_name=self.name)
            return decode_reading(self.kind, frame.payload, self.name)
        frame = self.link.request(self.address, MsgType.READ, device_name=self.name)
        self._expect(frame, MsgType.READING)
        return decode_reading(self.kind, frame.payload, self.name)

    def write(self, command: Mapping[str, Any]) -> None:
        payload = encode_command(self.kind, command, self.name)
        frame = self.link.request(self.address, MsgType.COMMAND, payload, device_name=self.name)
        self._expect(frame, MsgType.ACK)

    def close(self) -> None:
        self._streaming = False

    def _expect(self, frame, msg: MsgType) -> None:
        if frame.msg != msg:
            raise DeviceProtocolError(f"expected {msg.name}, got message type {frame.msg}", self.name)


__all__ = ["SerialChannel"]

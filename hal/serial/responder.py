"""The device end of the serial protocol: answers frames from a set of device channels.

Both the small emulators in the tests and the HIL bench emulator use this: give it a
transport (a `Port` or `FdPort`) and a mapping address -> channel (any `hal.channel.Channel`,
for instance simulated channels over the bench plant) and it answers READ, COMMAND, STREAM,
IDENTIFY, and the link-level HELLO and ADVANCE (lockstep clock) messages.

A request repeating the last sequence number seen from that address is answered from a
cache without executing it again (a re-sent pyro FIRE fires once); a request older than
that is out of order and dropped. A channel raising `DeviceTimeout` is silent (the flight
side times out, as with a real dead device); other faults become ERROR frames.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Protocol

from hal.channel import Channel
from hal.errors import DeviceDisconnected, DeviceFault, DeviceProtocolError, DeviceTimeout
from hal.serial.framing import BROADCAST, MAX_PAYLOAD, Frame, FrameDecoder, MsgType, encode_frame, seq_delta
from hal.serial.messages import (
    ErrorCode, decode_command, decode_rate, decode_t_ns, encode_error, encode_identity,
    encode_reading, encode_t_ns,
)

OUT_OF_ORDER_WINDOW = 64  # a request this far behind the last one is stale, not a new session


class Transport(Protocol):
    name: str

    def read_available(self, deadline: float) -> bytes: ...
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


@dataclass
class ResponderStats:
    requests: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    errors_sent: int = 0
    silent: int = 0
    stream_frames: int = 0


class Responder:
    """Serves `channels` (address -> channel) on `transport`.

    `on_advance(t_ns)` steps the bench plant for the lockstep clock and may return the time
    reached (the plant's, when `t_ns` is already past: ADVANCED then tells a resuming flight
    side where the plant is); without it ADVANCE is answered NOT_SUPPORTED. `now` is the clock used to pace streams (wall monotonic).
    """

    def __init__(self, transport: Transport, channels: Mapping[int, Channel], *,
                 on_advance: Callable[[int], int | None] | None = None,
                 now: Callable[[], float] = time.monotonic) -> None:
        self.transport = transport
        self.channels = dict(channels)
        self.on_advance = on_advance
        self.now = now
        self.decoder = FrameDecoder()
        self.stats = ResponderStats()
        self._last: dict[int, tuple[int, bytes | None]] = {}  # address -> (seq, cached reply)
        self._streams: dict[int, tuple[float, float]] = {}    # address -> (period_s, next due)
        self._stream_seq: dict[int, int] = {}

    # ---- loop --------------------------------------------------------------------------
    def step(self, wait_s: float = 0.005) -> None:
        """Answer what arrived within `wait_s`, then send any stream readings that are due.

        Raises DeviceDisconnected when the flight side has gone.
        """
        deadline = self.now() + wait_s
        if self._streams:
            deadline = min(deadline, min(due for _, due in self._streams.values()))
        data = self.transport.read_available(deadline)
        for frame in self.decoder.feed(data) if data else ():
            self.handle(frame)
        self._service_streams()

    def serve_forever(self, stop: threading.Event, wait_s: float = 0.005) -> None:
        """Run `step` until `stop` is set or the other end disconnects."""
        try:
            while not stop.is_set():
                self.step(wait_s)
        except DeviceDisconnected:
            pass

    # ---- requests ----------------------------------------------------------------------
    def handle(self, frame: Frame) -> None:
        self.stats.requests += 1
        last = self._last.get(frame.device)
        if last is not None and frame.msg != MsgType.HELLO:
            d = seq_delta(frame.seq, last[0])
            if d == 0:
                self.stats.duplicates += 1
                if last[1] is not None:
                    self.transport.write(last[1])
                return
            if -OUT_OF_ORDER_WINDOW <= d < 0:
                self.stats.out_of_order += 1
                return
        reply = self._answer(frame)
        wire = encode_frame(Frame(frame.device, reply[0], frame.seq, reply[1])) if reply else None
        self._last[frame.device] = (frame.seq, wire)
        if wire is not None:
            self.transport.write(wire)

    def _answer(self, frame: Frame) -> tuple[int, bytes] | None:
        try:
            if frame.device == BROADCAST:
                return self._link_message(frame)
            channel = self.channels.get(frame.device)
            if channel is None:
                return self._error(ErrorCode.UNKNOWN_DEVICE, f"no device at address {frame.device}")
            reply = self._device_message(frame, channel)
            if reply is not None and len(reply[1]) > MAX_PAYLOAD:
                return self._error(ErrorCode.BAD_PAYLOAD, f"reply of {len(reply[1])} bytes exceeds {MAX_PAYLOAD}")
            return reply
        except DeviceTimeout:
            self.stats.silent += 1
            return None
        except DeviceProtocolError as exc:
            return self._error(ErrorCode.BAD_PAYLOAD, str(exc))
        except DeviceFault as exc:
            return self._error(ErrorCode.DEVICE_FAULT, str(exc))
        except Exception as exc:  # a bug in a bench model must not kill the emulator
            return self._error(ErrorCode.DEVICE_FAULT, f"{type(exc).__name__}: {exc}")

    def _link_message(self, frame: Frame) -> tuple[int, bytes] | None:
        if frame.msg == MsgType.HELLO:
            self._last.clear()
            self._streams.clear()
            return MsgType.ACK, b""
        if frame.msg == MsgType.ADVANCE:
            t_ns = decode_t_ns(frame.payload)
            if self.on_advance is None:
                return self._error(ErrorCode.NOT_SUPPORTED, "this emulator has no plant clock")
            reached = self.on_advance(t_ns)   # may answer a time already past with the plant's
            return MsgType.ADVANCED, encode_t_ns(t_ns if reached is None else int(reached))
        return self._error(ErrorCode.UNKNOWN_MESSAGE, f"message type {frame.msg} not for the link")

    def _device_message(self, frame: Frame, channel: Channel) -> tuple[int, bytes] | None:
        kind = channel.kind
        if frame.msg == MsgType.READ:
            return MsgType.READING, encode_reading(kind, channel.read(), channel.name)
        if frame.msg == MsgType.COMMAND:
            channel.write(decode_command(kind, frame.payload, channel.name))
            return MsgType.ACK, b""
        if frame.msg == MsgType.IDENTIFY:
            return MsgType.IDENTITY, encode_identity(kind)
        if frame.msg == MsgType.STREAM:
            rate = decode_rate(frame.payload)
            if rate == 0:
                self._streams.pop(frame.device, None)
            else:
                self._streams[frame.device] = (1.0 / rate, self.now())
            return MsgType.ACK, b""
        return self._error(ErrorCode.UNKNOWN_MESSAGE, f"message type {frame.msg}")

    def _error(self, code: int, text: str) -> tuple[int, bytes]:
        self.stats.errors_sent += 1
        return MsgType.ERROR, encode_error(code, text)

    # ---- streams -----------------------------------------------------------------------
    def _service_streams(self) -> None:
        now = self.now()
        for address, (period, due) in list(self._streams.items()):
            if now < due:
                continue
            # keep the phase; skip missed slots instead of bursting
            missed = int((now - due) // period)
            self._streams[address] = (period, due + (missed + 1) * period)
            channel = self.channels[address]
            try:
                payload = encode_reading(channel.kind, channel.read(), channel.name)
            except DeviceFault:
                continue
            if len(payload) > MAX_PAYLOAD:
                continue
            seq = (self._stream_seq.get(address, 0) + 1) & 0xFFFF
            self._stream_seq[address] = seq
            self.transport.write(encode_frame(Frame(address, MsgType.STREAM_READING, seq, payload)))
            self.stats.stream_frames += 1


def serve_in_thread(responder: Responder, name: str = "hal-responder") -> tuple[threading.Thread, threading.Event]:
    """Start `responder.serve_forever` in a daemon thread; set the event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=responder.serve_forever, args=(stop,), name=name, daemon=True)
    thread.start()
    return thread, stop


__all__ = ["Responder", "ResponderStats", "Transport", "serve_in_thread"]

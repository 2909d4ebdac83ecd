"""The flight side of a serial link: request/response, streaming, lockstep clock, reconnect.

One `SerialLink` owns one port and may serve several devices (each with an address). It
has no thread: every call reads what is on the line, routes it, and returns by its own
monotonic deadline, so flight code never blocks longer than it asked to.

Sequence numbers: every request carries the next 16-bit sequence number of the link and the
device echoes it in the response, so a response to an older (timed-out) request is
recognised and dropped. Streamed readings carry the device's own stream sequence; a repeat
is a duplicate, an older one is out of order, both are dropped and counted, a jump counts
the frames lost in between.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from hal.errors import DeviceDisconnected, DeviceProtocolError, DeviceReportedFault, DeviceTimeout
from hal.serial.framing import (
    BROADCAST, MAX_PAYLOAD, RESPONSES, SEQ_MOD, Frame, FrameDecoder, MsgType, encode_frame, seq_delta,
)
from hal.serial.messages import decode_error, decode_t_ns, encode_t_ns
from hal.serial.port import Port, PortSettings


@dataclass
class LinkStats:
    requests: int = 0
    retries: int = 0
    timeouts: int = 0
    stale_responses: int = 0   # responses to a request we no longer wait for (dup or late)
    stray_frames: int = 0      # requests or unknown types arriving at the flight side
    stream_frames: int = 0
    stream_duplicates: int = 0
    stream_out_of_order: int = 0
    stream_lost: int = 0
    disconnects: int = 0
    reconnects: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class SerialLink:
    """Flight-side end of one serial line. `timeout_s` is the default per-request deadline."""

    def __init__(self, settings: PortSettings | str, *, name: str | None = None,
                 timeout_s: float = 0.2, retries: int = 1, hello: bool = False,
                 open_now: bool = True) -> None:
        self.settings = PortSettings(settings) if isinstance(settings, str) else settings
        self.name = name or self.settings.url
        self.timeout_s = float(timeout_s)
        self.retries = int(retries)
        self.hello = hello
        self.decoder = FrameDecoder()
        self.stats = LinkStats()
        self._seq = 0
        self._port = Port(self.settings, self.name, open_now=False)
        self._stream_seq: dict[int, int] = {}
        self._stream_latest: dict[int, Frame] = {}
        self._stream_arrival: dict[int, float] = {}
        if open_now:
            self.open()

    # ---- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        self._port.open()
        self.decoder.reset()
        self._stream_seq.clear()
        self._stream_latest.clear()
        self._stream_arrival.clear()
        if self.hello:
            self.request(BROADCAST, MsgType.HELLO)

    def close(self) -> None:
        self._port.close()

    def __enter__(self) -> "SerialLink":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._port.is_open

    def reconnect(self, url: str | None = None, *, timeout_s: float | None = None,
                  retry_interval_s: float = 0.05) -> None:
        """Close and reopen (optionally at a new URL), retrying until `timeout_s` elapses.

        Raises the last `DeviceDisconnected`/`DeviceTimeout` if the port does not come back.
        Sequence numbers continue (the responder's duplicate window stays valid); streams
        must be restarted by the caller.
        """
        self._port.close()
        if url is not None:
            self.settings = PortSettings(url, **{k: v for k, v in vars(self.settings).items() if k != "url"})
            self._port = Port(self.settings, self.name, open_now=False)
        deadline = time.monotonic() + (self.timeout_s * 10 if timeout_s is None else timeout_s)
        while True:
            try:
                self.open()
                self.stats.reconnects += 1
                return
            except (DeviceDisconnected, DeviceTimeout):
                self._port.close()
                if time.monotonic() + retry_interval_s > deadline:
                    raise
                time.sleep(retry_interval_s)

    def set_modem_lines(self, *, dtr: bool | None = None, rts: bool | None = None) -> bool:
        return self._port.set_modem_lines(dtr=dtr, rts=rts)

    # ---- I/O ---------------------------------------------------------------------------
    def send(self, frame: Frame) -> None:
        self._check_open()
        self._port.write(encode_frame(frame))

    def _check_open(self) -> None:
        if not self._port.is_open:
            raise DeviceDisconnected("link is disconnected; call reconnect()", self.name)

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) % SEQ_MOD
        return self._seq

    def _pump(self, deadline: float) -> list[Frame]:
        try:
            data = self._port.read_available(deadline)
        except DeviceDisconnected:
            self.stats.disconnects += 1
            raise
        return self.decoder.feed(data) if data else []

    def _route(self, frame: Frame) -> None:
        """Handle a frame that is not the response being waited for."""
        if frame.msg == MsgType.STREAM_READING:
            self._on_stream(frame)
        elif frame.msg in RESPONSES:
            self.stats.stale_responses += 1
        else:
            self.stats.stray_frames += 1

    def _on_stream(self, frame: Frame) -> None:
        last = self._stream_seq.get(frame.device)
        if last is not None:
            d = seq_delta(frame.seq, last)
            if d == 0:
                self.stats.stream_duplicates += 1
                return
            if d < 0:
                self.stats.stream_out_of_order += 1
                return
            self.stats.stream_lost += d - 1
        self._stream_seq[frame.device] = frame.seq
        self._stream_latest[frame.device] = frame
        self._stream_arrival[frame.device] = time.monotonic()
        self.stats.stream_frames += 1

    def request(self, device: int, msg: int, payload: bytes = b"", *,
                timeout_s: float | None = None, retries: int | None = None,
                device_name: str | None = None) -> Frame:
        """Send a request and return its response frame (never an ERROR frame).

        The same frame (same sequence number) is re-sent on timeout up to `retries` times;
        the responder answers a repeat from its cache, so a command is never executed twice.
        Raises DeviceTimeout, DeviceDisconnected or DeviceReportedFault.
        """
        self._check_open()
        who = device_name or f"{self.name}#{device}"
        if len(payload) > MAX_PAYLOAD:
            raise DeviceProtocolError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}", who)
        seq = self._next_seq()
        wire = encode_frame(Frame(device, msg, seq, payload))
        timeout = self.timeout_s if timeout_s is None else timeout_s
        attempts = 1 + (self.retries if retries is None else retries)
        self.stats.requests += 1
        for attempt in range(attempts):
            if attempt:
                self.stats.retries += 1
            self._port.write(wire)
            deadline = time.monotonic() + timeout
            while True:
                for frame in self._pump(deadline):
                    if frame.device == device and frame.seq == seq and frame.msg in RESPONSES:
                        return self._checked(frame, who)
                    self._route(frame)
                if time.monotonic() >= deadline:
                    break
        self.stats.timeouts += 1
        raise DeviceTimeout(f"no response to {_msg_name(msg)} within {timeout:.3f} s "
                            f"({attempts} attempt{'s' if attempts > 1 else ''})", who)

    def _checked(self, frame: Frame, who: str) -> Frame:
        if frame.msg == MsgType.ERROR:
            code, text = decode_error(frame.payload)
            raise DeviceReportedFault(f"device error {code}: {text}", who, code)
        return frame

    def poll(self, wait_s: float = 0.0) -> int:
        """Read what has arrived (waiting up to `wait_s`) and route it; returns frames seen."""
        self._check_open()
        deadline = time.monotonic() + wait_s
        n = 0
        while True:
            frames = self._pump(deadline)
            for frame in frames:
                self._route(frame)
            n += len(frames)
            if not frames or time.monotonic() >= deadline:
                return n

    def latest_stream(self, device: int) -> Frame | None:
        """Most recent in-order STREAM_READING of a device (after `poll`)."""
        return self._stream_latest.get(device)

    def stream_age_s(self, device: int) -> float:
        """Seconds since the latest in-order streamed reading of a device arrived (inf: none)."""
        t = self._stream_arrival.get(device)
        return float("inf") if t is None else time.monotonic() - t

    def wait_stream(self, device: int, newer_than_seq: int | None, timeout_s: float | None = None,
                    device_name: str | None = None) -> Frame:
        """Wait for a streamed reading newer than `newer_than_seq` (None: any)."""
        self._check_open()
        deadline = time.monotonic() + (self.timeout_s if timeout_s is None else timeout_s)
        while True:
            frame = self._stream_latest.get(device)
            if frame is not None and (newer_than_seq is None or seq_delta(frame.seq, newer_than_seq) > 0):
                return frame
            for f in self._pump(deadline):
                self._route(f)
            if time.monotonic() >= deadline:
                frame = self._stream_latest.get(device)
                if frame is not None and (newer_than_seq is None or seq_delta(frame.seq, newer_than_seq) > 0):
                    return frame
                raise DeviceTimeout("no streamed reading in time", device_name or f"{self.name}#{device}")

    # ---- lockstep clock ----------------------------------------------------------------
    def advance_to(self, t_ns: int) -> None:
        """Ask the bench to step its plant to `t_ns` and wait for the acknowledgement.

        Makes a link a `Steppable` for the lockstep-over-serial clock in fsw/core.
        """
        frame = self.request(BROADCAST, MsgType.ADVANCE, encode_t_ns(t_ns),
                             device_name=f"{self.name}#clock")
        if frame.msg != MsgType.ADVANCED or decode_t_ns(frame.payload) != t_ns:
            raise DeviceProtocolError(f"clock advance to {t_ns} answered with {frame.msg}", self.name)

    def plant_time(self) -> int:
        """Lockstep: the bench plant's time. An ADVANCE to 0 steps nothing and is answered
        with the time the plant is at (a flight side resuming after a reset asks this)."""
        frame = self.request(BROADCAST, MsgType.ADVANCE, encode_t_ns(0), device_name=f"{self.name}#clock")
        if frame.msg != MsgType.ADVANCED:
            raise DeviceProtocolError(f"clock query answered with {frame.msg}", self.name)
        return decode_t_ns(frame.payload)


def _msg_name(msg: int) -> str:
    try:
        return MsgType(msg).name
    except ValueError:
        return f"message {msg}"


__all__ = ["SerialLink", "LinkStats"]

"""CommandIngest: the flight side of the uplink (cFS CI, F Prime's command dispatcher front).

Each received telecommand is checked in a fixed order, and the first failure decides:
framing/CRC -> key id -> MAC -> anti-replay window -> opcode and argument bytes -> dispatch.
A rejection increments its counter channel, emits its event and is acknowledged with its
AckStatus; nothing executes. A packet whose MAC verifies consumes its sequence number even if
its command is then refused, so the same signed bytes never run twice. Input never raises.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Protocol

from fsw.core.component import Component
from fsw.core.declarations import Channel
from fsw.core.events import EventDef, Severity

from .auth import DEFAULT_WINDOW, ReplayWindow, Verdict
from .dictionary import VehicleSpec, topology_spec
from .errors import DecodeError
from .telecommand import decode_command, parse_header, verify
from .telemetry import AckStatus


@dataclass(frozen=True)
class Ack:
    t_ns: int
    key_id: int
    cmd_seq: int
    status: AckStatus
    reason: str = ""
    target: str = ""


class Uplink(Protocol):
    def receive(self) -> list[bytes]:
        """Every packet that arrived since the last call, without blocking."""
        ...


_COUNTER = {AckStatus.OK: "accepted", AckStatus.REJECTED: "rejected_command",
            AckStatus.FAILED: "failed", AckStatus.BAD_FORMAT: "rejected_format",
            AckStatus.UNKNOWN_KEY: "rejected_key", AckStatus.BAD_MAC: "rejected_auth",
            AckStatus.STALE: "rejected_stale", AckStatus.REPLAY: "rejected_replay"}


class CommandIngest(Component):
    CHANNELS = (Channel("received", int, "packets"),
                *(Channel(n, int, "packets") for n in _COUNTER.values()),
                Channel("last_key_id", int), Channel("last_seq", int))
    EVENTS = (
        EventDef("TC_BAD_FORMAT", Severity.WARNING_LO, "telecommand rejected: {reason}"),
        EventDef("TC_UNKNOWN_KEY", Severity.WARNING_HI, "unknown key id {key_id} (seq {seq})"),
        EventDef("TC_BAD_MAC", Severity.WARNING_HI, "MAC failed: key id {key_id} seq {seq}"),
        EventDef("TC_STALE", Severity.WARNING_HI,
                 "stale: key id {key_id} seq {seq} behind the window (highest {highest})"),
        EventDef("TC_REPLAY", Severity.WARNING_HI, "replayed: key id {key_id} seq {seq}"),
        EventDef("TC_EXECUTED", Severity.ACTIVITY_LO,
                 "{target} (key id {key_id} seq {seq}): {status} {reason}"),
    )

    def __init__(self, name: str = "link", keys: Mapping[int, bytes] | None = None, *,
                 window: int = DEFAULT_WINDOW, uplink: Uplink | None = None) -> None:
        super().__init__(name)
        self.keys = dict(keys or {})
        self.window_size = window
        self.windows: dict[int, ReplayWindow] = {}
        self.uplink = uplink
        self.topology: Any = None
        self.vehicle: VehicleSpec | None = None
        self.ack_sinks: list[Callable[[Ack], None]] = []

    def connect(self, topology: Any, vehicle: VehicleSpec | None = None) -> None:
        """Route to `topology`; decode with `vehicle` (default: the topology's own spec)."""
        self.topology = topology
        self.vehicle = vehicle if vehicle is not None else topology_spec(topology)

    def step(self, t_ns: int) -> None:
        if self.uplink is not None:
            for pkt in self.uplink.receive():
                self.process(pkt)

    def process_all(self, packets: Iterable[bytes]) -> list[Ack]:
        return [self.process(p) for p in packets]

    def process(self, pkt: bytes | memoryview) -> Ack:
        """Check, route and acknowledge one telecommand."""
        self.tlm["received"] += 1
        try:
            hdr = parse_header(pkt)
        except DecodeError as exc:
            return self._done(AckStatus.BAD_FORMAT, 0, 0, str(exc), "TC_BAD_FORMAT", reason=str(exc))
        kid, seq = hdr.key_id, hdr.auth_seq
        key = self.keys.get(kid)
        if key is None:
            return self._done(AckStatus.UNKNOWN_KEY, kid, seq, "unknown key id", "TC_UNKNOWN_KEY",
                              key_id=kid, seq=seq)
        if not verify(pkt, key):
            return self._done(AckStatus.BAD_MAC, kid, seq, "MAC does not verify", "TC_BAD_MAC",
                              key_id=kid, seq=seq)
        window = self.windows.get(kid)
        if window is None:
            window = self.windows[kid] = ReplayWindow(self.window_size)
        verdict = window.accept(seq)
        if verdict is Verdict.STALE:
            return self._done(AckStatus.STALE, kid, seq, "behind the anti-replay window",
                              "TC_STALE", key_id=kid, seq=seq, highest=window.highest)
        if verdict is Verdict.REPLAY:
            return self._done(AckStatus.REPLAY, kid, seq, "sequence number already used",
                              "TC_REPLAY", key_id=kid, seq=seq)
        if self.vehicle is None or self.topology is None:
            return self._done(AckStatus.BAD_FORMAT, kid, seq, "link not connected",
                              "TC_BAD_FORMAT", reason="link not connected to a topology")
        try:
            tc = decode_command(self.vehicle, hdr, pkt)
        except DecodeError as exc:
            return self._done(AckStatus.BAD_FORMAT, kid, seq, str(exc), "TC_BAD_FORMAT",
                              reason=f"key id {kid} seq {seq}: {exc}")
        try:
            result = self.topology.dispatch(tc.target, tc.args)
            status, reason = AckStatus.of(result.status), result.reason
        except Exception as exc:  # a handler bug must not take the loop down
            status, reason = AckStatus.FAILED, f"handler error: {exc!r}"
        self.tlm["last_key_id"] = kid
        self.tlm["last_seq"] = seq if seq < 1 << 63 else seq - (1 << 64)  # u64 seen as i64
        return self._done(status, kid, seq, reason, "TC_EXECUTED", tc.target,
                          key_id=kid, seq=seq, status=status.name, reason=reason)

    def _done(self, status: AckStatus, kid: int, seq: int, reason: str, event: str,
              target: str = "", /, **args: Any) -> Ack:
        self.tlm[_COUNTER[status]] += 1
        self.emit(event, **({"target": target} if target else {}), **args)
        ack = Ack(self.time.now_ns, kid, seq, status, reason, target)
        for sink in self.ack_sinks:
            sink(ack)
        return ack

    def checkpoint_state(self) -> dict[str, Any]:
        """Anti-replay windows must survive a reset, or a recorded command could be replayed."""
        return super().checkpoint_state() | {
            "windows": {k: w.state() for k, w in sorted(self.windows.items())}}

    def restore_windows(self, state: Mapping[int, Mapping[str, int]]) -> None:
        self.windows = {int(k): ReplayWindow(int(v["size"]), int(v["highest"]), int(v["seen"]))
                        for k, v in state.items()}


GROUND_HEARD = frozenset({AckStatus.OK, AckStatus.REJECTED, AckStatus.FAILED})


def feed_link_watch(ingest: CommandIngest, watch: Any) -> None:
    """Count every telecommand whose MAC verified with a fresh sequence number as ground
    contact for `watch` (a `fsw.core.linkwatch.LinkWatch`), even one the vehicle then
    refuses: the ground is there. A forged, garbled or replayed packet is not contact."""
    def on_ack(ack: Ack) -> None:
        if ack.status in GROUND_HEARD:
            watch.heard()
    ingest.ack_sinks.append(on_ack)

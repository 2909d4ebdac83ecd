"""CommandIngest: the flight side of the uplink (cFS CI, F Prime's command dispatcher front).

Each received telecommand is checked in a fixed order, and the first failure decides:
framing/CRC -> key id -> MAC -> anti-replay window -> opcode and argument bytes -> dispatch.
Nothing executes unless every check passes. A packet whose MAC verifies consumes its
sequence number even if its command is then refused, so the same signed bytes never run
twice. Input never raises.

What an unauthenticated sender learns is nothing: a packet that fails before its MAC
verifies (bad framing, unknown key id, bad MAC) is counted and, rate-limited, reported as an
event in the downlink, but never acknowledged, so an unknown key id and a bad MAC look the
same on the wire and junk cannot be amplified into replies. The cost of junk is bounded per
tick: at most `drain_per_tick` packets are read and screened (length, header, CRC, key id:
no HMAC), and at most `verify_per_tick` of the survivors get an HMAC, the ground's own
address first, so a flood of forgeries cannot push the ground's command out. Counts only,
so SIL stays deterministic; in real time `server.TickSlice` also ends the drain when its
share of the tick is used, so the loop keeps its deadlines.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Protocol

from fsw.core.component import Component
from fsw.core.declarations import Channel
from fsw.core.events import EventDef, Severity

from .auth import DEFAULT_WINDOW, MacKey, ReplayWindow, Verdict
from .dictionary import VehicleSpec, topology_spec
from .errors import DecodeError
from .keyload import KEY_EVENTS, ROTATE, KeyManagement
from .rejections import RejectionReport
from .telecommand import (TcHeader, decode_command, format_problem, header_of, quick_check,
                          verify)
from .telemetry import AckStatus

DRAIN_PER_TICK = 2048    # datagrams read and screened per tick (about 100,000/s at 50 Hz)
VERIFY_PER_TICK = 512    # HMACs computed per tick
POLL_CHUNK = 256


@dataclass(frozen=True)
class Ack:
    t_ns: int
    key_id: int
    cmd_seq: int
    status: AckStatus
    reason: str = ""
    target: str = ""
    reply_to: Any = None  # where a stale or replayed (authentic) packet came from


class Uplink(Protocol):
    peer: Any

    def poll(self, budget: int) -> list[tuple[bytes, Any]]:
        """At most `budget` (packet, source) pairs that arrived, without blocking."""
        ...

    def verified(self, source: Any) -> None:
        """A fresh authenticated telecommand came from `source`."""
        ...


_COUNTER = {AckStatus.OK: "accepted", AckStatus.REJECTED: "rejected_command",
            AckStatus.FAILED: "failed", AckStatus.BAD_FORMAT: "rejected_format",
            AckStatus.UNKNOWN_KEY: "rejected_key", AckStatus.BAD_MAC: "rejected_auth",
            AckStatus.STALE: "rejected_stale", AckStatus.REPLAY: "rejected_replay"}
_KIND = {AckStatus.BAD_FORMAT: "format", AckStatus.UNKNOWN_KEY: "key",
         AckStatus.BAD_MAC: "auth", AckStatus.STALE: "stale", AckStatus.REPLAY: "replay"}
_BAD_FORMAT = object()  # what _screen returns for a packet that failed the framing checks


class CommandIngest(KeyManagement, Component):
    CHANNELS = (Channel("received", int, "packets"),
                *(Channel(n, int, "packets") for n in _COUNTER.values()),
                Channel("last_key_id", int), Channel("last_seq", int),
                Channel("shed", int, "packets", "screened but not verified: over the budget"),
                Channel("events_suppressed", int, "events", "rejections reported only in sum"),
                Channel("log_write_errors", int, "writes"),
                Channel("sink_errors", int, "calls", "events or acks a sink failed to take"))
    EVENTS = (
        EventDef("TC_BAD_FORMAT", Severity.WARNING_LO, "telecommand rejected: {reason}", reason=str),
        EventDef("TC_UNKNOWN_KEY", Severity.WARNING_HI, "unknown key id {key_id} (seq {seq})", key_id=int, seq=int),
        EventDef("TC_BAD_MAC", Severity.WARNING_HI, "MAC failed: key id {key_id} seq {seq}", key_id=int, seq=int),
        EventDef("TC_STALE", Severity.WARNING_HI,
                 "stale: key id {key_id} seq {seq} behind the window (highest {highest})", key_id=int, seq=int, highest=int),
        EventDef("TC_REPLAY", Severity.WARNING_HI, "replayed: key id {key_id} seq {seq}", key_id=int, seq=int),
        EventDef("TC_EXECUTED", Severity.ACTIVITY_LO,
                 "{target} (key id {key_id} seq {seq}): {status} {reason}", target=str, key_id=int, seq=int, status=str, reason=str),
        EventDef("TC_OVER_BUDGET", Severity.WARNING_HI,
                 "{count} telecommands not verified this tick (budget {budget} per tick)", count=int, budget=int),
        EventDef("TC_REJECTIONS_SUPPRESSED", Severity.WARNING_HI,
                 "{count} more rejected: format {format}, unknown key {key}, bad MAC {auth}, "
                 "stale {stale}, replay {replay}, over budget {shed}", count=int, format=int, key=int, auth=int, stale=int, replay=int, shed=int),
        *KEY_EVENTS,
        EventDef("TM_LOG_FAILED", Severity.WARNING_HI,
                 "telemetry log write failed ({error}); commanding goes on, further failures "
                 "only counted", error=str),
    )

    def __init__(self, name: str = "link", keys: Mapping[int, bytes] | None = None, *,
                 window: int = DEFAULT_WINDOW, uplink: Uplink | None = None,
                 master_keys: Mapping[int, bytes] | None = None,
                 drain_per_tick: int = DRAIN_PER_TICK, verify_per_tick: int = VERIFY_PER_TICK,
                 report: RejectionReport | None = None) -> None:
        super().__init__(name)
        self.keys = dict(keys or {})
        self.master_keys = dict(master_keys or {})
        self._macs = {k: MacKey(v) for k, v in (self.keys | self.master_keys).items()}
        self.generations: dict[int, tuple[int, int]] = {}  # key id -> (generation, master id)
        self.window_size = window
        self.windows: dict[int, ReplayWindow] = {}
        self.uplink = uplink
        self.drain_per_tick = drain_per_tick
        self.verify_per_tick = verify_per_tick
        self.report = report or RejectionReport()
        self.topology: Any = None
        self.vehicle: VehicleSpec | None = None
        self.ack_sinks: list[Callable[[Ack], None]] = []
        self._signed_by: int | None = None

    def connect(self, topology: Any, vehicle: VehicleSpec | None = None) -> None:
        """Route to `topology`; decode with `vehicle` (default: the topology's own spec)."""
        self.topology = topology
        self.vehicle = vehicle if vehicle is not None else topology_spec(topology)

    # ------------------------------------------------------------ the uplink, per tick
    def step(self, t_ns: int) -> None:
        self._roll_report()
        if self.uplink is None:
            return
        candidates: list[tuple[bytes, TcHeader, Any]] = []
        left = self.drain_per_tick
        while left > 0:  # in chunks, so a transport may end the drain early (server.py)
            batch = self.uplink.poll(min(left, POLL_CHUNK))
            if not batch:
                break
            left -= len(batch)
            self._screen_all(batch, candidates)
        self._verify_all(candidates)

    def ingest(self, batch: Iterable[tuple[bytes, Any]]) -> list[Ack]:
        """Screen every packet of one poll, verify at most `verify_per_tick` of the rest
        (those from the current peer first) and act on them. Returns the Acks of the packets
        that authenticated; the others are only counted (and reported, rate-limited)."""
        candidates: list[tuple[bytes, TcHeader, Any]] = []
        self._screen_all(batch, candidates)
        return self._verify_all(candidates)

    def _screen_all(self, batch: Iterable[tuple[bytes, Any]],
                    candidates: list[tuple[bytes, TcHeader, Any]]) -> None:
        screen = self._screen
        for pkt, source in batch:
            hdr = screen(pkt)
            if hdr.__class__ is TcHeader:
                candidates.append((pkt, hdr, source))

    def _verify_all(self, candidates: list[tuple[bytes, TcHeader, Any]]) -> list[Ack]:
        budget = self.verify_per_tick
        if len(candidates) > budget:
            peer = getattr(self.uplink, "peer", None)
            candidates.sort(key=lambda c: c[2] != peer)  # stable: the peer's first, in order
            over = len(candidates) - budget
            del candidates[budget:]
            self.tlm["shed"] += over
            if self.report.allow("shed", over):
                self._emit("TC_OVER_BUDGET", count=over, budget=budget)
            else:
                self.tlm["events_suppressed"] += 1
        acks: list[Ack] = []
        for pkt, hdr, source in candidates:
            try:
                ack = self._authenticate(pkt, hdr, source)
            except Exception:  # a sink's bug must not drop the rest of the poll
                self.tlm["sink_errors"] += 1
                continue
            if ack is not None:
                acks.append(ack)
        return acks

    def process_all(self, packets: Iterable[bytes]) -> list[Ack]:
        return [self.process(p) for p in packets]

    def process(self, pkt: bytes | memoryview, source: Any = None) -> Ack:
        """Check, route and acknowledge one telecommand (no budget: a direct call). The Ack
        of a packet that failed before its MAC verified is returned, never sent."""
        self._roll_report()
        hdr = self._screen(pkt)
        if hdr is _BAD_FORMAT:
            return Ack(self.time.now_ns, 0, 0, AckStatus.BAD_FORMAT, format_problem(pkt))
        if hdr.__class__ is not TcHeader:
            return Ack(self.time.now_ns, hdr[0], hdr[1], AckStatus.UNKNOWN_KEY, "unknown key id")
        ack = self._authenticate(pkt, hdr, source)
        return ack if ack is not None else Ack(self.time.now_ns, hdr.key_id, hdr.auth_seq,
                                               AckStatus.BAD_MAC, "MAC does not verify")

    # ------------------------------------------------------------ checks
    def _screen(self, pkt: bytes | memoryview) -> Any:
        """The cheap checks, before any HMAC: framing, CRC, key id. Returns the TcHeader,
        or a marker of the rejection (counted and reported here)."""
        self.tlm["received"] += 1
        if not quick_check(pkt):
            self.tlm["rejected_format"] += 1
            if self.report.allow("format"):
                self._emit("TC_BAD_FORMAT", reason=format_problem(pkt))
            else:
                self.tlm["events_suppressed"] += 1
            return _BAD_FORMAT
        hdr = header_of(pkt)
        kid = hdr.key_id
        if kid not in self._macs:
            self.tlm["rejected_key"] += 1
            self._report("key", "TC_UNKNOWN_KEY", {"key_id": kid, "seq": hdr.auth_seq})
            return (kid, hdr.auth_seq)
        return hdr

    def _authenticate(self, pkt: bytes | memoryview, hdr: TcHeader, source: Any) -> Ack | None:
        """MAC, then the anti-replay window, then the command. None: the MAC failed."""
        kid, seq = hdr.key_id, hdr.auth_seq
        if not verify(pkt, self._macs[kid]):
            self.tlm["rejected_auth"] += 1
            self._report("auth", "TC_BAD_MAC", {"key_id": kid, "seq": seq})
            return None
        window = self.windows.get(kid)
        if window is None:
            window = self.windows[kid] = ReplayWindow(self.window_size)
        verdict = window.accept(seq)
        if verdict is Verdict.STALE:
            return self._not_fresh(AckStatus.STALE, kid, seq, source,
                                   f"behind the anti-replay window (highest {window.highest})",
                                   "TC_STALE", highest=window.highest)
        if verdict is Verdict.REPLAY:
            return self._not_fresh(AckStatus.REPLAY, kid, seq, source,
                                   "sequence number already used", "TC_REPLAY")
        if self.uplink is not None:
            self.uplink.verified(source)
        return self._run(pkt, hdr)

    def _run(self, pkt: bytes | memoryview, hdr: TcHeader) -> Ack:
        kid, seq = hdr.key_id, hdr.auth_seq
        if self.vehicle is None or self.topology is None:
            return self._done(AckStatus.BAD_FORMAT, kid, seq, "link not connected",
                              "TC_BAD_FORMAT", reason="link not connected to a topology")
        try:
            tc = decode_command(self.vehicle, hdr, pkt)
        except DecodeError as exc:
            return self._done(AckStatus.BAD_FORMAT, kid, seq, str(exc), "TC_BAD_FORMAT",
                              reason=f"key id {kid} seq {seq}: {exc}")
        if (kid in self.master_keys) != (tc.target == f"{self.name}.{ROTATE}"):
            status, reason = AckStatus.REJECTED, (
                f"master key {kid} signs only {self.name}.{ROTATE}" if kid in self.master_keys
                else f"{self.name}.{ROTATE} must be signed with a master key")
        else:
            self._signed_by = kid
            try:
                result = self.topology.dispatch(tc.target, tc.args)
                status, reason = AckStatus.of(result.status), result.reason
            except Exception as exc:  # a handler bug must not take the loop down
                status, reason = AckStatus.FAILED, f"handler error: {exc!r}"
            finally:
                self._signed_by = None
        self.tlm["last_key_id"] = kid
        self.tlm["last_seq"] = seq if seq < 1 << 63 else seq - (1 << 64)  # u64 seen as i64
        return self._done(status, kid, seq, reason, "TC_EXECUTED", tc.target,
                          key_id=kid, seq=seq, status=status.name, reason=reason)

    # ------------------------------------------------------------ outcomes
    def _not_fresh(self, status: AckStatus, kid: int, seq: int, source: Any, reason: str,
                   event: str, /, **args: Any) -> Ack:
        """Authentic but stale or replayed: acknowledged to its sender (it may be the ground
        retrying), rate-limited with its event; it never moves the downlink."""
        self.tlm[_COUNTER[status]] += 1
        ack = Ack(self.time.now_ns, kid, seq, status, reason, reply_to=source)
        if self._report(_KIND[status], event, dict(key_id=kid, seq=seq, **args)):
            self._to_sinks(ack)
        return ack

    def _done(self, status: AckStatus, kid: int, seq: int, reason: str, event: str,
              target: str = "", /, **args: Any) -> Ack:
        """Authenticated and fresh: always an event and an acknowledgement."""
        self.tlm[_COUNTER[status]] += 1
        self._emit(event, **({"target": target} if target else {}), **args)
        ack = Ack(self.time.now_ns, kid, seq, status, reason, target)
        self._to_sinks(ack)
        return ack

    def _report(self, kind: str, event: str, args: Mapping[str, Any]) -> bool:
        if self.report.allow(kind):
            self._emit(event, **args)
            return True
        self.tlm["events_suppressed"] += 1
        return False

    def _roll_report(self) -> None:
        left = self.report.roll(self.time.now_ns)
        if left is not None:
            self._emit("TC_REJECTIONS_SUPPRESSED", count=sum(left.values()), **left)

    def _emit(self, event: str, **args: Any) -> None:
        try:
            self.emit(event, **args)
        except Exception:  # a telemetry sink that fails must not stop commanding
            self.tlm["sink_errors"] += 1

    def _to_sinks(self, ack: Ack) -> None:
        for sink in self.ack_sinks:
            try:
                sink(ack)
            except Exception:  # one failing sink must not silence the others
                self.tlm["sink_errors"] += 1

    def note_log_failure(self, exc: BaseException) -> None:
        """A telemetry log write failed (full disk, I/O error): count it, say so once."""
        self.tlm["log_write_errors"] += 1
        if self.tlm["log_write_errors"] == 1:
            self._emit("TM_LOG_FAILED", error=f"{type(exc).__name__}: {exc}")

GROUND_HEARD = frozenset({AckStatus.OK, AckStatus.REJECTED, AckStatus.FAILED})


def feed_link_watch(ingest: CommandIngest, watch: Any) -> None:
    """Count every telecommand whose MAC verified with a fresh sequence number as ground
    contact for `watch` (a `fsw.core.linkwatch.LinkWatch`), even one the vehicle then
    refuses: the ground is there. A forged, garbled or replayed packet is not contact."""
    def on_ack(ack: Ack) -> None:
        if ack.status in GROUND_HEARD:
            watch.heard()
    ingest.ack_sinks.append(on_ack)

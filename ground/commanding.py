"""Commanding from the console: sign with a key file, send over the live link, match acks.

The key never leaves this process (the browser sends a target and arguments; the bridge
signs). Sequence numbers are the wall clock in ns, kept strictly increasing within the
process, as `msr gds send` does. Each command gets a history entry that its acknowledgement
(matched on key id and sequence number) completes.
"""
from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping

from fsw.link.dictionary import VehicleSpec
from fsw.link.errors import EncodeError
from fsw.link.seqcounter import SequenceCounter, SequenceError
from fsw.link.telecommand import TelecommandEncoder


@dataclass
class CommandRecord:
    id: int
    target: str
    args: dict[str, Any]
    key_id: int
    seq: int
    sent_wall_ns: int
    status: str = "SENT"          # then the AckStatus name of its ack
    reason: str = ""
    ack_t_ns: int | None = None   # spacecraft time of the ack
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["seq"] = str(self.seq)  # u64: beyond a JavaScript number's exact integers
        return d


class Commander:
    """Signs and sends commands for one vehicle; `send` is the transport's send(bytes)."""

    def __init__(self, vehicle: VehicleSpec, keys: Mapping[int, bytes], key_id: int,
                 send: Callable[[bytes], Any], *, counter: SequenceCounter | None = None) -> None:
        if key_id not in keys:
            raise EncodeError(f"key id {key_id} is not in the key file (has {sorted(keys)})")
        self.encoder = TelecommandEncoder(vehicle, keys)
        self.vehicle = vehicle
        self.key_id = key_id
        self._send = send
        self._key = keys[key_id]
        self._counter = counter   # the ground's persisted per-key counter (msr gds send's)
        self._last_seq = 0
        self._ids = itertools.count(1)
        self.history: list[CommandRecord] = []
        self._pending: dict[tuple[int, int], CommandRecord] = {}

    def next_seq(self) -> int:
        """The persisted counter's next number (shared with `msr gds send`, so neither can
        replay the other's); without one (tests, a throwaway key), one more than the last."""
        if self._counter is not None:
            try:
                self._last_seq = self._counter.reserve(self.key_id, self._key)
            except SequenceError as exc:   # locked, damaged or used up: refuse this command
                raise EncodeError(str(exc)) from None
        else:
            self._last_seq += 1
        return self._last_seq

    def send(self, target: str, args: Mapping[str, Any] | None) -> CommandRecord:
        """Validate, sign and send; EncodeError (one clear line) if the dictionary refuses."""
        if not isinstance(target, str):
            raise EncodeError("target must be a string like component.COMMAND")
        if args is not None and not isinstance(args, Mapping):
            raise EncodeError("args must be an object of name: value")
        seq = self.next_seq()
        pkt = self.encoder.encode(target, args, key_id=self.key_id, auth_seq=seq)
        rec = CommandRecord(next(self._ids), target, dict(args or {}), self.key_id, seq,
                            time.time_ns())
        self._send(pkt)
        self.history.append(rec)
        self._pending[(self.key_id, seq)] = rec
        return rec

    def on_ack(self, key_id: int, cmd_seq: int, status: str, reason: str,
               t_ns: int) -> CommandRecord | None:
        """Complete the command this ack answers (None: not one of ours)."""
        rec = self._pending.pop((key_id, cmd_seq), None)
        if rec is not None:
            rec.status, rec.reason, rec.ack_t_ns = status, reason, t_ns
        return rec

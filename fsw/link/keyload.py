"""Key management of the CommandIngest: rotation of session keys under a master key, and
the part of a warm restart that keys and anti-replay windows need.

A session key whose sequence numbers are burnt (a `--seq 2**64-1`, a clock that ran ahead)
can never command again: every number is behind its window. `ROTATE_KEY key_id generation`,
signed with a master key (a key-management key the ingest accepts for this command only),
replaces it by `derive_key(master, key_id, generation)` on board; the ground derives the
same key, so no key material crosses the link (see docs/link.md for why). A generation only
goes up; the same generation again is acknowledged and changes nothing, so a rotation whose
ack was lost can be retried.
"""
from __future__ import annotations

from typing import Any, Mapping

from fsw.core.component import CommandError, command
from fsw.core.declarations import Arg
from fsw.core.events import EventDef, Severity

from .auth import MacKey, ReplayWindow, derive_key
from .keys import MAX_GENERATION

ROTATE = "ROTATE_KEY"
MAX_WINDOW = 4096  # anti-replay window sizes a checkpoint may restore
KEY_EVENTS = (EventDef("KEY_ROTATED", Severity.ACTIVITY_HI,
                       "key id {key_id} is now generation {generation} (master key {master_id})", key_id=int, generation=int, master_id=int),)


class KeyManagement:
    """Mixin of CommandIngest (which owns keys, master_keys, generations, windows, _macs
    and _signed_by, the id of the key that signed the command being dispatched)."""

    keys: dict[int, bytes]
    master_keys: dict[int, bytes]
    generations: dict[int, tuple[int, int]]
    windows: dict[int, ReplayWindow]
    _macs: dict[int, MacKey]
    _signed_by: int | None

    @command(ROTATE, Arg("key_id", int, 0, 0xFFFF), Arg("generation", int, 1, MAX_GENERATION),
             doc="Replace a session key by its next generation derived from the master key "
                 "that signs this command (master-key-signed only)")
    def _cmd_rotate_key(self, key_id: int, generation: int) -> None:
        master_id = self._signed_by
        if master_id is None or master_id not in self.master_keys:
            raise CommandError(f"{ROTATE} must arrive signed with a master key")
        if key_id in self.master_keys:
            raise CommandError(f"key id {key_id} is a master key: not rotated over the link")
        current = self.generations.get(key_id, (0, master_id))[0]
        if generation < current:
            raise CommandError(f"key id {key_id} is already at generation {current}")
        if generation == current:
            return  # a retry of a rotation that was done: nothing to change
        self._install(key_id, generation, master_id)
        self.emit("KEY_ROTATED", key_id=key_id, generation=generation, master_id=master_id)

    def _install(self, key_id: int, generation: int, master_id: int) -> None:
        self.keys[key_id] = derive_key(self.master_keys[master_id], key_id, generation)
        self._macs[key_id] = MacKey(self.keys[key_id])
        self.generations[key_id] = (generation, master_id)
        self.windows.pop(key_id, None)  # a new key starts a new sequence space

    def checkpoint_state(self) -> dict[str, Any]:
        """Anti-replay windows must survive a reset, or a recorded command could be replayed;
        rotated keys too, or the vehicle would fall back to a key the ground gave up."""
        return super().checkpoint_state() | {
            "windows": {k: w.state() for k, w in sorted(self.windows.items())},
            "generations": {k: {"generation": g, "master": m}
                            for k, (g, m) in sorted(self.generations.items())}}

    def restore_state(self, state: Mapping[str, Any]) -> None:
        super().restore_state(state)
        self.restore_keys(state.get("generations", {}))
        self.restore_windows(state.get("windows", {}))

    def restore_keys(self, state: Mapping[Any, Mapping[str, int]]) -> None:
        """Re-derive rotated keys; an entry that does not fit is skipped, never trusted."""
        for k, v in state.items():
            try:
                kid, gen, master = int(k), int(v["generation"]), int(v["master"])
            except (TypeError, ValueError, KeyError, OverflowError):
                continue
            if master in self.master_keys and 0 < gen <= MAX_GENERATION and 0 <= kid <= 0xFFFF \
                    and kid not in self.master_keys:
                self._install(kid, gen, master)

    def restore_windows(self, state: Mapping[Any, Mapping[str, int]]) -> None:
        """Windows back from a checkpoint; an entry out of range is skipped, never trusted."""
        windows = {}
        for k, v in state.items():
            try:
                size, highest, seen = int(v["size"]), int(v["highest"]), int(v["seen"])
                kid = int(k)
            except (TypeError, ValueError, KeyError, OverflowError):
                continue
            if 1 <= size <= MAX_WINDOW and 0 <= highest < 1 << 64 and 0 <= seen < 1 << size:
                windows[kid] = ReplayWindow(size, highest, seen)
        self.windows = windows

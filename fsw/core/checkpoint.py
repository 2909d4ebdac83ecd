"""Warm-restart checkpoints: the state that must survive a processor reset.

A checkpoint is canonical JSON with a SHA-256 of its body. On a board (`CheckpointStore`) it
is written atomically: write to a temporary file, fsync it, rename over the old one, fsync
the directory. The previous good checkpoint is kept as `<name>.prev`, so a reset in the
middle of a save (or a corrupted file) falls back to the last whole one instead of losing
custody or counters. In SIL `MemoryCheckpointStore` keeps the same bytes in memory.
The in-memory store checks every save whole but makes the text of what changed since its
last save only when a copy is read (`fsw.core.canonical`); the bytes are those of one
`json.dumps` of the whole either way.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from .canonical import CanonicalEncoder, Deferred, text

MAGIC = "msr-checkpoint-1"


class CheckpointError(Exception):
    """No valid checkpoint could be read (both copies missing or corrupt)."""


def _encode(state: dict[str, Any], generation: int) -> bytes:
    """Canonical JSON of {"generation", "state"} under its SHA-256."""
    return _frame(text(state), generation)


def _frame(state_text: str, generation: int) -> bytes:
    body = '{"generation":%s,"state":%s}' % (text(generation), state_text)
    digest = hashlib.sha256(body.encode()).hexdigest()
    return f"{MAGIC} {digest}\n{body}\n".encode()


class _Pending:
    """A checkpoint kept in memory: checked when saved, its bytes made when first read."""

    __slots__ = ("state", "generation", "_data")

    def __init__(self, state: Deferred, generation: int) -> None:
        self.state, self.generation, self._data = state, generation, None

    def data(self) -> bytes:
        if self._data is None:
            self._data = _frame(self.state.text(), self.generation)
            self.state = None
        return self._data


def _decode(data: bytes, path: Path) -> tuple[int, dict[str, Any]]:
    try:
        head, body, tail = data.decode().split("\n")
        magic, digest = head.split(" ")
    except (UnicodeDecodeError, ValueError):
        raise CheckpointError(f"{path}: not a checkpoint (bad framing)") from None
    if magic != MAGIC or tail != "":
        raise CheckpointError(f"{path}: not a checkpoint (bad magic)")
    if hashlib.sha256(body.encode()).hexdigest() != digest:
        raise CheckpointError(f"{path}: checksum mismatch (torn or corrupted write)")
    # SHA-256 proves the write was whole, not who wrote it: a crafted body must still be
    # refused cleanly (nesting beyond the parser's recursion, 1e400, a generation that is no int).
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else "not JSON"
        raise CheckpointError(f"{path}: checksum ok but content unreadable ({reason})") from None
    if not isinstance(obj, dict) or set(obj) != {"generation", "state"}:
        raise CheckpointError(f"{path}: checksum ok but not a checkpoint body")
    generation, state = obj["generation"], obj["state"]
    if isinstance(generation, bool) or not isinstance(generation, int) or not 0 <= generation < 2**63:
        raise CheckpointError(f"{path}: generation {str(generation)[:40]} is not a 64-bit count")
    if not isinstance(state, dict):
        raise CheckpointError(f"{path}: state is not a table")
    return generation, state


class _Store:
    """What both stores share: generations, the serialisation, loading the newer valid copy."""

    path: Path

    def __init__(self) -> None:
        self.generation = 0
        self.saves = 0

    def save(self, state: dict[str, Any]) -> int:
        """Keep `state` (serialised, checksummed); returns its generation number. What JSON
        refuses in it raises here (ValueError, TypeError), whichever the store."""
        self.generation += 1
        self._keep(state, self.generation)
        self.saves += 1
        return self.generation

    def _keep(self, state: dict[str, Any], generation: int) -> None:
        # a board's store encodes the whole every time: its fsyncs cost far more, and where most
        # of the state moves at every save (the ERO's capture) reuse would cost more than it saves
        self._write(_encode(state, generation))

    def load(self) -> dict[str, Any]:
        """The newest valid checkpoint; falls back to the previous one; CheckpointError if none."""
        errors: list[str] = []
        best: tuple[int, dict[str, Any]] | None = None
        for label, read in self._copies():
            try:
                got = _decode(read(), label)
            except FileNotFoundError:
                errors.append(f"{label}: missing")
                continue
            except CheckpointError as exc:
                errors.append(str(exc))
                continue
            if best is None or got[0] > best[0]:
                best = got
        if best is None:
            raise CheckpointError("no valid checkpoint: " + "; ".join(errors))
        self.generation = best[0]
        return best[1]

    def _write(self, data: bytes) -> None:
        raise NotImplementedError

    def _copies(self) -> list[tuple[Path, Any]]:
        raise NotImplementedError


class CheckpointStore(_Store):
    """Durable: on a board's flash (atomic replace, fsynced file and directory)."""

    durable = True

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__()
        self.path = Path(path)
        self.prev = self.path.with_name(self.path.name + ".prev")

    def _write(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if self.path.exists():
            os.replace(self.path, self.prev)
        os.replace(tmp, self.path)
        dfd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)

    def _copies(self) -> list[tuple[Path, Any]]:
        return [(p, p.read_bytes) for p in (self.path, self.prev)]

    def exists(self) -> bool:
        return self.path.exists() or self.prev.exists()


class MemoryCheckpointStore(_Store):
    """In RAM, for SIL: the same serialisation and checksum as the durable store (so what is
    checkpointed is exercised), the newest and previous copies kept, no disk, no fsync. A
    processor reset simulated in-process keeps the store object, as flash survives a reset.

    A save is checked whole when it is made (what JSON refuses fails that save), but the text
    of what changed since the last save is made only when the copy is read (`data`,
    `prev_data`, `load`): in SIL that is after a simulated reset, and most saves are never
    read. The bytes are the same whenever they are made (from snapshots taken at the save)."""

    durable = False

    def __init__(self, name: str = "memory:checkpoint.json") -> None:
        super().__init__()
        self.path = Path(name)
        self._encoder = CanonicalEncoder()
        self._newest: bytes | _Pending | None = None
        self._prev: bytes | _Pending | None = None

    @property
    def data(self) -> bytes | None:
        return _bytes(self._newest)

    @data.setter
    def data(self, value: bytes | None) -> None:       # a test's torn or crafted copy
        self._newest = value

    @property
    def prev_data(self) -> bytes | None:
        return _bytes(self._prev)

    @prev_data.setter
    def prev_data(self, value: bytes | None) -> None:
        self._prev = value

    def _keep(self, state: dict[str, Any], generation: int) -> None:
        self._prev, self._newest = self._newest, _Pending(self._encoder.defer(state), generation)

    def _write(self, data: bytes) -> None:
        self._prev, self._newest = self._newest, data

    def _copies(self) -> list[tuple[Path, Any]]:
        def reader(which: str):
            def read() -> bytes:
                data = getattr(self, which)
                if data is None:
                    raise FileNotFoundError(which)
                return data
            return read
        return [(self.path, reader("data")), (Path(f"{self.path}.prev"), reader("prev_data"))]

    def exists(self) -> bool:
        return self._newest is not None or self._prev is not None


def _bytes(copy: bytes | _Pending | None) -> bytes | None:
    return copy.data() if isinstance(copy, _Pending) else copy

"""The ground's anti-replay counter per key, kept on disk (ground only; never runs in flight).

The flight side accepts a key's sequence number only above what it has seen, minus a
small window (auth.py). So the ground must never go back: not after a clock step, not after
a restart, and never jump so far ahead that the key's 2**64 numbers run out. Each key's
last used number is kept in one private JSON file (mode 0600, by default `KEYFILE.seq`
beside the key file), written atomically (temporary file, fsync, rename, fsync of the
directory) under an exclusive lock, *before* the command is sent: a crash after the send
can skip a number, never reuse one.

    {"format": "msr-seq/1", "keys": {"<id>": {"fingerprint": "<hex>", "last": N}}}

The fingerprint (a hash of the key, not the key) ties a counter to one key: a rotated key
starts again at 1, as the flight side's window for it does.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
from pathlib import Path

from .errors import LinkError
from .keys import write_private

FORMAT = "msr-seq/1"
SEQ_MAX = (1 << 64) - 1
JUMP_LIMIT = 1 << 32   # an explicit number further ahead than this needs force


class SequenceError(LinkError):
    """A sequence number the ground refuses to use, or a counter file it cannot use."""


def fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"msr-seq-fingerprint/1" + key).hexdigest()[:16]


def default_path(keys_file: str | os.PathLike) -> Path:
    p = Path(keys_file)
    return p.with_name(p.name + ".seq")


class SequenceCounter:
    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def _read(self) -> dict:
        if self.path.is_symlink():
            raise SequenceError(f"sequence file {self.path}: is a symbolic link (refusing it)")
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise SequenceError(f"sequence file {self.path}: cannot be read: {exc}") from None
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise SequenceError(f"sequence file {self.path}: damaged ({exc}); restore it, or "
                                f"remove it and give --seq above the flight's window") from None
        keys = doc.get("keys") if isinstance(doc, dict) and doc.get("format") == FORMAT else None
        if not isinstance(keys, dict):
            raise SequenceError(f"sequence file {self.path}: not an {FORMAT} file")
        return keys

    def last(self, key_id: int, key: bytes) -> int:
        """The last number used with this key (0: none yet)."""
        entry = self._read().get(str(key_id))
        if not isinstance(entry, dict) or entry.get("fingerprint") != fingerprint(key):
            return 0
        last = entry.get("last")
        if not isinstance(last, int) or isinstance(last, bool) or not 0 <= last <= SEQ_MAX:
            raise SequenceError(f"sequence file {self.path}: field 'keys.{key_id}.last' is "
                                f"not an integer 0..2**64-1")
        return last

    def reserve(self, key_id: int, key: bytes, want: int | None = None, *,
                force: bool = False) -> int:
        """The number to sign the next command with, recorded before it is used.

        Without `want`: the last number + 1. With `want`: refused (SequenceError) when it was
        already used (the flight would call it a replay) or when it jumps more than 2**32
        ahead (it would burn the key's numbers), unless `force`; a forced old number leaves
        the counter where it is."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        except OSError as exc:
            raise SequenceError(f"sequence file {self.path}: cannot lock: "
                                f"{exc.strerror or exc}") from None
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            last = self.last(key_id, key)
            seq = self._choose(key_id, last, want, force)
            if seq > last:
                keys = self._read()
                keys[str(key_id)] = {"fingerprint": fingerprint(key), "last": seq}
                text = json.dumps({"format": FORMAT, "keys": dict(sorted(keys.items()))},
                                  indent=1) + "\n"
                write_private(self.path, text, overwrite=True, what="sequence file",
                              error=SequenceError)
            return seq
        finally:
            os.close(lock)

    @staticmethod
    def _choose(key_id: int, last: int, want: int | None, force: bool) -> int:
        if want is None:
            if last >= SEQ_MAX:
                raise SequenceError(f"key id {key_id} has used its last sequence number: "
                                    f"rotate it (msr keys rotate)")
            return last + 1
        if not 0 < want <= SEQ_MAX:
            raise SequenceError(f"sequence number {want} must be in 1..2**64-1")
        if force:
            return want
        if want <= last:
            raise SequenceError(f"sequence number {want} was already used with key id {key_id} "
                                f"(last {last}): the flight side refuses it as a replay; "
                                f"--force sends it anyway (to test that refusal)")
        if want - last > JUMP_LIMIT:
            raise SequenceError(f"sequence number {want} jumps {want - last} past the last one "
                                f"used with key id {key_id} ({last}), which burns the key's "
                                f"numbers ({SEQ_MAX - want} would be left); --force if meant")
        return want

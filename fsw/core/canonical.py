"""Canonical JSON (sorted keys, no spaces, no NaN) that re-encodes only what changed.

A checkpoint is saved every second or so, and between two saves most of it is the same: of a
rover's thirteen components two or three move (the pose, a contact count, the save count).
`CanonicalEncoder` splices the text of a table from the texts of its entries, and keeps the
text of each entry of a table of tables (the state's `components`: one entry a component)
with a snapshot of the value it was made from; while the snapshot is the same bytes, the text
is reused. The result is byte for byte `json.dumps(obj, sort_keys=True, separators=(",", ":"),
allow_nan=False)`, and so is every error (that encoder encodes whatever is not reused).

Why a snapshot and not `==`: `0 == 0.0 == False == -0.0` while their JSON differs, and a state
may hold a live list that a later tick changes in place. The snapshot is a pickle that takes
only the exact built-in types (None, bool, int, float, str, list, tuple, dict, and bytes or
sets, which JSON refuses): any other object, a subclass, an enum or a numpy scalar among them,
is refused and that entry is encoded afresh at every save. Pickle writes a float as its 8 IEEE
bytes and has distinct codes for bool, int, float, None, str, list, tuple and dict; with no
memo the bytes depend on the values alone. Equal snapshots are equal values of equal types,
whose JSON is the same. (`marshal` is as fast but writes any object with a buffer, a numpy
scalar among them, as plain bytes.) A value JSON refuses (NaN, a set, a non-str key among str
keys) is never kept, so it fails at every save, as it did before.
"""
from __future__ import annotations

import json
import pickle
from json.encoder import encode_basestring_ascii as _quote
from typing import Any, Callable

try:
    from json.encoder import c_make_encoder as _c_make_encoder
except ImportError:  # pragma: no cover - an interpreter without the C accelerator
    _c_make_encoder = None

_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), allow_nan=False, check_circular=False)


def _make_text() -> Callable[[Any], str]:
    """`_ENCODER.encode` without building the C encoder again at every call (what
    `JSONEncoder.iterencode` does for a one-shot encoding)."""
    if _c_make_encoder is None:  # pragma: no cover
        return _ENCODER.encode
    enc = _ENCODER
    one_shot = _c_make_encoder(None, enc.default, _quote, enc.indent, enc.key_separator,
                               enc.item_separator, enc.sort_keys, enc.skipkeys, enc.allow_nan)
    join = "".join
    return lambda obj: join(one_shot(obj, 0))


text = _make_text()   # canonical JSON of any value, no reuse


class NotPlainData(pickle.PicklingError):
    """A value holds an object that is not of an exact built-in type: it gets no snapshot."""


class _StrictPickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        # called for every object that is not of an exact built-in type
        raise NotPlainData(type(obj).__name__)


class Snapshots:
    """`snapshot(value)`: bytes that only an equal value of the same exact built-in types has, or
    None where there is none (another type, a cycle, nesting too deep). One per encoder (not
    thread-safe); `CanonicalEncoder` calls its pickler directly, one call less an entry."""

    REFUSED = (pickle.PicklingError, ValueError, RecursionError)

    def __init__(self) -> None:
        self.written: list[bytes] = []
        pickler = _StrictPickler(_Sink(self.written.append), 2)  # protocol 2: no frames
        pickler.fast = True    # no memo: the bytes do not depend on which objects are shared
        self.dump = pickler.dump

    def __call__(self, value: Any) -> bytes | None:
        try:
            self.dump(value)
        except self.REFUSED:
            self.written.clear()
            return None
        snap = b"".join(self.written)
        self.written.clear()
        return snap


class _Sink:
    """A file for the pickler: what it writes goes to `write`."""

    def __init__(self, write: Callable[[bytes], Any]) -> None:
        self.write = write


class CanonicalEncoder:
    """Canonical JSON of a table, reusing the text of each entry of its tables of tables (a
    state's `components`) while that entry's snapshot is unchanged. Only the texts of the last
    encoding are kept (an entry that goes away is dropped; what failed to encode is not kept)."""

    def __init__(self) -> None:
        self._kept: dict[str, dict[str, tuple[bytes, str]]] = {}
        self._snapshots = Snapshots()

    def encode(self, obj: Any) -> str:
        if not _is_table(obj):
            return text(obj)
        kept, fresh, parts = self._kept, {}, []
        for key in sorted(obj):
            value = obj[key]
            if _is_table(value) and _of_tables(value):
                mine: dict[str, tuple[bytes, str]] = {}
                parts.append(_quote(key) + ":" + self._spliced(value, kept.get(key, {}), mine))
                fresh[key] = mine
            else:
                parts.append(_quote(key) + ":" + text(value))
        self._kept = fresh
        return "{" + ",".join(parts) + "}"

    def _spliced(self, table: dict[str, Any], old: dict[str, tuple[bytes, str]],
                 new: dict[str, tuple[bytes, str]]) -> str:
        snaps = self._snapshots
        dump, written, refused, join = snaps.dump, snaps.written, snaps.REFUSED, b"".join
        parts = []
        for key in sorted(table):
            value = table[key]
            try:
                dump(value)               # the snapshot (Snapshots.__call__, inlined)
            except refused:               # no snapshot: encoded, never kept
                written.clear()
                parts.append(_quote(key) + ":" + text(value))
                continue
            snap = join(written)
            written.clear()
            was = old.get(key)
            entry = was[1] if was is not None and was[0] == snap else _quote(key) + ":" + text(value)
            new[key] = (snap, entry)
            parts.append(entry)
        return "{" + ",".join(parts) + "}"


def _is_table(obj: Any) -> bool:
    """A dict whose keys are all exact str: its canonical text is its entries' texts in key order
    (other keys sort and convert in ways left to the encoder)."""
    return type(obj) is dict and (not obj or set(map(type, obj)) == _STR)


def _of_tables(table: dict[str, Any]) -> bool:
    return bool(table) and set(map(type, table.values())) == _DICT


_STR, _DICT = {str}, {dict}


__all__ = ["CanonicalEncoder", "NotPlainData", "Snapshots", "text"]

"""Canonical JSON (sorted keys, no spaces, no NaN) that re-encodes only what changed.

A checkpoint is saved every second or so, and between two saves most of it is the same: of a
rover's thirteen components two or three move (the pose, a contact count, the save count).
`CanonicalEncoder` splices the text of a table from the texts of its entries, and keeps the
text of each entry (of the state, and of its tables of tables: `components`, one entry a
component) with a snapshot of the value it was made from; while the snapshot is the same
bytes, the text is reused. The result is byte for byte `json.dumps(obj, sort_keys=True,
separators=(",", ":"), allow_nan=False)`, and so is every error (that encoder encodes whatever
is not reused). `defer` goes further for a store in memory: what changed is checked at once
(so a value JSON refuses still fails that save) but its text is made from its snapshot only
if the checkpoint is ever read.

Why a snapshot and not `==`: `0 == 0.0 == False == -0.0` while their JSON differs, and a state
may hold a live list that a later tick changes in place. The snapshot is a pickle (protocol
2) that takes only values of the exact types None, bool, int, float, str, list, tuple and dict:
any other object (a subclass, an enum, a numpy scalar; bytes and sets, which protocol 2 writes
through a global) is refused, and that entry is encoded afresh at every save. Pickle writes a float as its 8 IEEE
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
    """Canonical JSON of a table, reusing the text of each of its entries (and of each entry of
    its tables of tables: a state's `components`) while that entry's snapshot is unchanged.

    `encode` gives the text now. `defer` checks now what JSON would refuse (and raises it), but
    leaves the text of a changed entry that is plain data (exact built-in types, str keys,
    finite floats) to be made from its snapshot when the text is asked for: an in-memory
    checkpoint is read only after a simulated reset. Only the entries of the last encoding are
    kept (one that goes away is dropped; what failed to encode is not kept)."""

    def __init__(self) -> None:
        self._kept: dict[str, Any] = {}
        self._snapshots = Snapshots()

    def encode(self, obj: Any) -> str:
        return self._pieces(obj, False).text()

    def defer(self, obj: Any) -> "Deferred":
        return self._pieces(obj, True)

    def _pieces(self, obj: Any, defer: bool) -> "Deferred":
        if not _is_table(obj):
            return Deferred([text(obj)])
        pieces: list[str | tuple[str, bytes]] = []
        fresh: dict[str, Any] = {}
        self._table(obj, self._kept, fresh, pieces, defer, True)
        self._kept = fresh       # only once the whole encoding went through
        return Deferred(pieces)

    def _table(self, table: dict[str, Any], old: dict[str, Any], new: dict[str, Any],
               pieces: list[str | tuple[str, bytes]], defer: bool, outer: bool) -> None:
        """Append `table`'s pieces: its entries' texts ('"key":value'), or ('"key":', snapshot)
        for a text deferred; `outer`: its tables of tables are spliced too."""
        snaps = self._snapshots
        dump, written, refused, join, append = snaps.dump, snaps.written, snaps.REFUSED, b"".join, pieces.append
        append("{")
        first = True
        for key in sorted(table):
            if not first:
                append(",")
            first = False
            value = table[key]
            was = old.get(key)
            if outer and _is_table(value) and _of_tables(value):
                append(_quote(key) + ":")
                mine: dict[str, Any] = {}
                self._table(value, was if type(was) is dict else {}, mine, pieces, defer, False)
                new[key] = mine
                continue
            try:
                dump(value)                   # the snapshot (Snapshots.__call__, inlined)
            except refused:                   # no snapshot: encoded now, never kept
                written.clear()
                append(_quote(key) + ":" + text(value))
                continue
            snap = join(written)
            written.clear()
            if type(was) is tuple and was[0] == snap:          # unchanged: its text, or still deferred
                if was[1] is not None:
                    append(was[1])
                    new[key] = was
                    continue
                if defer:
                    append((was[2], snap))
                    new[key] = was
                    continue
            elif defer and _plain(value, 0):                    # changed: checked now, text later
                head = _quote(key) + ":"
                append((head, snap))
                new[key] = (snap, None, head)                   # (its quoted key kept for the next save)
                continue
            entry = _quote(key) + ":" + text(value)
            new[key] = (snap, entry)
            append(entry)
        append("}")


class Deferred:
    """A canonical JSON text in pieces, some still (quoted key, snapshot); `text()` makes it."""

    __slots__ = ("_pieces", "_text")

    def __init__(self, pieces: list[str | tuple[str, bytes]]) -> None:
        self._pieces: list[str | tuple[str, bytes]] | None = pieces
        self._text: str | None = None

    def text(self) -> str:
        if self._text is None:
            loads = pickle.loads      # our own snapshot of plain data, never outside bytes
            self._text = "".join(p if type(p) is str else p[0] + text(loads(p[1])) for p in self._pieces)
            self._pieces = None
        return self._text


def _plain(value: Any, depth: int) -> bool:
    """True only where JSON surely encodes `value`, a value that has a snapshot (so exact
    built-in types): str keys, finite floats, ints JSON may print, not deeply nested. False
    sends the value to the encoder at once (which then encodes it or raises)."""
    kind = type(value)
    if kind is float:
        return value - value == 0.0                     # inf - inf and nan - nan are nan
    if kind is int:
        return value.bit_length() < _INT_BITS
    if kind is dict:
        if value and set(map(type, value)) != _STR:
            return False
        value = value.values()
    elif kind is not list and kind is not tuple:
        return kind is str or kind is bool or value is None
    if depth > _DEPTH:
        return False
    for item in value:
        kind = type(item)
        if kind is float:
            if item - item != 0.0:
                return False
        elif kind is int:
            if item.bit_length() >= _INT_BITS:
                return False
        elif kind is not str and kind is not bool and item is not None and not _plain(item, depth + 1):
            return False
    return True


_INT_BITS = 2000    # ~600 digits: below any limit Python puts on printing an int (640 at least)
_DEPTH = 64         # far from the recursion limit wherever the text is made


def _is_table(obj: Any) -> bool:
    """A dict whose keys are all exact str: its canonical text is its entries' texts in key order
    (other keys sort and convert in ways left to the encoder)."""
    return type(obj) is dict and (not obj or set(map(type, obj)) == _STR)


def _of_tables(table: dict[str, Any]) -> bool:
    return bool(table) and set(map(type, table.values())) == _DICT


_STR, _DICT = {str}, {dict}


__all__ = ["CanonicalEncoder", "Deferred", "NotPlainData", "Snapshots", "text"]

"""Onboard map products: terrain layers a vehicle loads as data, as a real lander loads an
orbital map product, instead of generating terrain at start-up.

A product is one file (`.msrmap`): named 2-D or 1-D numpy layers and a JSON `meta`
dictionary, each layer page-aligned, row-major, and checked by a CRC-32 at load; a flight
reads only the cells it asks for (a site's window, the heights under the lander), so the
map costs it next to no memory.

    offset  size  content (integers little-endian)
    0       8     magic b"MSRMAP\\x00\\x01"
    8       4     header length H (uint32)
    12      4     CRC-32 of the header bytes (zlib.crc32, uint32)
    16      H     header, UTF-8 JSON: {"format": "msr-map/1", "meta": {...},
                  "layers": [{"name", "dtype" (numpy str, e.g. "<f4", "|b1"), "shape",
                              "offset", "nbytes", "crc32"}, ...]}
    ...           zero padding; every layer starts on a 4096-byte boundary, in header order
                  (row-major, so a reader may also memory-map it as it is)

`write` is the ground's side (atomic: a temporary file renamed into place); `read` is the
flight side's: it verifies the header CRC, every layer's size and CRC, and gives `Layer`s,
indexed like numpy arrays, that read the cells asked for from the file. Any damage is a
MapProductError with one line that names the file and what is wrong. `fsw.gnc.safety_product` is the landing's
product (a hazard-assessed site map); others (a TRN reference map) can add layers and meta.
"""
from __future__ import annotations

import contextlib
import json
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from numpy.lib.stride_tricks import as_strided

FORMAT = "msr-map/1"
MAGIC = b"MSRMAP\x00\x01"
PREFIX = struct.Struct("<8sII")          # magic, header length, header CRC-32
ALIGN = 4096
MAX_HEADER = 1 << 20
SUFFIX = ".msrmap"
_CHUNK = 1 << 20


class MapProductError(ValueError):
    """A map product that cannot be used (missing, damaged, wrong format, wrong content)."""


class _File:
    """An open product file shared by its layers (closed when the last one goes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)

    def pread(self, n: int, offset: int) -> bytes:
        data = os.pread(self.fd, n, offset)
        if len(data) != n:
            raise MapProductError(f"{self.path}: map product truncated while in use")
        return data

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.close(self.fd)


class Layer:
    """A layer of a product, read from its file on demand. Indexing by ints and slices (as
    numpy's basic indexing) or by `np.ix_(rows, cols)` (a window wrapped round a periodic
    map) reads just those cells, one pread per row (a whole-width band in one), and gives a
    new array or a numpy scalar; `np.asarray(layer)` reads it all.

    Why not a memory mapping: every page a mapping touches counts in the process's resident
    memory, and kernels that cache files in large folios map them in up to megabyte pieces
    (a 60 m site's metrics touched 18 MB of an 80 MB product). Reads leave the file in the
    page cache, not in the flight process. A single cell (`layer[i, j]`, the heights under
    the lander, four a tick) is read from the last ROW_CACHE rows kept (a few kB): the cell's
    bytes are those of its file, so its value is the same, for a tenth of the cost."""

    ROW_CACHE = 8

    def __init__(self, f: _File, name: str, dtype: np.dtype, shape: tuple[int, ...], offset: int) -> None:
        self._f, self.name, self.dtype, self.shape, self._offset = f, name, np.dtype(dtype), tuple(shape), offset
        self.ndim = len(self.shape)
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.nbytes = self.size * self.dtype.itemsize
        self._rows: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return f"Layer({self.name!r}, {self.dtype}, {self.shape}, {self._f.path})"

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = np.frombuffer(self._f.pread(self.nbytes, self._offset), dtype=self.dtype).reshape(self.shape)
        return a.astype(dtype) if dtype is not None else a.copy()

    def __getitem__(self, key: Any) -> Any:
        if type(key) is tuple and len(key) == 2 and self.ndim == 2:     # one cell: the row cache
            i, j = key
            if type(i) is int and type(j) is int and 0 <= i < self.shape[0] and 0 <= j < self.shape[1]:
                return self.row(i)[j]
        key = key if isinstance(key, tuple) else (key,)
        if len(key) == 2 and all(isinstance(k, np.ndarray) for k in key):
            return self._outer(*key)
        if len(key) > self.ndim or self.ndim not in (1, 2) or any(
                isinstance(k, bool) or not isinstance(k, (slice, int, np.integer)) for k in key):
            raise IndexError(f"layer {self.name!r}: only ints and slices, at most {self.ndim}, index it")
        key = key + (slice(None),) * (self.ndim - len(key))
        shape2 = self.shape if self.ndim == 2 else (1, self.shape[0])
        key2 = key if self.ndim == 2 else (0, key[0])
        rows, keep = [], []
        for axis, k in enumerate(key2):
            n = shape2[axis]
            if isinstance(k, slice):
                rows.append(range(*k.indices(n)))
                keep.append(True)
            else:
                i = int(k) + n if int(k) < 0 else int(k)
                if not 0 <= i < n:
                    raise IndexError(f"layer {self.name!r}: index {int(k)} out of range for axis {axis} of {n}")
                rows.append(range(i, i + 1))
                keep.append(False)
        out = self._read(*rows, shape2[1])
        if self.ndim == 1:
            out, keep = out[0], keep[1:]
        return out[tuple(slice(None) if k else 0 for k in keep)]     # an int index drops its axis

    def row(self, i: int) -> np.ndarray:
        """Row i (0 <= i < rows) of a 2-D layer, from the last ROW_CACHE rows read (the oldest
        one dropped): read-only, the bytes of the file."""
        row = self._rows.get(i)
        if row is None:
            if len(self._rows) >= self.ROW_CACHE:
                del self._rows[next(iter(self._rows))]
            width = self.shape[1]
            nbytes = width * self.dtype.itemsize
            row = np.frombuffer(self._f.pread(nbytes, self._offset + i * nbytes), dtype=self.dtype)
            self._rows[i] = row
        return row

    def _outer(self, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        """`layer[np.ix_(rows, cols)]`: any rows and columns (a wrapped window), one pread of
        the columns' span per row."""
        if (self.ndim != 2 or ii.ndim != 2 or jj.ndim != 2 or ii.shape[1] != 1 or jj.shape[0] != 1
                or ii.dtype.kind not in "iu" or jj.dtype.kind not in "iu"):
            raise IndexError(f"layer {self.name!r}: integer arrays index it only as np.ix_(rows, cols)")
        rows, cols = ii[:, 0], jj[0]
        if not len(rows) or not len(cols):
            return np.empty((len(rows), len(cols)), dtype=self.dtype)
        n, width = self.shape
        if rows.min() < 0 or rows.max() >= n or cols.min() < 0 or cols.max() >= width:
            raise IndexError(f"layer {self.name!r}: np.ix_ index out of range for {self.shape}")
        item = self.dtype.itemsize
        lo = int(cols.min())
        span = int(cols.max()) + 1 - lo
        # Runs of consecutive rows (a window wraps round the map at most once) each read in one
        # pread, from the first row's span to the last's (up to _CHUNK a read), the spans then
        # viewed as rows and the columns taken once: a TRN landmark's window (~120 rows) was a
        # pread and three numpy calls a row.
        rl, ri = rows.tolist(), cols - lo
        step = width * item
        parts, k = [], 0
        while k < len(rl):
            first, m = rl[k], 1
            limit = max(1, _CHUNK // step)
            while k + m < len(rl) and rl[k + m] == first + m and m < limit:
                m += 1
            buf = self._f.pread(((m - 1) * width + span) * item, self._offset + (first * width + lo) * item)
            band = as_strided(np.frombuffer(buf, dtype=self.dtype), (m, span), (step, item), writeable=False)
            parts.append(band.take(ri, axis=1))
            k += m
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _read(self, r: range, c: range, width: int) -> np.ndarray:
        """Rows `r`, columns `c` (ranges, any step) of a (len, width) layout."""
        item = self.dtype.itemsize
        out = np.empty((len(r), len(c)), dtype=self.dtype)
        if not len(r) or not len(c):
            return out
        lo = min(c[0], c[-1])
        span = max(c[0], c[-1]) + 1 - lo
        cols: Any = slice(0, len(c)) if c.step == 1 else np.arange(len(c)) * c.step + (c[0] - lo)
        if r.step == 1 and span == width:                   # a whole-width band: one read
            band = self._f.pread(len(r) * width * item, self._offset + r.start * width * item)
            out[:] = np.frombuffer(band, dtype=self.dtype).reshape(len(r), width)[:, cols]
            return out
        for k, i in enumerate(r):
            row = self._f.pread(span * item, self._offset + (i * width + lo) * item)
            out[k] = np.frombuffer(row, dtype=self.dtype)[cols]
        return out


@dataclass
class MapProduct:
    """A loaded product: its meta dictionary and its layers (read from the file on demand)."""

    path: Path
    meta: dict[str, Any]
    layers: dict[str, Layer]
    nbytes: int = 0

    def layer(self, name: str) -> Layer:
        try:
            return self.layers[name]
        except KeyError:
            raise MapProductError(f"{self.path}: no layer {name!r} (has {', '.join(self.layers)})") from None

    def array(self, name: str) -> np.ndarray:
        """A whole layer as an array in memory (the ground's tools, tests)."""
        return np.asarray(self.layer(name))


def _aligned(n: int) -> int:
    return -(-n // ALIGN) * ALIGN


def _raw(a: np.ndarray) -> np.ndarray:
    """The bytes of a C-contiguous array, as a flat uint8 view (no copy)."""
    return a.reshape(-1).view(np.uint8)


def _crc(data: Any, crc: int = 0) -> int:
    return zlib.crc32(data, crc) & 0xFFFFFFFF


def write(path: str | Path, layers: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> Path:
    """Write a product (the ground's side); `meta` must be JSON-serialisable. Atomic."""
    path = Path(path)
    arrays = {name: np.ascontiguousarray(a) for name, a in layers.items()}
    for name, a in arrays.items():
        if a.dtype.hasobject or a.ndim == 0:
            raise MapProductError(f"layer {name!r}: a map layer is a numeric array, got {a.dtype} {a.shape}")
    entries = []
    offset = 0      # relative to the end of the header block; fixed up below
    for name, a in arrays.items():
        entries.append({"name": name, "dtype": a.dtype.str, "shape": list(a.shape), "offset": offset,
                        "nbytes": int(a.nbytes), "crc32": _crc(_raw(a))})
        offset = _aligned(offset + a.nbytes)
    # the header's size depends on the offsets it holds: lay out until it stops growing
    start = 0
    while True:
        hdr = {"format": FORMAT, "meta": dict(meta),
               "layers": [e | {"offset": e["offset"] + start} for e in entries]}
        raw = json.dumps(hdr, sort_keys=True, separators=(",", ":")).encode()
        need = _aligned(PREFIX.size + len(raw))
        if need == start:
            break
        start = need
    tmp = path.with_name(f".{path.name}.part{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(PREFIX.pack(MAGIC, len(raw), _crc(raw)) + raw)
            for e, a in zip(hdr["layers"], arrays.values()):
                f.write(b"\0" * (e["offset"] - f.tell()))
                f.write(_raw(a))
            f.write(b"\0" * (_aligned(f.tell()) - f.tell()))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def read_header(path: str | Path) -> tuple[dict[str, Any], int]:
    """(header, file size) of a product, the header's CRC checked; no layer is read."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            prefix = f.read(PREFIX.size)
            if len(prefix) < PREFIX.size or prefix[:8] != MAGIC:
                raise MapProductError(f"{path}: not an onboard map product (no {FORMAT} magic)")
            _, n, crc = PREFIX.unpack(prefix)
            raw = f.read(n) if n <= MAX_HEADER else b""
    except OSError as exc:
        raise MapProductError(f"{path}: cannot read the map product: {exc.strerror or exc}") from None
    if len(raw) != n or _crc(raw) != crc:
        raise MapProductError(f"{path}: map product header damaged (length or CRC)")
    try:
        hdr = json.loads(raw)
        fmt = hdr["format"]
        for e in hdr["layers"]:
            e["size"] = int(np.prod(e["shape"], dtype=np.int64)) * np.dtype(e["dtype"]).itemsize
            if e["size"] != e["nbytes"] or e["offset"] % ALIGN or e["offset"] + e["nbytes"] > size:
                raise ValueError(f"layer {e['name']!r} does not fit the file")
    except (ValueError, KeyError, TypeError) as exc:
        raise MapProductError(f"{path}: map product header unusable ({exc})") from None
    if fmt != FORMAT:
        raise MapProductError(f"{path}: map product format {fmt!r}, this software reads {FORMAT!r}")
    return hdr, size


def read(path: str | Path, *, verify: bool = True) -> MapProduct:
    """Load a product (the flight side's): header checked, every layer's CRC checked (read
    in 1 MiB chunks), layers read from the file on demand (`Layer`)."""
    path = Path(path)
    hdr, size = read_header(path)
    f = _File(path)
    if verify:
        buf = bytearray(_CHUNK)
        for e in hdr["layers"]:
            crc, done = 0, 0
            while done < e["nbytes"]:
                n = os.preadv(f.fd, [memoryview(buf)[:min(e["nbytes"] - done, _CHUNK)]], e["offset"] + done)
                if n <= 0:
                    break
                crc = _crc(memoryview(buf)[:n], crc)
                done += n
            if done != e["nbytes"] or crc != e["crc32"]:
                raise MapProductError(f"{path}: map layer {e['name']!r} damaged (CRC)")
    layers = {e["name"]: Layer(f, e["name"], np.dtype(e["dtype"]), tuple(e["shape"]), e["offset"])
              for e in hdr["layers"]}
    return MapProduct(path, dict(hdr["meta"]), layers, size)


__all__ = ["ALIGN", "FORMAT", "Layer", "MAGIC", "MapProduct", "MapProductError", "SUFFIX", "read", "read_header", "write"]

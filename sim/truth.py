"""Truth series: the plant's own state sampled on the simulated-time grid, for reports.

`TruthRecorder` is attached to the SimClock after the plant; every `period_ns` it records
the plant's truth as named series of floats, e.g. `position_m.0`, `elements.periapsis_alt_m`.
Truth never enters the flight code or its telemetry log; it is what plots and the campaign
report are drawn from.

Two ways to give it, with the same result (`series()`):

- declared fields (fast; what a long run wants): the plant has `truth_fields()`, the flat
  names, fixed for the plant's life, and `truth_values()`, one number per name in that
  order (NaN where there is nothing to say now). Each sample is one row written into a
  preallocated array: no per-sample dict, dataclass or name handling. A plant may return
  None from `truth_fields()` to say it cannot (a composite with an undeclared part).
  Optionally `truth_derived(columns)` computes further series from the recorded ones, for
  all samples at once after the run (numpy elementwise IEEE arithmetic in the order the
  per-sample code uses, so the same bits): what needs no recording (a relative state from
  two absolute ones) costs nothing per sample.
- `truth()`, nested dicts and tuples of numbers, flattened each sample (`flatten`): any
  plant, and the reference the declared fields are checked against (`declared_mismatches`).

A series holds the samples of every name that had a number at least once, NaN elsewhere.
"""
from __future__ import annotations

import io
import math
import struct
import zipfile
import zlib
from numbers import Real
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

MAX_LIST = 16       # longer sequences are not flattened (a log, not a vector)


def flatten(value: Any, prefix: str = "", out: dict[str, float] | None = None) -> dict[str, float]:
    """Numeric leaves of nested dicts/sequences as {"a.b.0": float}; other leaves are skipped."""
    out = {} if out is None else out
    t = type(value)
    if t is float or t is int or t is bool:          # the common cases first, without ABC checks
        out[prefix] = float(value)
    elif t is dict:
        for k, v in value.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif t is tuple or t is list:
        if len(value) <= MAX_LIST:
            for i, v in enumerate(value):
                flatten(v, f"{prefix}.{i}" if prefix else str(i), out)
    elif isinstance(value, (bool, Real)):             # numpy scalars and other numbers
        out[prefix] = float(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, (list, tuple, np.ndarray)) and len(value) <= MAX_LIST:
        for i, v in enumerate(value):
            flatten(v, f"{prefix}.{i}" if prefix else str(i), out)
    return out


def number(value: Any) -> float:
    """A truth value as a float, NaN for None (for `truth_values`)."""
    return math.nan if value is None else float(value)


def short_list(prefix: str, length: int, width: int = 0) -> tuple[str, ...]:
    """Declared names of a list of up to `length` numbers (width 0) or of `width`-tuples,
    as `flatten` names them: "impacts.0.0", "impacts.0.1", ..."""
    if width:
        return tuple(f"{prefix}.{k}.{j}" for k in range(length) for j in range(width))
    return tuple(f"{prefix}.{k}" for k in range(length))


def short_list_values(items: Sequence[Any], length: int, width: int = 0) -> list[float]:
    """Values for `short_list` names: NaN past the end, all NaN for a list longer than
    MAX_LIST (which `flatten` skips whole)."""
    if not items:
        return [math.nan] * (length * max(width, 1))
    out = [math.nan] * (length * max(width, 1))
    if len(items) <= MAX_LIST:
        if width:
            for k, item in enumerate(items[:length]):
                for j in range(width):
                    out[k * width + j] = number(item[j])
        else:
            for k, item in enumerate(items[:length]):
                out[k] = number(item)
    return out


def declared_fields(plant: Any) -> tuple[str, ...] | None:
    """The plant's declared truth names, or None if it only has `truth()`."""
    fn = getattr(plant, "truth_fields", None)
    names = fn() if callable(fn) else None
    return None if names is None else tuple(names)


def declared_mismatches(plant: Any) -> dict[str, tuple[float | None, float | None]]:
    """Where the declared row and the flattened `truth()` disagree now: {name: (declared,
    flattened)}, None for "absent". Empty when the two say the same (NaN = absent)."""
    names = declared_fields(plant)
    if names is None:
        raise TypeError(f"{type(plant).__name__} declares no truth fields")
    values = list(plant.truth_values())
    if len(values) != len(names):
        return {"<count>": (float(len(values)), float(len(names)))}
    row = {n: np.array([float(v)]) for n, v in zip(names, values)}
    row.update(derived_columns(plant, row))
    declared = {n: float(v[0]) for n, v in row.items() if not math.isnan(float(v[0]))}
    flat = flatten(plant.truth())
    out: dict[str, tuple[float | None, float | None]] = {}
    for name in sorted(set(declared) | set(flat)):
        a, b = declared.get(name), flat.get(name)
        if not (a == b or (a is not None and b is not None and math.isnan(a) and math.isnan(b))):
            out[name] = (a, b)
    return out


def derived_columns(plant: Any, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The plant's `truth_derived(columns)`, or nothing if it derives none."""
    fn = getattr(plant, "truth_derived", None)
    return dict(fn(columns)) if callable(fn) else {}


class TruthRecorder:
    """A clock stepper sampling the plant's truth every `period_ns` (at most `max_samples`
    samples). `source` is a plant (declared fields if it has them, else its `truth()`) or a
    callable returning the nested truth dict."""

    def __init__(self, source: Any, period_ns: int, max_samples: int = 200_000) -> None:
        self.period_ns = int(period_ns)
        self.max_samples = max_samples
        self._next = 0
        self.t_ns: list[int] = []
        self.names: tuple[str, ...] | None = None
        self._values: Callable[[], Sequence[float]] | None = None
        self.truth: Callable[[], dict[str, Any]] | None = None
        self._plant = None
        if callable(getattr(source, "truth", None)):
            self.names = declared_fields(source)
            if self.names is not None:
                self._values = source.truth_values
                self._plant = source
            self.truth = source.truth
        elif callable(source):
            self.truth = source
        else:
            raise TypeError("TruthRecorder needs a plant or a callable returning its truth")
        self.rows: list[dict[str, float]] = []           # generic samples (no declared fields)
        # declared samples: rows of doubles packed one after the other (struct packs a row
        # of Python numbers in under half the time numpy's row assignment converts it)
        self._row = struct.Struct(f"={len(self.names or ())}d")
        self._buf = bytearray()

    def advance_to(self, t_ns: int) -> None:
        if t_ns < self._next or len(self.t_ns) >= self.max_samples:
            return
        self._next = t_ns - t_ns % self.period_ns + self.period_ns
        if self._values is not None:
            values = self._values()
            try:
                self._buf += self._row.pack(*values)
            except struct.error:        # not all plain numbers (None, an array...), or not one per name:
                row = np.empty(len(self.names))
                row[:] = values         # numpy's conversion, or its error, as before
                self._buf += row.tobytes()
        else:
            self.rows.append(flatten(self.truth()))
        self.t_ns.append(t_ns)

    def series(self) -> dict[str, np.ndarray]:
        """Every name with a number in some sample, as arrays aligned on `t_s` (NaN where a
        sample had none); a plant's own `t_s` replaces the sample times."""
        out = {"t_s": np.asarray(self.t_ns, dtype=np.int64) / 1e9}
        if self._values is not None:
            table = np.frombuffer(self._buf, dtype=np.float64).reshape(len(self.t_ns), len(self.names))
            columns = {name: table[:, j].copy() for j, name in enumerate(self.names)}
            columns.update(derived_columns(self._plant, columns))
            for name in sorted(columns):
                if not np.isnan(columns[name]).all():
                    out[name] = columns[name]
            return out
        keys = sorted({k for row in self.rows for k in row})
        for k in keys:
            out[k] = np.array([row.get(k, math.nan) for row in self.rows], dtype=float)
        return out


# write_npz: a column whose first PROBE_BYTES deflate to more than this fraction is stored
# as it is. A 91,000 s capture's truth is 41 MB of float64: its state columns (positions,
# velocities, masses) deflate only to 77-94 % and cost most of zlib's time (0.45 s of the
# phase), while its flags, counters and NaN-filled columns deflate to under 2 % almost free.
PROBE_BYTES = 1 << 16
DEFLATE_BELOW = 0.5


def _worth_deflating(data: bytes, level: int) -> bool:
    probe = data[:PROBE_BYTES]
    return len(zlib.compress(probe, level)) < DEFLATE_BELOW * len(probe)


def write_npz(path: Path | str, arrays: dict[str, np.ndarray], level: int = 1) -> None:
    """A .npz that `numpy.load` reads as `savez_compressed` would: the same arrays (float64
    as recorded: no sample and no bit is dropped), each member deflated at zlib `level`
    when it is worth it and stored otherwise (PROBE_BYTES above: ~12 % larger than
    deflating all, at a seventh of the CPU)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asanyarray(value), allow_pickle=False)
            data = buf.getvalue()
            if _worth_deflating(data, level):
                zf.writestr(name + ".npy", data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=level)
            else:
                zf.writestr(name + ".npy", data, compress_type=zipfile.ZIP_STORED)

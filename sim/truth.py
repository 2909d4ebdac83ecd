"""Truth series: the plant's own state sampled on the simulated-time grid, for reports.

`TruthRecorder` is attached to the SimClock after the plant; every `period_ns` it flattens
`plant.truth()` (nested dicts, tuples of numbers) into named series of floats, e.g.
`position_m.0`, `elements.periapsis_alt_m`. Truth never enters the flight code or its
telemetry log; it is what plots and the campaign report are drawn from.
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any, Callable

import numpy as np


def flatten(value: Any, prefix: str = "", out: dict[str, float] | None = None) -> dict[str, float]:
    """Numeric leaves of nested dicts/sequences as {"a.b.0": float}; other leaves are skipped."""
    out = {} if out is None else out
    if isinstance(value, bool):
        out[prefix] = float(value)
    elif isinstance(value, Real):
        out[prefix] = float(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, (list, tuple, np.ndarray)) and len(value) <= 16:
        for i, v in enumerate(value):
            flatten(v, f"{prefix}.{i}" if prefix else str(i), out)
    return out


class TruthRecorder:
    """A clock stepper sampling `truth()` every `period_ns` (at most `max_samples` samples)."""

    def __init__(self, truth: Callable[[], dict[str, Any]], period_ns: int,
                 max_samples: int = 200_000) -> None:
        self.truth = truth
        self.period_ns = int(period_ns)
        self.max_samples = max_samples
        self._next = 0
        self.t_ns: list[int] = []
        self.rows: list[dict[str, float]] = []

    def advance_to(self, t_ns: int) -> None:
        if t_ns < self._next or len(self.t_ns) >= self.max_samples:
            return
        self._next = t_ns - t_ns % self.period_ns + self.period_ns
        self.t_ns.append(t_ns)
        self.rows.append(flatten(self.truth()))

    def series(self) -> dict[str, np.ndarray]:
        """Every key seen, as arrays aligned on `t_s` (NaN where a sample lacked the key)."""
        keys = sorted({k for row in self.rows for k in row})
        out = {"t_s": np.asarray(self.t_ns, dtype=np.int64) / 1e9}
        for k in keys:
            out[k] = np.array([row.get(k, math.nan) for row in self.rows], dtype=float)
        return out

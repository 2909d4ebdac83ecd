"""Vectors of Python floats, fixed left-to-right order (see the package docstring)."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

if TYPE_CHECKING:
    import numpy as np

Vec = Sequence[float]


def fixed_sum(values: Iterable[float], start: float = 0.0) -> float:
    """((start + v0) + v1) + ...: the sum `sum()` gave before Python 3.12 compensated it."""
    acc = start
    for v in values:
        acc += v
    return acc


def dot(a: Vec, b: Vec) -> float:
    """a0 b0 + a1 b1 + ... accumulated left to right (no fused multiply-add: pure Python)."""
    if len(a) == 3:
        return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
    it = iter(zip(a, b))
    x, y = next(it, (0.0, 0.0))
    acc = x * y
    for x, y in it:
        acc += x * y
    return acc


def norm_sq(a: Vec) -> float:
    return dot(a, a)


def norm(a: Vec) -> float:
    """Euclidean length: sqrt of the left-to-right sum of squares (not `math.hypot`, whose
    algorithm changed between Python versions)."""
    return math.sqrt(dot(a, a))


def hypot2(x: float, y: float) -> float:
    """sqrt(x^2 + y^2) for values far from overflow (as `norm` for two components)."""
    return math.sqrt(x * x + y * y)


def cross(a: Vec, b: Vec) -> tuple[float, float, float]:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def vadd(a: Vec, b: Vec) -> list[float]:
    return [x + y for x, y in zip(a, b)]


def sub(a: Vec, b: Vec) -> list[float]:
    return [x - y for x, y in zip(a, b)]


def scale(k: float, a: Vec) -> list[float]:
    return [k * x for x in a]


def unit(a: Vec) -> list[float]:
    """a / |a| (each component divided, not multiplied by a reciprocal)."""
    n = norm(a)
    return [x / n for x in a]


def lerp(a: float, b: float, t: float) -> float:
    return a + (b - a) * t


def elementwise(fn: Callable[..., float], *arrays: np.ndarray, dtype: Any = None) -> np.ndarray:
    """`fn` (a `math` function) applied element by element to same-shaped arrays, in double
    precision, cast to `dtype`: the C library's result on every CPU, where numpy's SIMD loops
    for exp, sin, power, ... differ by instruction set. About 0.1 us an element."""
    import numpy as np   # here, not at import: the MAV flight side sums floats but loads no numpy
    dtype = np.float64 if dtype is None else dtype
    first = np.asarray(arrays[0])
    flat = [np.asarray(a, dtype=np.float64).ravel().tolist() for a in arrays]
    out = np.fromiter(map(fn, *flat), dtype=np.float64, count=first.size)
    return out.reshape(first.shape).astype(dtype, copy=False)


__all__ = ["cross", "dot", "elementwise", "fixed_sum", "hypot2", "lerp", "norm", "norm_sq", "scale", "sub",
           "unit", "vadd"]

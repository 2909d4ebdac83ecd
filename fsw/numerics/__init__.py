"""Deterministic numerics: small vector and matrix routines whose results are the same bits on
every machine (any x86 CPU, any BLAS kernel, aarch64), shared by flight and simulation code.

Why: a value that reaches telemetry, an event, a summary or plant state must not depend on
the CPU. BLAS/LAPACK (`@`, `np.dot`, `np.linalg.*`) pick kernels by CPU and change the order
of their sums; numpy's SIMD transcendental loops (`np.exp`, `np.sin`, `np.power`, ...) differ
from the C library by an ulp on some inputs and between instruction sets; Python's `sum()` of
floats is plain in 3.11 and compensated from 3.12. Everything here uses only IEEE-754
`+ - * /`, `math.sqrt`, the C library's `math` functions and a fixed operation order, in pure
Python, where no compiler can fuse a multiply and an add. See docs/determinism.md.

Vectors are sequences of floats, matrices sequences of rows; results are lists (or tuples for
3-vectors). For arrays too large for Python (terrain rasters), numpy's elementwise `+ - * /`,
`sqrt`, comparisons and `where` are exact IEEE on every CPU: `elementwise` maps a `math`
function over an array for the transcendental cases.
"""
from __future__ import annotations

import importlib
from typing import Any

# Names are loaded on first use (PEP 562): a flight side that only sums floats (the MAV's)
# must not pay for numpy, which the matrix, eigen and FFT modules import.
_HOME = {"symmetric_eigen": "eigen",
         **dict.fromkeys(("SingularMatrixError", "add", "det", "diag", "identity", "inverse", "matmul",
                          "matvec", "sandwich", "scaled", "solve", "transpose"), "matrix"),
         **dict.fromkeys(("cross", "dot", "elementwise", "fixed_sum", "hypot2", "lerp", "norm", "norm_sq",
                          "scale", "sub", "unit", "vadd"), "vector")}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["SingularMatrixError", "add", "cross", "det", "diag", "dot", "elementwise", "fixed_sum",
           "hypot2", "identity", "inverse", "lerp", "matmul", "matvec", "norm", "norm_sq", "sandwich",
           "scale", "scaled", "solve", "sub", "symmetric_eigen", "transpose", "unit", "vadd"]

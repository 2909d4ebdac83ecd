"""Symmetric eigen-decomposition by the cyclic Jacobi method (fixed sweep order).

LAPACK's `eigh` gives eigenvectors that differ in their last bits between BLAS kernels; this
one does the same rotations in the same order everywhere. Cost ~n^3 per sweep in Python:
milliseconds for the 18-node MAV thermal network, which is decomposed once per model.
"""
from __future__ import annotations

import math
from typing import Sequence

from .matrix import _rows, identity

MAX_SWEEPS = 60


def _off(a: list[list[float]]) -> float:
    n = len(a)
    s = 0.0
    for p in range(n):
        row = a[p]
        for q in range(p + 1, n):
            s += row[q] * row[q]
    return s


def symmetric_eigen(a: Sequence[Sequence[float]]) -> tuple[list[float], list[list[float]]]:
    """Eigenvalues (ascending) and eigenvectors (as the columns of V, each with its largest
    component positive) of a symmetric matrix: A = V diag(w) V^T. Only the upper triangle is
    read. Raises ValueError for a non-square or non-finite matrix."""
    m = _rows(a)
    n = len(m)
    if any(len(r) != n for r in m):
        raise ValueError("symmetric_eigen needs a square matrix")
    if not all(math.isfinite(x) for r in m for x in r):
        raise ValueError("symmetric_eigen needs finite entries")
    for p in range(n):               # work on the symmetrised upper triangle
        for q in range(p + 1, n):
            m[q][p] = m[p][q]
    v = identity(n)
    for _ in range(MAX_SWEEPS):
        if _off(m) == 0.0:
            break
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = m[p][q]
                if apq == 0.0:
                    continue
                app, aqq = m[p][p], m[q][q]
                g = 100.0 * abs(apq)
                if abs(app) + g == abs(app) and abs(aqq) + g == abs(aqq):
                    m[p][q] = m[q][p] = 0.0     # below the diagonal's last bit: converged
                    continue
                theta = (aqq - app) / (2.0 * apq)
                # t = tan of the rotation angle, the smaller root of t^2 + 2 theta t - 1 = 0
                if abs(theta) > 1e150:
                    t = 0.5 / theta
                else:
                    t = 1.0 / (abs(theta) + math.sqrt(theta * theta + 1.0))
                    if theta < 0.0:
                        t = -t
                c = 1.0 / math.sqrt(t * t + 1.0)
                s = t * c
                for k in range(n):          # columns p and q
                    row = m[k]
                    akp, akq = row[p], row[q]
                    row[p] = c * akp - s * akq
                    row[q] = s * akp + c * akq
                rp, rq = m[p], m[q]         # rows p and q
                for k in range(n):
                    apk, aqk = rp[k], rq[k]
                    rp[k] = c * apk - s * aqk
                    rq[k] = s * apk + c * aqk
                rp[q] = rq[p] = 0.0
                for k in range(n):          # accumulate V = V J
                    row = v[k]
                    vkp, vkq = row[p], row[q]
                    row[p] = c * vkp - s * vkq
                    row[q] = s * vkp + c * vkq
    order = sorted(range(n), key=lambda i: (m[i][i], i))
    w = [m[i][i] for i in order]
    vecs = []
    for i in order:
        col = [v[k][i] for k in range(n)]
        big = max(range(n), key=lambda k: (abs(col[k]), -k))
        if col[big] < 0.0:
            col = [-x for x in col]
        vecs.append(col)
    return w, [[vecs[j][k] for j in range(n)] for k in range(n)]


__all__ = ["symmetric_eigen"]

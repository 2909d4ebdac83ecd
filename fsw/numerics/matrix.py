"""Small dense matrices (rows of Python floats), fixed operation order.

Sized for guidance and navigation: 3x3 to 6x6 products, a 2x2 to 6x6 solve or inverse,
18x18 for the MAV thermal network. Every sum runs left to right over the inner index, starting
from its first product. Accepts lists, tuples or numpy arrays (read as nested lists);
returns lists of lists.
"""
from __future__ import annotations

from typing import Sequence

Mat = Sequence[Sequence[float]]


class SingularMatrixError(ArithmeticError):
    """A solve or inverse met a zero pivot (the matrix is singular to working precision)."""


def _rows(a) -> list[list[float]]:
    tolist = getattr(a, "tolist", None)
    return tolist() if tolist is not None else [list(r) for r in a]


def identity(n: int) -> list[list[float]]:
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def diag(values: Sequence[float]) -> list[list[float]]:
    n = len(values)
    return [[float(values[i]) if i == j else 0.0 for j in range(n)] for i in range(n)]


def transpose(a: Mat) -> list[list[float]]:
    return [list(c) for c in zip(*_rows(a))]


def add(a: Mat, b: Mat) -> list[list[float]]:
    return [[x + y for x, y in zip(ra, rb)] for ra, rb in zip(_rows(a), _rows(b))]


def scaled(k: float, a: Mat) -> list[list[float]]:
    return [[k * x for x in r] for r in _rows(a)]


def _rowdot(row: Sequence[float], col: Sequence[float]) -> float:
    """row . col, left to right from the first product (the one inner loop of this module)."""
    it = zip(row, col)
    p, q = next(it)
    acc = p * q
    for p, q in it:
        acc += p * q
    return acc


def _unrolled(k: int):
    """(matmul, matvec) kernels for inner dimension k: the same sum as `_rowdot`, written
    out (`r0 * c0 + r1 * c1 + ...` is evaluated left to right, one rounding per operation),
    without a call per element. Rows of any other length raise ValueError on unpacking."""
    r = ", ".join(f"r{i}" for i in range(k))
    c = ", ".join(f"c{i}" for i in range(k))
    expr = " + ".join(f"r{i} * c{i}" for i in range(k))
    src = (f"def mm(rows, cols):\n    return [[{expr} for {c} in cols] for {r} in rows]\n"
           f"def mv(rows, x):\n    {c}, = x\n    return [{expr} for {r} in rows]\n")
    scope: dict = {}
    exec(src, scope)                   # noqa: S102 - generated from the integer k only
    return scope["mm"], scope["mv"]


_KERNELS = {k: _unrolled(k) for k in (2, 3, 4, 6, 18)}   # 18: the MAV thermal network


def _view(a) -> Sequence[Sequence[float]]:
    """Rows to read (not to modify): a list as it is, an array as nested lists."""
    return a if isinstance(a, (list, tuple)) else _rows(a)


def matvec(a: Mat, x: Sequence[float]) -> list[float]:
    """A x, each row's sum left to right."""
    x = list(x)
    rows = _view(a)
    kernel = _KERNELS.get(len(x))
    if kernel is not None:
        try:
            return kernel[1](rows, x)
        except ValueError:             # ragged rows: the general loop says what it did before
            pass
    return [_rowdot(row, x) for row in rows]


def _product(rows: Sequence[Sequence[float]], cols: Sequence[Sequence[float]]) -> list[list[float]]:
    """Rows times columns, each sum left to right (the unrolled kernel where there is one)."""
    kernel = _KERNELS.get(len(cols[0])) if cols else None
    if kernel is not None:
        try:
            return kernel[0](rows, cols)
        except ValueError:
            pass
    return [[_rowdot(row, col) for col in cols] for row in rows]


def matmul(a: Mat, b: Mat) -> list[list[float]]:
    """A B; C[i][j] = A[i][0] B[0][j] + A[i][1] B[1][j] + ... in that order."""
    return _product(_view(a), list(zip(*_view(b))))


def matmul_t(a: Mat, b: Mat) -> list[list[float]]:
    """A B^T, the rows of B read as the columns of B^T: `matmul(a, transpose(b))` without
    transposing B twice (each sum left to right)."""
    return _product(_view(a), _view(b))


def identity_minus(a: Mat) -> list[list[float]]:
    """I - A for a square A, as `add(identity(n), scaled(-1.0, a))` computes it
    ((1.0 or 0.0) + -1.0 * a[i][j]), in one pass."""
    return [[(1.0 if i == j else 0.0) + -1.0 * v for j, v in enumerate(row)] for i, row in enumerate(_rows(a))]


def _sandwich_source(n: int, m: int, plus: bool) -> str:
    """Source of A P A^T (+ Q) for A n x m, P m x m: every entry of A, P (and Q) unpacked
    into a local, (A P) then times A^T, each sum written out left to right from its first
    product as `_product` forms it, Q added to each finished sum (as `add` would)."""
    def names(v: str, rows: int, cols: int) -> str:
        return ", ".join("(" + ", ".join(f"{v}{i}_{j}" for j in range(cols)) + ",)" for i in range(rows)) + ","

    lines = [f"def kernel(a, p{', q' if plus else ''}):", f"    {names('a', n, m)} = a", f"    {names('p', m, m)} = p"]
    if plus:
        lines.append(f"    {names('q', n, n)} = q")
    for i in range(n):
        for j in range(m):
            lines.append(f"    t{i}_{j} = " + " + ".join(f"a{i}_{k} * p{k}_{j}" for k in range(m)))

    def entry(i: int, j: int) -> str:
        return " + ".join(f"t{i}_{k} * a{j}_{k}" for k in range(m)) + (f" + q{i}_{j}" if plus else "")
    rows = ", ".join("[" + ", ".join(entry(i, j) for j in range(n)) + "]" for i in range(n))
    lines.append(f"    return [{rows}]")
    return "\n".join(lines) + "\n"


_SANDWICHES: dict[tuple[int, int, bool], object] = {}


def _sandwich_kernel(n: int, m: int, plus: bool):
    """The written-out `sandwich` for these sizes (made on first use: the relative
    navigation filter propagates its 6x6 covariance every cycle, and the loops' zips,
    comprehension frames and row indexing cost more than its 432 products)."""
    key = (n, m, plus)
    kernel = _SANDWICHES.get(key)
    if kernel is None:
        scope: dict = {}
        exec(_sandwich_source(n, m, plus), scope)   # noqa: S102 - generated from the integers n, m only
        kernel = _SANDWICHES[key] = scope["kernel"]
    return kernel


def sandwich(a: Mat, p: Mat, a_t: Mat | None = None, plus: Mat | None = None) -> list[list[float]]:
    """A P A^T (covariance propagation): (A P) then times A^T, in that order; with `plus`,
    Q added to each entry after (`add(sandwich(a, p), plus)`). The columns of A^T are the
    rows of A, read as they are (not transposed twice) when they are all of one length."""
    rows = _view(a)
    if a_t is None and 0 < len(rows) <= 6 and 0 < len(p) <= 6:
        try:
            if plus is None:
                return _sandwich_kernel(len(rows), len(p), False)(rows, _view(p))
            return _sandwich_kernel(len(rows), len(p), True)(rows, _view(p), _view(plus))
        except ValueError:             # ragged or mismatched rows: the loops say what they did before
            pass
    ap = _product(rows, list(zip(*_view(p))))
    if a_t is None:
        n = len(rows[0]) if len(rows) else 0
        if n and all(len(r) == n for r in rows):
            out = _product(ap, rows)
        else:
            out = _product(ap, list(zip(*_view(transpose(rows)))))
    else:
        out = _product(ap, list(zip(*_view(a_t))))
    return out if plus is None else add(out, plus)


def _eliminate(a: list[list[float]], rhs: list[list[float]]) -> float:
    """Gaussian elimination with partial pivoting (largest |pivot|, lowest row on a tie), in
    place; `rhs` rows are carried along; the matrix ends upper triangular. Returns the sign of
    the row permutation."""
    n = len(a)
    sign = 1.0
    for k in range(n):
        piv, best = k, abs(a[k][k])
        for i in range(k + 1, n):
            v = abs(a[i][k])
            if v > best:
                piv, best = i, v
        if best == 0.0 or best != best:
            raise SingularMatrixError(f"zero pivot in column {k}")
        if piv != k:
            a[k], a[piv] = a[piv], a[k]
            rhs[k], rhs[piv] = rhs[piv], rhs[k]
            sign = -sign
        pk, rk, akk = a[k], rhs[k], a[k][k]
        for i in range(k + 1, n):
            ai = a[i]
            f = ai[k] / akk
            if f != 0.0:
                for j in range(k + 1, n):
                    ai[j] -= f * pk[j]
                ri = rhs[i]
                for j in range(len(ri)):
                    ri[j] -= f * rk[j]
            ai[k] = 0.0
    return sign


def _back(a: list[list[float]], rhs: list[list[float]]) -> list[list[float]]:
    n = len(a)
    m = len(rhs[0]) if rhs else 0
    x = [[0.0] * m for _ in range(n)]
    for i in range(n - 1, -1, -1):
        ai = a[i]
        for c in range(m):
            acc = rhs[i][c]
            for j in range(i + 1, n):
                acc -= ai[j] * x[j][c]
            x[i][c] = acc / ai[i]
    return x


def solve(a: Mat, b: Sequence[float]) -> list[float]:
    """x with A x = b (A square); SingularMatrixError if A is singular."""
    m = _rows(a)
    rhs = [[float(v)] for v in b]
    _eliminate(m, rhs)
    return [r[0] for r in _back(m, rhs)]


def inverse(a: Mat) -> list[list[float]]:
    """A^-1 by elimination against the identity; SingularMatrixError if A is singular."""
    m = _rows(a)
    rhs = identity(len(m))
    _eliminate(m, rhs)
    return _back(m, rhs)


def det(a: Mat) -> float:
    """Determinant (product of the pivots, in order); 0.0 for a singular matrix."""
    m = _rows(a)
    try:
        sign = _eliminate(m, [[] for _ in m])
    except SingularMatrixError:
        return 0.0
    d = sign
    for i in range(len(m)):
        d *= m[i][i]
    return d


__all__ = ["SingularMatrixError", "add", "det", "diag", "identity", "identity_minus", "inverse", "matmul", "matmul_t",
           "matvec", "sandwich", "scaled", "solve", "transpose"]

"""fsw.numerics: the deterministic routines agree with LAPACK/BLAS to rounding (numpy is the
independent reference here, in a test, where its last bits do not matter) and keep their
documented operation order, which is what makes their bits the same everywhere."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.numerics import (SingularMatrixError, cross, det, dot, elementwise, fixed_sum, inverse, matmul,
                          matvec, norm, sandwich, solve, symmetric_eigen, transpose)

finite = st.floats(-100.0, 100.0, allow_nan=False, allow_infinity=False)


def square(n_min=1, n_max=7):
    return st.integers(n_min, n_max).flatmap(
        lambda n: st.lists(st.lists(finite, min_size=n, max_size=n), min_size=n, max_size=n))


@settings(max_examples=80)
@given(square(1, 8))
def test_symmetric_eigen_decomposes(rows):
    a = np.array(rows)
    a = a + a.T
    w, v = symmetric_eigen(a)
    w, v = np.array(w), np.array(v)
    scale = max(1.0, float(np.max(np.abs(a))))
    n = len(a)
    assert np.all(np.diff(w) >= 0.0)                                   # ascending
    assert np.allclose(w, np.linalg.eigvalsh(a), atol=1e-12 * n * scale)
    assert np.allclose(v.T @ v, np.eye(n), atol=1e-12 * n)             # orthonormal
    assert np.allclose(v @ np.diag(w) @ v.T, a, atol=1e-12 * n * scale)
    for k in range(n):                                                 # sign convention
        col = v[:, k]
        assert col[np.argmax(np.abs(col))] > 0.0


def test_symmetric_eigen_of_a_diagonal_matrix_is_exact():
    w, v = symmetric_eigen([[3.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 2.0]])
    assert w == [-1.0, 2.0, 3.0]
    assert v == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]


def test_symmetric_eigen_refuses_bad_input():
    with pytest.raises(ValueError):
        symmetric_eigen([[1.0, 2.0]])
    with pytest.raises(ValueError):
        symmetric_eigen([[1.0, math.nan], [math.nan, 1.0]])


@settings(max_examples=80)
@given(square(1, 6), st.data())
def test_solve_inverse_det_match_lapack(rows, data):
    a = np.array(rows) + 50.0 * np.eye(len(rows))     # comfortably non-singular
    b = np.array(data.draw(st.lists(finite, min_size=len(rows), max_size=len(rows))))
    assert np.allclose(solve(a, b), np.linalg.solve(a, b), rtol=1e-10, atol=1e-12)
    assert np.allclose(inverse(a), np.linalg.inv(a), rtol=1e-10, atol=1e-13)
    assert math.isclose(det(a), np.linalg.det(a), rel_tol=1e-10)


def test_singular_matrices_are_refused_not_divided_by_zero():
    s = [[1.0, 2.0], [2.0, 4.0]]
    with pytest.raises(SingularMatrixError):
        solve(s, [1.0, 1.0])
    with pytest.raises(SingularMatrixError):
        inverse(s)
    assert det(s) == 0.0
    assert det([[0.0, 1.0], [1.0, 0.0]]) == -1.0      # a row swap flips the sign


@settings(max_examples=60)
@given(square(1, 6), st.data())
def test_products_match_blas(rows, data):
    a = np.array(rows)
    n = len(rows)
    b = np.array(data.draw(st.lists(st.lists(finite, min_size=n, max_size=n), min_size=n, max_size=n)))
    x = np.array(data.draw(st.lists(finite, min_size=n, max_size=n)))
    tol = dict(rtol=1e-12, atol=1e-9)
    assert np.allclose(matmul(a, b), a @ b, **tol)
    assert np.allclose(matvec(a, x), a @ x, **tol)
    assert np.allclose(sandwich(a, b), a @ b @ a.T, rtol=1e-12, atol=1e-6)
    assert transpose(a) == a.T.tolist()
    assert math.isclose(dot(x, x), float(x @ x), rel_tol=1e-12, abs_tol=1e-9)


def test_sums_run_left_to_right():
    # the order is the contract: a reordered or compensated sum would give 1.0 here
    assert dot([1e16, 1.0, -1e16], [1.0, 1.0, 1.0]) == 0.0
    assert dot([1e16, 1.0, -1e16, 1.0], [1.0, 1.0, 1.0, 1.0]) == 1.0
    assert matvec([[1e16, 1.0, -1e16]], [1.0, 1.0, 1.0]) == [0.0]
    assert matmul([[1e16, 1.0, -1e16]], [[1.0], [1.0], [1.0]]) == [[0.0]]
    assert fixed_sum([0.1] * 10) == 0.9999999999999999      # not math.fsum's 1.0


def test_list_tuple_and_array_inputs_give_the_same_bits():
    rng = np.random.default_rng(5)
    a = rng.normal(size=(6, 6))
    x = rng.normal(size=6)
    assert matmul(a, a) == matmul(a.tolist(), tuple(map(tuple, a.tolist())))
    assert matvec(a, x) == matvec(a.tolist(), x.tolist())
    assert norm(x) == math.sqrt(fixed_sum(v * v for v in x.tolist()))


def test_cross_is_the_right_handed_product():
    assert cross((1.0, 0.0, 0.0), (0.0, 1.0, 0.0)) == (0.0, 0.0, 1.0)
    assert np.allclose(cross((1.0, 2.0, 3.0), (-2.0, 0.5, 4.0)), np.cross((1.0, 2.0, 3.0), (-2.0, 0.5, 4.0)))


def test_elementwise_is_the_c_library_function_per_element():
    x = np.linspace(-30.0, 30.0, 1001).reshape(7, 143)
    got = elementwise(math.exp, x)
    assert got.shape == x.shape and got.dtype == np.float64
    assert got.ravel().tolist() == [math.exp(v) for v in x.ravel().tolist()]
    two = elementwise(math.atan2, x, x[::-1], dtype=np.float32)
    assert two.dtype == np.float32
    assert two.ravel().tolist() == [float(np.float32(math.atan2(a, b)))
                                    for a, b in zip(x.ravel().tolist(), x[::-1].ravel().tolist())]

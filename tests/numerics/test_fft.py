"""fsw.numerics.fft: the CPU-independent FFT agrees with numpy's pocketfft to rounding (numpy
is the independent reference here, in a test), for every radix path (4, 2, odd factors,
primes), and a column's bits do not depend on what else is in the batch."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.numerics.fft import _factors, fft_axis0, irfft2, roots

sizes = st.integers(1, 300)


def _complex(rng, shape):
    return rng.standard_normal(shape) + 1j * rng.standard_normal(shape)


def _rel_err(got, ref):
    return float(np.max(np.abs(got - ref)) / max(float(np.max(np.abs(ref))), 1e-300))


@settings(max_examples=60)
@given(sizes, st.integers(1, 5), st.booleans(), st.integers(0, 2**32 - 1))
def test_fft_matches_numpy(n, batch, inverse, seed):
    x = _complex(np.random.default_rng(seed), (n, batch))
    re, im = fft_axis0(x.real, x.imag, inverse=inverse)
    ref = np.fft.ifft(x, axis=0) * n if inverse else np.fft.fft(x, axis=0)
    # rounding grows like log n for the radix-2/4 passes and like p for an odd radix p
    assert _rel_err(re + 1j * im, ref) < 1e-15 * (10 + 4 * n)


@settings(max_examples=60)
@given(st.integers(1, 40), st.integers(1, 70), st.integers(0, 2**32 - 1))
def test_irfft2_matches_numpy(n0, n1, seed):
    spec = _complex(np.random.default_rng(seed), (n0, n1 // 2 + 1))
    out = irfft2(spec.real, spec.imag, (n0, n1))
    ref = np.fft.irfft2(spec, s=(n0, n1))
    assert out.shape == ref.shape and out.dtype == np.float64
    assert _rel_err(out, ref) < 1e-13


def test_irfft2_of_a_large_power_of_two_and_the_terrain_sizes():
    rng = np.random.default_rng(3)
    for shape in [(512, 512), (104, 104), (35, 35), (206, 206), (64, 256)]:
        spec = _complex(rng, (shape[0], shape[1] // 2 + 1)).astype(np.complex64)
        out = irfft2(spec.real, spec.imag, shape, np.float32)
        assert out.dtype == np.float32
        assert _rel_err(out, np.fft.irfft2(spec.astype(np.complex128), s=shape)) < 1e-6


def test_round_trip_returns_the_input():
    x = _complex(np.random.default_rng(1), (96, 3))
    fr, fi = fft_axis0(x.real, x.imag)
    br, bi = fft_axis0(fr, fi, inverse=True)
    assert np.allclose(br / 96, x.real, atol=1e-14) and np.allclose(bi / 96, x.imag, atol=1e-14)


@pytest.mark.parametrize("n", [64, 96, 105])
def test_a_column_has_the_same_bits_alone_and_in_a_batch(n):
    """Elementwise passes: nothing sums across the batch, so its width (like a SIMD width)
    cannot change a bit of any column."""
    x = _complex(np.random.default_rng(n), (n, 17))
    re, im = fft_axis0(x.real, x.imag, inverse=True)
    for j in (0, 5, 16):
        r1, i1 = fft_axis0(x.real[:, j:j + 1], x.imag[:, j:j + 1], inverse=True)
        assert r1[:, 0].tobytes() == re[:, j].tobytes() and i1[:, 0].tobytes() == im[:, j].tobytes()


def test_trailing_axes_are_the_batch():
    x = _complex(np.random.default_rng(2), (16, 3, 4))
    re, im = fft_axis0(x.real, x.imag)
    assert re.shape == (16, 3, 4)
    assert _rel_err(re + 1j * im, np.fft.fft(x, axis=0)) < 1e-14


def test_radices_multiply_back_to_the_length():
    for n in range(1, 500):
        f = _factors(n)
        assert math.prod(f) == n
        assert f == sorted(f, key=lambda p: (p != 4, p != 2, p))     # fours, a two, odd factors


def test_roots_are_the_c_library_cosines_and_sines():
    c, s = roots(8, -1)
    assert c[0] == 1.0 and s[0] == 0.0
    assert c[1] == math.cos(2 * math.pi / 8) and s[1] == -math.sin(2 * math.pi / 8)
    assert roots(8, 1)[1][1] == math.sin(2 * math.pi / 8)


def test_mismatched_parts_are_refused():
    with pytest.raises(ValueError, match="one shape"):
        fft_axis0(np.zeros(4), np.zeros(5))
    with pytest.raises(ValueError, match="half spectrum"):
        irfft2(np.zeros((4, 4)), np.zeros((4, 4)), (4, 8))


@pytest.mark.parametrize("n", [16, 48, 105])
def test_single_precision_is_computed_in_single_precision(n):
    """float32 work: float32 results within single-precision rounding of numpy's double ones."""
    x = _complex(np.random.default_rng(n), (n, 4))
    re, im = fft_axis0(x.real.astype(np.float32), x.imag.astype(np.float32), dtype=np.float32)
    assert re.dtype == im.dtype == np.float32
    assert _rel_err(re + 1j * im, np.fft.fft(x.astype(np.complex64), axis=0)) < 1e-6
    with pytest.raises(ValueError, match="float32 or float64"):
        fft_axis0(x.real, x.imag, dtype=np.float16)

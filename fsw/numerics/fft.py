"""A fast Fourier transform whose bits are the same on every CPU.

numpy's FFT (pocketfft) is compiled C: a compiler for aarch64 fuses its multiply-adds, so
`np.fft.irfft2` gave the landing site another height map on an aarch64 board than on x86
(docs/determinism.md). This one is a mixed-radix Stockham FFT (radix 4, 2, then any odd
factor as a plain DFT) written as numpy *elementwise* operations on separate real and
imaginary float64 (or float32) arrays: every `+ - *` is its own ufunc call over a whole array, so no
compiler can fuse a multiply into an add, and the order of operations is fixed by this
source. Twiddle factors come from the C library's `math.cos`/`math.sin`.

Arrays are transformed along axis 0 with every other axis as the batch (the contiguous
one), which keeps numpy's inner loops long. Unnormalised like numpy (`inverse=True` flips the
sign of the exponent only); `irfft2` is normalised as `np.fft.irfft2`. In float32, the
landing site's 2048 x 2048 field takes ~0.3 s and ~70 MB of work space (pocketfft: ~0.07 s).
"""
from __future__ import annotations

import math

import numpy as np


def _factors(n: int) -> list[int]:
    """Radices of `n`: fours first, then a two, then odd factors in increasing order."""
    out = []
    while n % 4 == 0:
        out.append(4)
        n //= 4
    if n % 2 == 0:
        out.append(2)
        n //= 2
    f = 3
    while n > 1:
        while n % f == 0:
            out.append(f)
            n //= f
        f += 2
    return out


def roots(n: int, sign: int, dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
    """cos and sign * sin of 2 pi k / n, k = 0 .. n-1, from the C library (rounded to `dtype`)."""
    step = 2.0 * math.pi / n
    c = np.array([math.cos(step * k) for k in range(n)], dtype=np.float64)
    s = np.array([math.sin(step * k) for k in range(n)], dtype=np.float64)
    return c.astype(dtype), (s if sign > 0 else -s).astype(dtype)


def _cmul(ar: np.ndarray, ai: np.ndarray, br: np.ndarray, bi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ar + i ai)(br + i bi) as four products and two sums (each its own rounding)."""
    return ar * br - ai * bi, ar * bi + ai * br


Pair = tuple[np.ndarray, np.ndarray]     # real and imaginary parts


def _views(flat: Pair, shape: tuple[int, ...]) -> Pair:
    size = math.prod(shape)
    return flat[0][:size].reshape(shape), flat[1][:size].reshape(shape)


def _twiddle(yr: np.ndarray, yi: np.ndarray, tr: np.ndarray, ti: np.ndarray, t1: np.ndarray,
             t2: np.ndarray) -> None:
    """y *= t in place: yr tr - yi ti, yr ti + yi tr (the products of `_cmul`, same roundings)."""
    np.multiply(yr, ti, out=t1)
    np.multiply(yi, ti, out=t2)
    np.multiply(yr, tr, out=yr)
    np.subtract(yr, t2, out=yr)
    np.multiply(yi, tr, out=yi)
    np.add(t1, yi, out=yi)


def _pass(x: Pair, y: Pair, tmp: list[np.ndarray], p: int, m: int, s: int, n_cur: int,
          w: Pair, n: int, sign: int) -> None:
    """One Stockham pass of radix p over a length-n_cur sub-transform (stride s), from x to y,
    both (n, B): input x[q + s (r + m h)] (viewed (p, m, s, B)), output y[q + s (h' + p r)]
    (viewed (m, p, s, B)) = (sum_h x_h w_p^(h h')) w_n_cur^(r h'). Twiddles index the table
    `w` of n-th roots. Every operation is one numpy ufunc call with its own rounding."""
    b = x[0].shape[-1]
    xr, xi = (a.reshape(p, m, s, b) for a in x)
    yr, yi = (a.reshape(m, p, s, b) for a in y)
    t1, t2, t3, t4 = (t[:m * s * b].reshape(m, s, b) for t in tmp)
    wr, wi = w
    if p == 2:
        np.add(xr[0], xr[1], out=yr[:, 0])
        np.add(xi[0], xi[1], out=yi[:, 0])
        np.subtract(xr[0], xr[1], out=yr[:, 1])
        np.subtract(xi[0], xi[1], out=yi[:, 1])
    elif p == 4:
        y0r, y1r, y2r, y3r = (yr[:, k] for k in range(4))
        y0i, y1i, y2i, y3i = (yi[:, k] for k in range(4))
        np.add(xr[0], xr[2], out=y0r)            # t0 = x0 + x2
        np.add(xi[0], xi[2], out=y0i)
        np.subtract(xr[0], xr[2], out=y1r)       # t1 = x0 - x2
        np.subtract(xi[0], xi[2], out=y1i)
        np.add(xr[1], xr[3], out=t1)             # t2 = x1 + x3
        np.add(xi[1], xi[3], out=t2)
        np.subtract(xr[1], xr[3], out=t3)        # d = x1 - x3
        np.subtract(xi[1], xi[3], out=t4)
        np.subtract(y0r, t1, out=y2r)            # y2 = t0 - t2
        np.subtract(y0i, t2, out=y2i)
        np.add(y0r, t1, out=y0r)                 # y0 = t0 + t2
        np.add(y0i, t2, out=y0i)
        # t3 = sign i d (a swap and a negation, exact); y1 = t1 + t3, y3 = t1 - t3
        if sign > 0:                             # t3 = (-d_i, d_r)
            np.add(y1r, t4, out=y3r)
            np.subtract(y1i, t3, out=y3i)
            np.subtract(y1r, t4, out=y1r)
            np.add(y1i, t3, out=y1i)
        else:                                    # t3 = (d_i, -d_r)
            np.subtract(y1r, t4, out=y3r)
            np.add(y1i, t3, out=y3i)
            np.add(y1r, t4, out=y1r)
            np.subtract(y1i, t3, out=y1i)
    else:                                        # any odd radix: the plain DFT, h in order
        step = n // p
        for hp in range(p):
            np.copyto(yr[:, hp], xr[0])
            np.copyto(yi[:, hp], xi[0])
            for h in range(1, p):
                k = (h * hp % p) * step
                np.multiply(xr[h], wr[k], out=t1)     # x_h w: xr c - xi s, xr s + xi c
                np.multiply(xi[h], wi[k], out=t2)
                np.subtract(t1, t2, out=t1)
                np.multiply(xr[h], wi[k], out=t2)
                np.multiply(xi[h], wr[k], out=t3)
                np.add(t2, t3, out=t2)
                np.add(yr[:, hp], t1, out=yr[:, hp])
                np.add(yi[:, hp], t2, out=yi[:, hp])
    stride = n // n_cur
    r = np.arange(m)
    for hp in range(1, p):
        k = (r * hp % n_cur) * stride
        _twiddle(yr[:, hp], yi[:, hp], wr[k][:, None, None], wi[k][:, None, None], t1, t2)


def _transform(x: Pair, y: Pair, tmp: list[np.ndarray], sign: int) -> Pair:
    """The DFT along axis 0 of the (n, B) pair x, using y and `tmp` (4 arrays of at least
    n B / 2) as work space; returns the pair (x or y) holding the result."""
    n = x[0].shape[0]
    if n <= 1:
        return x
    w = roots(n, sign, x[0].dtype)
    n_cur, s = n, 1
    for p in _factors(n):
        m = n_cur // p
        _pass(x, y, tmp, p, m, s, n_cur, w, n, sign)
        x, y = y, x
        n_cur, s = m, s * p
    return x


def _buffers(size: int, dtype: np.dtype) -> tuple[Pair, Pair, list[np.ndarray]]:
    """Two pairs of `size` and four scratch arrays of half that (allocated once: fresh arrays
    in every pass would cost their page faults each time)."""
    return ((np.empty(size, dtype), np.empty(size, dtype)), (np.empty(size, dtype), np.empty(size, dtype)),
            [np.empty(size // 2 + 1, dtype) for _ in range(4)])


def _precision(dtype: type) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"the FFT computes in float32 or float64, not {dt}")
    return dt


def fft_axis0(re: np.ndarray, im: np.ndarray, *, inverse: bool = False, dtype: type = np.float64) -> Pair:
    """Unnormalised DFT along axis 0 of the complex array re + i im (any trailing shape):
    X[k] = sum_j x[j] exp(-+ 2 pi i j k / n), minus forward, plus `inverse`; computed in
    `dtype` (float64 or float32), new arrays."""
    dtype = _precision(dtype)
    re = np.asarray(re)
    im = np.asarray(im)
    if re.shape != im.shape or re.ndim == 0:
        raise ValueError(f"real and imaginary parts must have one shape, got {re.shape} and {im.shape}")
    shape = re.shape
    flat_shape = (shape[0], re.size // shape[0] if shape[0] else 0)
    a, b, tmp = _buffers(re.size, dtype)
    x, y = _views(a, flat_shape), _views(b, flat_shape)
    np.copyto(x[0], re.reshape(flat_shape))
    np.copyto(x[1], im.reshape(flat_shape))
    out = _transform(x, y, tmp, 1 if inverse else -1)
    return out[0].reshape(shape), out[1].reshape(shape)


def irfft2(re: np.ndarray, im: np.ndarray, shape: tuple[int, int], dtype: type = np.float64) -> np.ndarray:
    """`np.fft.irfft2(re + 1j im, s=shape)`: the real (n0, n1) field of a half spectrum of
    shape (n0, n1 // 2 + 1), normalised by 1 / (n0 n1), computed and given in `dtype` (float64,
    or float32: twice as fast, pocketfft's single precision). As numpy does, the inverse along axis 0 comes first and the imaginary parts the
    real transform cannot hold (its first column, and its last for an even n1) are dropped."""
    n0, n1 = shape
    h = n1 // 2
    if np.shape(re) != (n0, h + 1) or np.shape(im) != np.shape(re):
        raise ValueError(f"a half spectrum for {shape} has shape {(n0, h + 1)}, got {np.shape(re)} and {np.shape(im)}")
    dtype = _precision(dtype)
    scale = 1.0 / (n0 * n1)
    if n1 % 2:
        # odd length: the whole Hermitian spectrum, one complex transform, its real part
        cr, ci = fft_axis0(re, im, inverse=True, dtype=dtype)
        cr, ci = cr.T, ci.T
        ci[0] = 0.0
        fr = np.concatenate((cr, cr[h:0:-1]))
        fi = np.concatenate((ci, -ci[h:0:-1]))
        full, _ = fft_axis0(fr, fi, inverse=True, dtype=dtype)
        return np.multiply(full.T, scale, dtype=dtype)
    a, b, tmp = _buffers(n0 * (h + 1), dtype)
    x, y = _views(a, (n0, h + 1)), _views(b, (n0, h + 1))
    np.copyto(x[0], re)
    np.copyto(x[1], im)
    c = _transform(x, y, tmp, 1)
    free = b if c[0].base is a[0] else a
    # the transpose: rows are frequencies along axis 1, columns the n0 output rows
    cr, ci = _views(free, (h + 1, n0))
    np.copyto(cr, c[0].T)
    np.copyto(ci, c[1].T)
    ci[0] = 0.0
    ci[h] = 0.0
    # Even length: the even and odd samples as the real and imaginary parts of one complex
    # transform of length h. With Y[k] = conj(X[h - k]):
    #   Z[k] = (X[k] + Y[k]) + i exp(2 pi i k / n1) (X[k] - Y[k]),  z = IDFT_h(Z) (unnormalised),
    #   x[2j] = Re z[j] / n1, x[2j + 1] = Im z[j] / n1.
    z = _views(a if free is b else b, (h, n0))
    wr, wi = roots(n1, 1, dtype)
    for lo, hi in ((0, h // 2), (h // 2, h)):            # in halves: the scratch is half size
        xr, xi = cr[lo:hi], ci[lo:hi]
        yr, yi = cr[h - lo:h - hi:-1], ci[h - lo:h - hi:-1]  # Y = (yr, -yi)
        t1, t2, t3, t4 = (t[:(hi - lo) * n0].reshape(hi - lo, n0) for t in tmp)
        zr, zi = z[0][lo:hi], z[1][lo:hi]
        np.add(xr, yr, out=zr)                            # X + Y
        np.subtract(xi, yi, out=zi)
        np.subtract(xr, yr, out=t1)                       # d = X - Y
        np.add(xi, yi, out=t2)
        cw, sw = wr[lo:hi, None], wi[lo:hi, None]
        np.multiply(t1, cw, out=t3)                       # e = exp(..) d: dr c - di s, dr s + di c
        np.multiply(t2, sw, out=t4)
        np.subtract(t3, t4, out=t3)
        np.multiply(t1, sw, out=t4)
        np.multiply(t2, cw, out=t1)
        np.add(t4, t1, out=t4)
        np.subtract(zr, t4, out=zr)                       # Z = (X + Y) + i e
        np.add(zi, t3, out=zi)
    other = _views(free, (h, n0))
    zt = _transform(z, other, tmp, 1)
    out = np.empty((n0, h, 2), dtype=dtype)
    np.multiply(zt[0].T, scale, out=out[:, :, 0])
    np.multiply(zt[1].T, scale, out=out[:, :, 1])
    return out.reshape(n0, n1)


__all__ = ["fft_axis0", "irfft2", "roots"]

"""The landing's speed-ups (issue 23, session 5) give the very bits of the code they replaced.

Each reference below is the routine as it was written before; the fast version must agree
bit for bit (signed zeros included) on any input of its domain: the landing's golden
telemetry hash holds only because of that, and these tests say where it would break."""
from __future__ import annotations

import math
import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc import map_product
from fsw.gnc.site_select import periodic_height
from fsw.gnc.trn import _window_sums, ncc


def bits(x) -> list[bytes]:
    flat = np.asarray(x, dtype=np.float64).ravel().tolist()
    return [struct.pack("<d", v) for v in flat]


# ---------------------------------------------------------------- references: the code before
def ref_periodic_height(h, res, corner_x, corner_y, x_m, y_m):
    n0, n1 = h.shape
    fx = (x_m - corner_x) / res - 0.5
    fy = (y_m - corner_y) / res - 0.5
    j, i = math.floor(fx), math.floor(fy)
    tx, ty = fx - j, fy - i
    j0, i0 = j % n1, i % n0
    j1, i1 = (j0 + 1) % n1, (i0 + 1) % n0
    top = float(h[i0, j0]) * (1 - tx) + float(h[i0, j1]) * tx
    bottom = float(h[i1, j0]) * (1 - tx) + float(h[i1, j1]) * tx
    return top * (1 - ty) + bottom * ty


def ref_ncc(template, search):
    h, w = template.shape
    oh, ow = search.shape[0] - h + 1, search.shape[1] - w + 1
    corr = np.zeros((oh, ow), dtype=np.int64)
    for u in range(h):
        for v in range(w):
            t = int(template[u, v])
            if t:
                corr += t * search[u:u + oh, v:v + ow]
    n = h * w
    st_ = int(template.sum())
    st2 = int((template * template).sum())
    sm, sm2 = _window_sums(search, h, w)
    num = (n * corr - st_ * sm).astype(np.float64)
    var_t = float(n * st2 - st_ * st_)
    var_m = (n * sm2 - sm * sm).astype(np.float64)
    den = np.sqrt(np.maximum(var_m, 0.0) * var_t)
    return np.where(den > 0.0, num / np.where(den > 0.0, den, 1.0), 0.0)


# ---------------------------------------------------------------- the map's heights
coord = st.floats(-5e3, 5e3, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.integers(4, 12), st.sampled_from(["<f4", "<f8"]), st.floats(0.1, 3.0), coord, coord,
       st.lists(st.tuples(coord, coord), min_size=1, max_size=20), st.integers(0, 2**32 - 1))
def test_periodic_height_by_rows_is_the_cell_by_cell_one(tmp_path_factory, n, dtype, res, cx, cy, points, seed):
    """The flight's map (a product's layer, through its row cache) and the simulator's plain
    (an array) give the heights the four float(h[i, j]) reads gave."""
    a = (np.random.default_rng(seed).standard_normal((n, n)) * 30).astype(np.dtype(dtype))
    path = tmp_path_factory.mktemp("p") / "h.msrmap"
    map_product.write(path, {"h": a}, {})
    layer = map_product.read(path).layer("h")
    for x, y in points:
        want = bits(ref_periodic_height(a, res, cx, cy, x, y))
        assert bits(periodic_height(a, res, cx, cy, x, y)) == want
        assert bits(periodic_height(layer, res, cx, cy, x, y)) == want


# ---------------------------------------------------------------- TRN's correlation
@settings(max_examples=100, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(0, 8), st.integers(0, 8), st.integers(0, 2**32 - 1),
       st.booleans())
def test_ncc_over_window_views_is_the_shifted_sums_one(h, w, extra_h, extra_w, seed, flat):
    """Every correlation of the strided windows is the loop over the template's cells,
    bit for bit, blank (zero-variance) windows and templates included."""
    rng = np.random.default_rng(seed)
    template = rng.integers(0, 256, (h, w)).astype(np.int64)
    search = rng.integers(0, 256, (h + extra_h, w + extra_w)).astype(np.int64)
    if flat:
        search[: h + extra_h // 2] = 7
    got = ncc(template, search)
    assert got.dtype == np.float64 and bits(got) == bits(ref_ncc(template, search))

"""Onboard map products (fsw.gnc.map_product, fsw.gnc.safety_product, fsw.gnc.orbital_product):
the codec round-trips any layers and meta, reads exactly the cells asked for, and refuses a
damaged, foreign or mismatched file with one line; the landing's products are the ground's
assessment and orbital map bit for bit, and the flight code's answers from them are the same."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc import hazard, map_product, orbital_product, safety_product, site_select, trn
from fsw.gnc.map_product import ALIGN, MapProductError

DTYPES = ["<f4", "<f8", "|b1", "|u1", "<i2", "<i4"]
layer_arrays = st.tuples(st.sampled_from(DTYPES), st.integers(0, 40), st.integers(1, 40), st.booleans(),
                         st.integers(0, 2**32 - 1))


def _array(spec):
    dtype, n0, n1, one_d, seed = spec
    rng = np.random.default_rng(seed)
    shape = (n0 * n1,) if one_d else (n0, n1)
    return (rng.standard_normal(shape) * 100).astype(np.dtype(dtype))


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.text("abcdefghij_", min_size=1, max_size=8), layer_arrays, min_size=1, max_size=4),
       st.dictionaries(st.text("xyz", min_size=1, max_size=3), st.one_of(st.integers(), st.floats(allow_nan=False),
                                                                       st.text(max_size=5)), max_size=3))
def test_any_layers_and_meta_round_trip(tmp_path_factory, specs, meta):
    layers = {name: _array(spec) for name, spec in specs.items()}
    path = tmp_path_factory.mktemp("p") / "x.msrmap"
    map_product.write(path, layers, meta)
    p = map_product.read(path)
    assert p.meta == meta and list(p.layers) == list(layers)
    for name, a in layers.items():
        got = p.array(name)
        assert got.dtype == a.dtype and got.shape == a.shape and got.tobytes() == a.tobytes()
    hdr, size = map_product.read_header(path)
    assert size % ALIGN == 0 and all(e["offset"] % ALIGN == 0 for e in hdr["layers"])


index = st.one_of(st.integers(-45, 44),
                  st.builds(slice, st.one_of(st.none(), st.integers(-50, 50)), st.one_of(st.none(), st.integers(-50, 50)),
                            st.one_of(st.none(), st.integers(-5, 5).filter(lambda k: k != 0))))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 44), st.integers(1, 44), st.sampled_from(["<f4", "|b1", "<f8"]),
       st.lists(index, min_size=1, max_size=2), st.integers(0, 2**32 - 1))
def test_a_layer_reads_what_numpy_indexing_gives(tmp_path_factory, n0, n1, dtype, key, seed):
    a = (np.random.default_rng(seed).standard_normal((n0, n1)) * 10).astype(np.dtype(dtype))
    path = tmp_path_factory.mktemp("p") / "x.msrmap"
    map_product.write(path, {"a": a}, {})
    layer = map_product.read(path).layer("a")
    key = tuple(key)
    try:
        want = a[key]
    except IndexError:
        with pytest.raises(IndexError):
            layer[key]
        return
    got = layer[key]
    assert np.shape(got) == np.shape(want) and np.asarray(got).tobytes() == np.asarray(want).tobytes()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.sampled_from(["<f4", "|b1", "<f8", "|u1"]),
       st.lists(st.tuples(st.integers(-31, 30), st.integers(-31, 30)), min_size=1, max_size=60),
       st.integers(0, 2**32 - 1))
def test_single_cells_read_in_any_order_are_numpy_s(tmp_path_factory, n0, n1, dtype, cells, seed):
    """The heights under the lander: cells one at a time, through the row cache (rows kept,
    the oldest dropped past Layer.ROW_CACHE), each the very value and type numpy gives."""
    a = (np.random.default_rng(seed).standard_normal((n0, n1)) * 10).astype(np.dtype(dtype))
    path = tmp_path_factory.mktemp("p") / "x.msrmap"
    map_product.write(path, {"a": a}, {})
    layer = map_product.read(path).layer("a")
    for i, j in cells:
        if not (-n0 <= i < n0 and -n1 <= j < n1):
            with pytest.raises(IndexError):
                layer[i, j]
            continue
        got, want = layer[i, j], a[i, j]
        assert type(got) is type(want) and np.asarray(got).tobytes() == np.asarray(want).tobytes()
    assert len(layer._rows) <= layer.ROW_CACHE


wrapped = st.tuples(st.integers(-60, 60), st.integers(0, 50))     # start, length: indices taken mod n


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 44), st.integers(1, 44), st.sampled_from(["<f4", "|b1", "|u1"]), wrapped, wrapped,
       st.integers(0, 2**32 - 1))
def test_a_layer_reads_a_wrapped_window_as_numpy_ix_gives(tmp_path_factory, n0, n1, dtype, rows, cols, seed):
    a = (np.random.default_rng(seed).standard_normal((n0, n1)) * 10).astype(np.dtype(dtype))
    path = tmp_path_factory.mktemp("p") / "x.msrmap"
    map_product.write(path, {"a": a}, {})
    layer = map_product.read(path).layer("a")
    ix = np.ix_(np.arange(rows[0], rows[0] + rows[1]) % n0, np.arange(cols[0], cols[0] + cols[1]) % n1)
    got = layer[ix]
    assert got.shape == a[ix].shape and got.tobytes() == a[ix].tobytes()


def test_a_layer_refuses_fancy_indexing(tmp_path):
    map_product.write(tmp_path / "x.msrmap", {"a": np.zeros((4, 4))}, {})
    layer = map_product.read(tmp_path / "x.msrmap").layer("a")
    with pytest.raises(IndexError, match="only ints and slices"):
        layer[np.array([1, 2])]
    with pytest.raises(IndexError, match=r"only as np.ix_"):          # numpy's pointwise form: not taken
        layer[np.array([1, 2]), np.array([1, 2])]
    with pytest.raises(IndexError, match="out of range"):
        layer[np.ix_(np.array([0, 4]), np.array([1]))]
    with pytest.raises(MapProductError, match="no layer 'b'"):
        map_product.read(tmp_path / "x.msrmap").layer("b")


def _product(tmp_path):
    path = tmp_path / "x.msrmap"
    map_product.write(path, {"h": np.arange(64, dtype=np.float32).reshape(8, 8),
                             "m": np.eye(8, dtype=bool)}, {"kind": "test"})
    return path


def _flip(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def test_damage_is_one_line_naming_the_file_and_the_part(tmp_path):
    path = _product(tmp_path)
    hdr, _ = map_product.read_header(path)
    cases = {
        "layer 'm' damaged (CRC)": lambda: _flip(path, hdr["layers"][1]["offset"] + 3),
        "header damaged": lambda: _flip(path, 20),
        "not an onboard map product": lambda: _flip(path, 0),
        "does not fit the file": lambda: path.write_bytes(path.read_bytes()[:hdr["layers"][1]["offset"] + 2]),
    }
    for words, damage in cases.items():
        _product(tmp_path)
        damage()
        with pytest.raises(MapProductError) as exc:
            map_product.read(path)
        msg = str(exc.value)
        assert words in msg and str(path) in msg and "\n" not in msg, (words, msg)
    with pytest.raises(MapProductError, match="cannot read"):
        map_product.read(tmp_path / "missing.msrmap")


def test_another_format_version_is_refused(tmp_path):
    path = _product(tmp_path)
    data = path.read_bytes()
    _, n, _ = struct.unpack("<8sII", data[:16])
    hdr = json.loads(data[16:16 + n])
    hdr["format"] = "msr-map/9"
    raw = json.dumps(hdr).encode()
    import zlib
    path.write_bytes(struct.pack("<8sII", map_product.MAGIC, len(raw), zlib.crc32(raw)) + raw + data[16 + n:])
    with pytest.raises(MapProductError, match="format 'msr-map/9'"):
        map_product.read(path)


def test_a_failed_write_leaves_no_file(tmp_path):
    with pytest.raises(MapProductError):
        map_product.write(tmp_path / "x.msrmap", {"o": np.array([object()])}, {})
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- the landing's product

def _site(n=300):
    """Undulating ground steep in places, a few big rocks and a dune field: ~27% of it safe
    for a 15 m disc at 10 deg."""
    rng = np.random.default_rng(4)
    y, x = np.mgrid[0:n, 0:n] * 0.5
    h = (0.1 * np.sin(x / 9.0) * x / 10 + 0.01 * rng.standard_normal((n, n))).astype(np.float32)
    rock = np.where(rng.random((n, n)) < 3e-4, np.float32(0.3), np.float32(0.0)).astype(np.float32)
    dune = np.zeros((n, n), bool)
    dune[10:20, 200:260] = True
    return hazard.OnboardMap(h, rock, dune, 0.5)


def test_the_landing_product_is_the_ground_assessment_bit_for_bit(tmp_path):
    onboard, limits = _site(), hazard.HazardLimits(slope_limit_deg=10.0, safe_radius_m=15.0)
    ground = safety_product.write(tmp_path / "s.msrmap", onboard, limits, {"terrain_seed": 3})
    flight = safety_product.load(tmp_path / "s.msrmap", limits, {"terrain_seed": 3})
    assert flight.safe_fraction == ground.safe_fraction > 0.0
    assert np.asarray(flight.safe).tobytes() == ground.safe.tobytes()
    for name in ("slope_deg", "roughness_m", "rock_m", "dune", "hazard"):
        assert np.asarray(getattr(flight.layers, name)).tobytes() == getattr(ground.layers, name).tobytes(), name
    # what the lander does with it gives the same answers
    for target, predicted in [((0.0, 0.0), (-20.0, 10.0)), ((30.0, -40.0), (0.0, 0.0))]:
        a = hazard.choose_site(ground, target, predicted, 60.0)
        b = hazard.choose_site(flight, target, predicted, 60.0)
        assert a is not None
        assert a == b
        assert hazard.site_metrics(ground, a.i, a.j) == hazard.site_metrics(flight, a.i, a.j)
    for x, y in [(-70.0, 3.3), (12.25, -50.0), (74.9, 74.9)]:
        assert flight.map.height_at(x, y) == ground.map.height_at(x, y)


def test_the_landing_product_is_refused_for_other_limits_or_another_site(tmp_path):
    path = tmp_path / "s.msrmap"
    safety_product.write(path, _site(64), hazard.HazardLimits(), {"terrain_seed": 3})
    with pytest.raises(MapProductError, match="slope_limit_deg: lander 10.0, map 12.0"):
        safety_product.load(path, hazard.HazardLimits(slope_limit_deg=10.0))
    with pytest.raises(MapProductError, match="this flight expects"):
        safety_product.load(path, hazard.HazardLimits(), {"terrain_seed": 4})
    other = tmp_path / "o.msrmap"
    map_product.write(other, {"h": np.zeros((4, 4), np.float32)}, {"kind": "trn-reference"})
    with pytest.raises(MapProductError, match="not a landing-safety-map"):
        safety_product.load(other, hazard.HazardLimits())


def _roll_metrics(sm, i, j):
    """site_select.site_metrics as it was: the whole layers rolled so (i, j) is mid-map."""
    n = sm.map.n
    L = sm.layers

    def roll(a):
        return np.roll(np.asarray(a), (n // 2 - i, n // 2 - j), axis=(0, 1))
    rolled = hazard.SafetyMap(sm.map, sm.limits, hazard.HazardLayers(
        roll(L.slope_deg), roll(L.roughness_m), roll(L.rock_m), roll(L.dune), roll(L.hazard)), np.asarray(sm.safe))
    return hazard.site_metrics(rolled, n // 2, n // 2)


def test_the_periodic_site_map_product_gives_the_lander_the_same_sites(tmp_path):
    """The EDL landing's map repeats over the plain: assessed wrapped round on the ground, loaded
    as a PeriodicMap, it chooses the same sites (near an edge too) with the same metrics."""
    m = _site(200)
    onboard = site_select.PeriodicMap(m.height_m, m.max_rock_m, m.dune_mask, m.resolution_m)
    limits = hazard.HazardLimits(slope_limit_deg=10.0, safe_radius_m=10.0)
    ground = safety_product.write(tmp_path / "p.msrmap", onboard, limits, {"terrain_seed": 3})
    flight = safety_product.load(tmp_path / "p.msrmap", limits, {"terrain_seed": 3})
    assert isinstance(flight.map, site_select.PeriodicMap) and flight.safe_fraction == ground.safe_fraction > 0.0
    assert np.asarray(flight.safe).tobytes() == site_select.assess(onboard, limits).safe.tobytes()
    for target, predicted in [((0.0, 0.0), (-20.0, 10.0)), ((49.0, -49.0), (48.0, 45.0)), ((-300.0, 120.0), (-290.0, 100.0))]:
        a = site_select.choose_site(ground, target, predicted, 40.0)
        b = site_select.choose_site(flight, target, predicted, 40.0)
        assert a is not None and a == b
        metrics = site_select.site_metrics(flight, a.i, a.j)
        assert metrics == site_select.site_metrics(ground, a.i, a.j) == _roll_metrics(ground, a.i, a.j)
    for x, y in [(-70.0, 3.3), (49.9, -49.9), (812.25, -350.0)]:
        assert flight.map.height_at(x, y) == ground.map.height_at(x, y)


def test_the_orbital_map_product_is_the_ground_map_and_correlates_the_same(tmp_path):
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (128, 128), dtype=np.uint8)
    omap = trn.OrbitalMap(image, 8.0)
    path = tmp_path / "o.msrmap"
    orbital_product.write(path, omap, {"terrain_seed": 3})
    loaded = orbital_product.load(path, {"terrain_seed": 3})
    assert loaded.res_m == 8.0 and loaded.n == 128 and np.asarray(loaded.image).tobytes() == image.tobytes()
    for x0, y0, spacing, nx, ny in [(-500.0, 300.0, 24.0, 9, 7), (480.0, -510.0, 8.0, 30, 30), (0.0, 0.0, 40.0, 40, 40)]:
        want = trn.map_boxes(omap, x0, y0, spacing, nx, ny)
        assert trn.map_boxes(loaded, x0, y0, spacing, nx, ny).tobytes() == want.tobytes()
    with pytest.raises(MapProductError, match="this flight expects"):
        orbital_product.load(path, {"terrain_seed": 4})
    with pytest.raises(MapProductError, match="square uint8"):
        orbital_product.write(tmp_path / "f.msrmap", trn.OrbitalMap(image.astype(np.float32), 8.0), {})
    safety_product.write(tmp_path / "s.msrmap", _site(64), hazard.HazardLimits(), {})
    with pytest.raises(MapProductError, match="not a trn-orbital-map"):
        orbital_product.load(tmp_path / "s.msrmap")
    with pytest.raises(MapProductError, match="not a landing-safety-map"):
        safety_product.load(path, hazard.HazardLimits())

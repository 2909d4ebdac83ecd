"""Onboard map products (fsw.gnc.map_product, fsw.gnc.safety_product): the codec round-trips
any layers and meta, reads exactly the cells asked for, and refuses a damaged, foreign or
mismatched file with one line; the landing's product is the ground's assessment bit for bit."""
from __future__ import annotations

import json
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc import hazard, map_product, safety_product
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


def test_a_layer_refuses_fancy_indexing(tmp_path):
    map_product.write(tmp_path / "x.msrmap", {"a": np.zeros((4, 4))}, {})
    layer = map_product.read(tmp_path / "x.msrmap").layer("a")
    with pytest.raises(IndexError, match="only ints and slices"):
        layer[np.array([1, 2])]
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

"""The product cache (sim/product_cache.py): the landing's map products made once and found
again by content, verified before use, a damaged entry made again, safe with writers racing."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from fsw.core import SimClock
from fsw.gnc import map_product
from sim import product_cache
from sim.deployment import Deployment

SMALL = {"n_cells": 1024}         # the smallest site map (512 m): fastest to make


def flight_of(dep):
    plant = dep.plant()
    topo, _ = dep.flight(dep.sim_devices(plant), SimClock(plant.now_ns()))
    return topo


def test_the_landing_products_are_made_once_then_found_with_the_same_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv("MSR_CACHE_DIR", str(tmp_path / "cache"))
    first = Deployment("landing", 1, dict(SMALL))
    flight_of(first)
    names = first.products()
    assert first.product_sources == {k: f"made here: {n}" for k, n in names.items()}
    entry = tmp_path / "cache" / "products" / product_cache.code_digest()
    assert set(names.values()) <= {p.name for p in entry.iterdir()}    # (and the site terrain)
    again = Deployment("landing", 1, dict(SMALL))
    topo = flight_of(again)
    assert again.product_sources == {k: f"cached: {entry / n}" for k, n in names.items()}
    assert type(topo["trn"].map.image).__name__ == "Layer"          # loaded from the cached file
    made = Deployment("landing", 1, dict(SMALL)).make_products(tmp_path / "fresh")
    for k, n in names.items():                                        # what the ground makes now
        assert (entry / n).read_bytes() == made[k].read_bytes()
    other = Deployment("landing", 1, {**SMALL, "terrain_seed": 2})
    flight_of(other)                                                  # other inputs, other entries
    assert all(s.startswith("made here") for s in other.product_sources.values())


def _small_products(seed: int):
    """A make function for two tiny products, and how many times it was called."""
    calls = []

    def make(only, into):
        calls.append(dict(only))
        out = {}
        for k, name in only.items():
            a = np.random.default_rng([seed, len(name)]).standard_normal((64, 64)).astype(np.float32)
            out[k] = map_product.write(into / name, {"a": a}, {"k": k})
        return out
    return make, calls


def test_a_damaged_entry_is_made_again_never_used(tmp_path):
    names = {"one": "one-0123.msrmap", "two": "two-4567.msrmap"}
    make, calls = _small_products(1)
    found, made = product_cache.products(names, make, tmp_path)
    assert not found and set(made) == {"one", "two"} and calls == [names]
    good = made["one"].read_bytes()
    damaged = bytearray(good)
    damaged[-100] ^= 0xFF                                              # a bit of the layer's data
    made["one"].write_bytes(bytes(damaged))
    made["two"].write_bytes(made["two"].read_bytes()[:5000])          # truncated
    found, made = product_cache.products(names, make, tmp_path)
    assert not found and calls[-1] == names                            # both made again
    assert made["one"].read_bytes() == good and map_product.read(made["two"])
    found, made = product_cache.products(names, make, tmp_path)
    assert set(found) == {"one", "two"} and not made and len(calls) == 2


def test_writers_racing_on_one_entry_each_leave_a_whole_product(tmp_path):
    names = {"one": "one-0123.msrmap"}
    results, errors = [], []

    def writer():
        try:
            results.append(product_cache.products(names, _small_products(1)[0], tmp_path))
        except Exception as exc:                                     # pragma: no cover - the failure
            errors.append(exc)
    threads = [threading.Thread(target=writer) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 6
    entry = tmp_path / "products" / product_cache.code_digest()
    assert [p.name for p in entry.iterdir()] == ["one-0123.msrmap"]   # no temporary file left
    assert map_product.read(entry / "one-0123.msrmap").array("a").shape == (64, 64)


def test_off_or_unwritable_the_caller_makes_them_elsewhere(tmp_path, monkeypatch):
    monkeypatch.setenv("MSR_CACHE_DIR", "off")
    assert product_cache.root() is None
    assert product_cache.products({"one": "x.msrmap"}, _small_products(1)[0]) is None
    monkeypatch.delenv("MSR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert product_cache.root() == tmp_path / "xdg" / "msr"
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert product_cache.products({"one": "x.msrmap"}, _small_products(1)[0], blocker) is None


def test_the_code_digest_follows_every_source_file(tmp_path):
    for pkg in ("hal", "fsw", "sim"):
        (tmp_path / pkg / "sub").mkdir(parents=True)
        (tmp_path / pkg / "sub" / "m.py").write_text("x = 1\n")
    before = product_cache.code_digest(tmp_path)
    product_cache._CODE.clear()
    (tmp_path / "fsw" / "sub" / "m.py").write_text("x = 2\n")
    assert product_cache.code_digest(tmp_path) != before
    product_cache._CODE.clear()


def test_only_the_most_recently_used_code_versions_stay(tmp_path, monkeypatch):
    import os
    products = tmp_path / "products"
    for k in range(6):
        (products / f"old{k}").mkdir(parents=True)
        os.utime(products / f"old{k}", (1000 + k, 1000 + k))
    product_cache.products({"one": "x.msrmap"}, _small_products(1)[0], tmp_path)
    kept = sorted(p.name for p in products.iterdir())
    assert len(kept) == product_cache.KEEP and product_cache.code_digest() in kept
    assert {"old5", "old4", "old3"} <= set(kept)


def test_a_terrain_kept_in_the_cache_is_the_generated_one_bit_for_bit(tmp_path, monkeypatch):
    from sim import terrain
    from sim.terrain import SITE_TERRAIN, TerrainParams, generate, site_terrain_params
    monkeypatch.setenv("MSR_CACHE_DIR", str(tmp_path))
    params = site_terrain_params({**SITE_TERRAIN, "n_cells": terrain.CACHE_MIN_CELLS})
    ref = terrain._generate(params, np.random.default_rng(7))
    layers = ("height_m", "dune_mask", "rocks_xy_m", "rocks_d_m", "craters", "max_rock_m")

    def same(t, want):
        assert t.tubes == want.tubes and t.params == want.params
        for k in layers:
            a, b = getattr(t, k), getattr(want, k)
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), k
    for _ in range(2):                               # made (and kept), then read back
        terrain._LAST_GENERATED.clear()
        same(generate(params, seed=7), ref)
    entry, = (tmp_path / "products" / product_cache.code_digest()).glob("terrain-*")
    terrain._LAST_GENERATED.clear()
    shifted = TerrainParams(**{**params.__dict__, "shift_m": (7.5, -8.5)})
    same(generate(shifted, seed=7), terrain._generate(shifted, np.random.default_rng(7)))
    data = bytearray(entry.read_bytes())
    data[-50] ^= 0x01                                 # damaged: made again, never used
    entry.write_bytes(bytes(data))
    terrain._LAST_GENERATED.clear()
    same(generate(params, seed=7), ref)
    assert map_product.read(entry)
    terrain._LAST_GENERATED.clear()


def test_the_files_used_last_stay_within_the_budget(tmp_path, monkeypatch):
    """A Monte Carlo over terrain seeds makes ~110 MB a seed: the oldest entries go past
    MSR_CACHE_MAX_MB, never those being handed out."""
    import os
    make, calls = _small_products(1)
    size = None
    for k in range(5):
        found, made = product_cache.products({"one": f"p{k}.msrmap"}, make, tmp_path)
        size = made["one"].stat().st_size
        os.utime(made["one"], (2000 + k, 2000 + k))             # in the order they were made
    entry = tmp_path / "products" / product_cache.code_digest()
    assert len(list(entry.iterdir())) == 5                        # within the default budget
    monkeypatch.setenv("MSR_CACHE_MAX_MB", str(2.5 * size / (1 << 20)))
    found, made = product_cache.products({"one": "p0.msrmap", "two": "new.msrmap"}, make, tmp_path)
    assert set(found) == {"one"} and set(made) == {"two"}
    assert sorted(p.name for p in entry.iterdir()) == ["new.msrmap", "p0.msrmap"]   # in use: kept
    assert map_product.read(found["one"]) and map_product.read(made["two"])

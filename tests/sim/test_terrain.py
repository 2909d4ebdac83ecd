"""Terrain generator: determinism, the rock size-frequency model, the rock raster, parameters."""
from __future__ import annotations

import math

import numpy as np
import pytest

from sim.terrain import (LANDING_ROCK_LIMIT_M, DepotParams, TerrainError, TerrainParams, generate,
                         rasterise_rocks, rock_number_density)

SMALL = TerrainParams(n_cells=256)


def _arrays(t):
    return [t.height_m, t.dune_mask, t.rocks_xy_m, t.rocks_d_m, t.craters, t.max_rock_m, t.slope_deg]


def test_same_seed_gives_byte_identical_terrain():
    a, b = generate(SMALL, seed=7), generate(SMALL, seed=7)
    for x, y in zip(_arrays(a), _arrays(b)):
        assert x.tobytes() == y.tobytes()
    c = generate(SMALL, seed=8)
    assert a.height_m.tobytes() != c.height_m.tobytes()


def test_layers_have_the_configured_shape_and_types():
    t = generate(TerrainParams(n_cells=128, resolution_m=1.0), seed=1)
    assert t.height_m.shape == t.dune_mask.shape == t.max_rock_m.shape == (128, 128)
    assert t.height_m.dtype == np.float32 and t.max_rock_m.dtype == np.float32
    assert t.half_extent_m == 64.0
    # Rocks lie inside the map and inside the configured diameter range.
    assert np.all(np.abs(t.rocks_xy_m) <= 64.0)
    assert t.rocks_d_m.min() >= 0.10 and t.rocks_d_m.max() <= 1.0


def test_rock_counts_follow_the_golombek_model():
    # Whole map rocky, no dunes: the number of rocks above 19 cm must match the integral of
    # n(D) over the area, within 5 Poisson sigmas (the only randomness is the count).
    p = TerrainParams(n_cells=512, rocky_fraction=1.0, dune_fraction=0.0)
    t = generate(p, seed=3)
    d = np.linspace(LANDING_ROCK_LIMIT_M, 1.0, 20001)
    n = rock_number_density(d, p.rock_k)
    expected = float(np.sum(0.5 * (n[1:] + n[:-1]) * np.diff(d))) * (512 * 0.5) ** 2
    got = int(np.sum(t.rocks_d_m >= LANDING_ROCK_LIMIT_M))
    assert abs(got - expected) < 5 * math.sqrt(expected)
    # And the cumulative fractional area covered matches F(D) = k exp(-qD) between the bounds.
    q = 1.79 + 0.152 / p.rock_k
    area = float(np.sum(np.pi * t.rocks_d_m.astype(np.float64) ** 2 / 4)) / (512 * 0.5) ** 2
    model = p.rock_k * (math.exp(-q * 0.10) - math.exp(-q * 1.0))
    assert area == pytest.approx(model, rel=0.05)   # many rocks: sampling error ~1%


def test_rock_raster_marks_every_cell_a_rock_overlaps():
    xy = np.array([[0.1, 0.1], [5.0, 5.0], [5.1, 5.1]], dtype=np.float32)
    d = np.array([1.0, 0.15, 0.3], dtype=np.float32)
    r = rasterise_rocks(xy, d, 32, 0.5)
    # The 1 m rock centred at (0.1, 0.1) covers a disc of radius 0.5 m: cells whose nearest
    # point is within 0.5 m are marked, a cell 1 m away is not.
    i0 = j0 = int((0.1 + 8.0) / 0.5)
    assert r[i0, j0] == pytest.approx(1.0)
    assert r[i0 + 1, j0] == pytest.approx(1.0) and r[i0 - 1, j0] == pytest.approx(1.0)
    assert r[i0 + 2, j0] == 0.0
    # Two rocks in one cell: the larger wins.
    i1 = j1 = int((5.0 + 8.0) / 0.5)
    assert r[i1, j1] == pytest.approx(0.3)


def test_keep_clear_disc_and_dune_cover():
    t = generate(TerrainParams(n_cells=256, keep_clear_radius_m=20.0, rocky_fraction=1.0), seed=2)
    r = np.hypot(t.rocks_xy_m[:, 0], t.rocks_xy_m[:, 1])
    assert np.all(r > 20.0)
    half = t.half_extent_m
    ci = ((t.rocks_xy_m[:, 1] + half) / t.res).astype(int)
    cj = ((t.rocks_xy_m[:, 0] + half) / t.res).astype(int)
    assert not np.any(t.dune_mask[ci, cj])          # sand covers rocks on dunes
    assert 0.04 < t.dune_mask.mean() < 0.12          # dune_fraction 0.08, thresholded on a subsample


def test_depot_tubes_are_zigzag_with_configured_spacing():
    dp = DepotParams(origin_m=(0.0, 0.0), heading_rad=0.0, n_tubes=10, spacing_m=8.0, zigzag_offset_m=3.0)
    t = generate(TerrainParams(n_cells=64, depots=(dp,)), seed=0)
    ids = [tb.tube_id for tb in t.tubes]
    assert ids == list(range(1, 11))
    gaps = [math.dist((a.x_m, a.y_m), (b.x_m, b.y_m)) for a, b in zip(t.tubes, t.tubes[1:])]
    assert all(5.0 <= g <= 15.0 for g in gaps)       # MSR_FACTS.md: 5-15 m apart
    assert sum(tb.witness for tb in t.tubes) == 1


def test_height_queries_interpolate_between_cells():
    t = generate(TerrainParams(n_cells=64), seed=4)
    x, y = -16.0 + 10.25, -16.0 + 10.25       # the centre of cell (20, 20)
    assert t.height_at(x, y) == pytest.approx(float(t.height_m[20, 20]), abs=1e-5)
    mid = t.height_at(x + 0.25, y)
    assert mid == pytest.approx(0.5 * float(t.height_m[20, 20] + t.height_m[20, 21]), abs=1e-5)


@pytest.mark.parametrize("bad", [dict(n_cells=4), dict(resolution_m=0.0), dict(rock_k=0.0),
                                 dict(rock_diameter_range_m=(0.5, 0.2)), dict(dune_fraction=1.5),
                                 dict(rocky_fraction=2.0)])
def test_bad_parameters_are_refused(bad):
    with pytest.raises(TerrainError):
        generate(TerrainParams(**bad))


@pytest.mark.parametrize("n", [8, 33, 104, 256])
def test_spectral_amplitude_shortcut_is_the_full_grid(n):
    """The pow is taken on one triangle of the half spectrum and copied: the same float32
    values as |k|^(-beta/2) on the full grid of numpy's frequencies."""
    from fsw.numerics import elementwise
    from sim.terrain import _spectral_amplitude
    ky = np.fft.fftfreq(n, d=0.5).astype(np.float32)[:, None]
    kx = np.fft.rfftfreq(n, d=0.5).astype(np.float32)[None, :]
    k2 = kx * kx + ky * ky
    k2[0, 0] = np.inf
    full = elementwise(lambda k: k ** (-3.6 / 4.0), k2, dtype=np.float32)
    assert _spectral_amplitude(n, 0.5, 3.6).tobytes() == full.tobytes()


def test_relief_has_the_configured_roughness_and_hurst_exponent():
    """The fractal relief's statistics: RMS height difference 0.35 m at 10 m and growing as
    lag^H (H = 0.8) from 1 to 4 m (no craters or dunes to disturb it). A k^-(2H+2) spectrum on a
    finite periodic grid bends below lag^H at long lags (0.71 at 5-40 m, 0.78 at 1-4 m for
    seeds 5-7), hence the short lags and the 0.05 tolerance."""
    p = TerrainParams(n_cells=1024, crater_density_per_km2=0.0, dune_fraction=0.0)
    h = generate(p, seed=5).height_m.astype(np.float64)

    def d(lag_m):
        k = int(lag_m / p.resolution_m)
        return math.sqrt(0.5 * (np.mean((h[:, k:] - h[:, :-k]) ** 2) + np.mean((h[k:] - h[:-k]) ** 2)))
    assert d(10.0) == pytest.approx(p.relief_rms_10m_m, rel=0.15)
    slope = math.log(d(4.0) / d(1.0)) / math.log(4.0)
    assert slope == pytest.approx(p.hurst, abs=0.05)

"""Landing-site safety map: the O(N) disc test against brute force, layers, site choice."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fsw.gnc import hazard


def brute_within(mask: np.ndarray, r: float) -> np.ndarray:
    n, m = mask.shape
    ii, jj = np.mgrid[0:n, 0:m]
    out = np.zeros(mask.shape, dtype=bool)
    for a, b in zip(*np.nonzero(mask)):
        out |= (ii - a) ** 2 + (jj - b) ** 2 <= r * r
    return out


@settings(max_examples=60, deadline=None)
@given(n=st.integers(3, 30), m=st.integers(3, 30), density=st.floats(0.0, 0.2),
       r=st.floats(0.0, 12.0), seed=st.integers(0, 2**32 - 1))
def test_within_radius_matches_brute_force(n, m, density, r, seed):
    mask = np.random.default_rng(seed).random((n, m)) < density
    assert np.array_equal(hazard.within_radius(mask, r), brute_within(mask, r))


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 30), half=st.integers(0, 12), seed=st.integers(0, 2**32 - 1))
def test_box_mean_matches_brute_force(n, half, seed):
    a = np.random.default_rng(seed).normal(size=(n, n)).astype(np.float32)
    got = hazard.box_mean(a, half)
    want = np.empty_like(a)
    for i in range(n):
        for j in range(n):
            want[i, j] = a[max(i - half, 0):i + half + 1, max(j - half, 0):j + half + 1].mean()
    assert np.allclose(got, want, atol=1e-5)


def plane(n=64, res=0.5, gx=0.1, gy=-0.05):
    y, x = np.mgrid[0:n, 0:n] * res
    return (gx * x + gy * y).astype(np.float32)


def test_plane_has_its_slope_and_no_roughness():
    h = plane()
    s = hazard.slope_deg(h, 0.5, 2.0)
    assert np.allclose(s, math.degrees(math.atan(math.hypot(0.1, 0.05))), atol=1e-3)
    # Interior only: the box filter is truncated at the edge (the disc test excludes edges anyway).
    assert hazard.roughness_m(h, 0.5, 2.5)[5:-5, 5:-5].max() < 1e-4


def flat_map(n=400, res=0.5):
    return hazard.OnboardMap(np.zeros((n, n), np.float32), np.zeros((n, n), np.float32),
                             np.zeros((n, n), bool), res)


def test_one_big_rock_clears_a_60m_disc_around_it():
    m = flat_map()
    m.max_rock_m[200, 200] = 0.25                     # one rock larger than 19 cm
    sm = hazard.assess(m)
    ii, jj = np.mgrid[0:400, 0:400]
    d = np.hypot(ii - 200, jj - 200) * 0.5
    edge = np.minimum.reduce([ii, jj, 399 - ii, 399 - jj]) < 120
    assert not sm.safe[d <= 60.0].any()
    assert sm.safe[(d > 60.5) & ~edge].all()
    assert not sm.safe[edge].any()                     # the disc must be on the map


def test_small_rock_dunes_and_steps_are_judged_by_their_limits():
    m = flat_map()
    m.max_rock_m[200, 200] = 0.18                     # below the 19 cm limit: harmless
    assert hazard.assess(m).safe[200, 200]
    m.dune_mask[150, 150] = True
    assert not hazard.assess(m).safe[200, 200]        # a dune pixel 35 m away: inside the disc
    m2 = flat_map()
    m2.height_m[210:, :] = 1.0                        # a 1 m step: steep and rough
    lay = hazard.hazard_layers(m2, hazard.HazardLimits())
    assert lay.hazard[209:211, 50].all()


def test_nan_heights_are_hazards():
    m = flat_map()
    m.height_m[200, 200] = np.nan
    assert not hazard.assess(m).safe[200, 200]


def test_choose_site_closest_safe_to_target_within_budget():
    m = flat_map(n=600)
    m.max_rock_m[300, 300] = 0.3                      # the target (0, 0) is unsafe
    sm = hazard.assess(m)
    c = hazard.choose_site(sm, (0.0, 0.0), (0.0, 0.0), divert_budget_m=100.0)
    assert c is not None and sm.safe[c.i, c.j]
    assert 59.5 < c.miss_from_target_m < 62.0         # just outside the rock's disc (cell centres)
    assert c.divert_m <= 100.0
    # Every safe cell within the budget is at least as far from the target.
    ys, xs = np.mgrid[0:600, 0:600]
    x = (xs + 0.5) * 0.5 - 150.0
    y = (ys + 0.5) * 0.5 - 150.0
    ok = sm.safe & (np.hypot(x, y) <= 100.0)
    assert np.hypot(x[ok], y[ok]).min() >= c.miss_from_target_m - 1e-9
    assert hazard.choose_site(sm, (0.0, 0.0), (0.0, 0.0), divert_budget_m=50.0) is None
    metrics = hazard.site_metrics(sm, c.i, c.j)
    assert metrics["max_rock_m"] <= 0.19 and metrics["hazard_clearance_m"] > 60.0


def test_bad_maps_are_refused_with_a_declared_error():
    with pytest.raises(hazard.MapError):
        hazard.OnboardMap(np.zeros((10, 12)), np.zeros((10, 12)), np.zeros((10, 12), bool), 0.5)
    with pytest.raises(hazard.MapError):
        hazard.OnboardMap(np.zeros((10, 10)), np.zeros((9, 9)), np.zeros((10, 10), bool), 0.5)
    with pytest.raises(hazard.MapError):
        hazard.OnboardMap(np.zeros((10, 10)), np.zeros((10, 10)), np.zeros((10, 10), bool), -1.0)


def _choose_site_whole_window(sm, target_xy, predicted_xy, budget):
    """The site choice over the whole search window at once (the reference for the blocks)."""
    m, res = sm.map, sm.map.resolution_m
    px, py = predicted_xy
    pi, pj = m.cell_of(px, py)
    reach = int(math.ceil(budget / res)) + 1
    i0, i1 = max(pi - reach, 0), min(pi + reach + 1, m.n)
    j0, j1 = max(pj - reach, 0), min(pj + reach + 1, m.n)
    ys = (m.corner_m[1] + (np.arange(i0, i1) + 0.5) * res)[:, None]
    xs = (m.corner_m[0] + (np.arange(j0, j1) + 0.5) * res)[None, :]
    ok = sm.safe[i0:i1, j0:j1] & ((xs - px) ** 2 + (ys - py) ** 2 <= budget ** 2)
    if not ok.any():
        return None
    d2 = np.where(ok, (xs - target_xy[0]) ** 2 + (ys - target_xy[1]) ** 2, np.inf)
    k = int(np.argmin(d2))
    return i0 + k // (j1 - j0), j0 + k % (j1 - j0)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(8, 300), density=st.floats(0.0, 1.0), budget=st.floats(1.0, 120.0),
       target=st.tuples(st.floats(-80.0, 80.0), st.floats(-80.0, 80.0)),
       predicted=st.tuples(st.floats(-80.0, 80.0), st.floats(-80.0, 80.0)),
       symmetric=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_choose_site_in_row_blocks_is_the_whole_window_choice(n, density, budget, target, predicted, symmetric, seed):
    """Blocks of rows (for memory) choose the very cell the whole window does, ties included
    (a symmetric safe pattern around the target makes equal distances in different blocks)."""
    safe = np.random.default_rng(seed).random((n, n)) < density
    if symmetric:
        safe = safe | safe[::-1] | safe[:, ::-1]
        target = (0.0, 0.0)
    m = flat_map(n=n)
    sm = hazard.SafetyMap(m, hazard.HazardLimits(), hazard.hazard_layers(m, hazard.HazardLimits()), safe)
    got = hazard.choose_site(sm, target, predicted, budget)
    want = _choose_site_whole_window(sm, target, predicted, budget)
    assert (None if got is None else (got.i, got.j)) == want

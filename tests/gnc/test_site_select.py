"""Site choice on the tiled landing plain (fsw.gnc.site_select): the wrapped safety map agrees
with the plain one away from the edges and judges edge sites with their whole disc; the
search works anywhere on the plain; a position margin keeps the margin's disc safe."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc import hazard, site_select
from fsw.gnc.site_select import PeriodicMap

LIMITS = hazard.HazardLimits(safe_radius_m=10.0)


def flat_map(n=128, res=0.5):
    h = np.zeros((n, n), dtype=np.float32)
    return h, np.zeros((n, n), dtype=np.float32), np.zeros((n, n), dtype=bool), res


def test_wrapped_assessment_agrees_inside_and_wraps_at_the_edges():
    h, rock, dune, res = flat_map()
    rock[64, 126] = 0.5                                          # a rock by the east edge
    plain = hazard.assess(hazard.OnboardMap(h, rock, dune, res), LIMITS)
    wrapped = site_select.assess(PeriodicMap(h, rock, dune, res), LIMITS)
    inner = (slice(30, 98), slice(30, 98))
    assert np.array_equal(plain.safe[inner], wrapped.safe[inner])
    assert wrapped.safe[64, 64] and wrapped.safe[10, 10]         # no edge band on a periodic plain
    assert not plain.safe[10, 10]
    assert not wrapped.safe[64, 5]                               # the rock's disc wraps round to the west edge
    assert not wrapped.safe[64, 126]


def test_height_wraps_with_the_plain():
    h, rock, dune, res = flat_map(n=64)
    h[:] = np.arange(64, dtype=np.float32)[None, :]              # a ramp east
    m = PeriodicMap(h, rock, dune, res)
    period = 64 * res
    for x, y in ((3.1, -2.0), (-15.9, 7.7)):
        assert m.height_at(x + 3 * period, y - 2 * period) == pytest.approx(m.height_at(x, y), abs=1e-9)
    assert m.cell_of(3 * period + 0.1, 0.1) == m.cell_of(0.1, 0.1)


def test_a_site_is_found_anywhere_on_the_plain_and_reachability_is_asked():
    h, rock, dune, res = flat_map()
    rock[:, 60:70] = 0.5                                         # a rocky band through every tile
    sm = site_select.assess(PeriodicMap(h, rock, dune, res), LIMITS)
    period = 128 * res
    predicted = (3 * period + 1.0, -5 * period + 2.0)            # kilometres away on the plain
    target = (predicted[0] + 40.0, predicted[1])
    seen = []

    def reachable(x, y):
        seen.append((x, y))
        return len(seen) > 1                                     # the first candidate is out of reach

    c = site_select.choose_site(sm, target, predicted, 25.0, reachable=reachable)
    assert c is not None and len(seen) == 2 and (c.x_m, c.y_m) == seen[1]
    assert math.hypot(c.x_m - predicted[0], c.y_m - predicted[1]) <= 25.0
    assert sm.safe[c.i, c.j] and sm.map.cell_of(c.x_m, c.y_m) == (c.i, c.j)
    assert math.hypot(seen[0][0] - target[0], seen[0][1] - target[1]) <= c.miss_from_target_m   # closest first


def test_a_margin_keeps_the_uncertainty_disc_safe():
    h, rock, dune, res = flat_map()
    rock[:, 50] = 0.5
    sm = site_select.assess(PeriodicMap(h, rock, dune, res), LIMITS)
    c0 = site_select.choose_site(sm, (0.0, 0.0), (0.0, 0.0), 20.0)
    c1 = site_select.choose_site(sm, (0.0, 0.0), (0.0, 0.0), 20.0, margin_m=8.0, wide_budget_m=30.0)
    assert c0 is not None and c1 is not None

    def clear(c, r):
        k = int(r / res)
        return all(sm.safe[(c.i + a) % 128, (c.j + b) % 128] for a in range(-k, k + 1) for b in range(-k, k + 1)
                   if a * a + b * b <= k * k)
    assert clear(c1, 8.0) and not clear(c0, 8.0)
    assert site_select.choose_site(sm, (0.0, 0.0), (0.0, 0.0), 1.0, reachable=lambda x, y: False) is None


def test_site_metrics_see_the_whole_disc_at_an_edge():
    h, rock, dune, res = flat_map()
    rock[2, 2] = 0.15                                            # under 19 cm: not a hazard, but the worst rock
    sm = site_select.assess(PeriodicMap(h, rock, dune, res), LIMITS)
    m = site_select.site_metrics(sm, 126, 126)                   # its disc wraps over (2, 2)
    assert m["max_rock_m"] == pytest.approx(0.15)


def _choose_whole_window(sm, target_xy, predicted_xy, budget, reachable=None, margin_m=0.0, wide_budget_m=None):
    """The choice as one whole-window sort (what choose_site did before it went by blocks)."""
    budget = budget if margin_m <= 0.0 else max(budget, wide_budget_m or budget)
    px, py = predicted_xy
    xs, ys, ii, jj = site_select._window(sm, px, py, budget)
    ok = np.asarray(sm.safe)[np.ix_(ii, jj)] & ((xs - px) ** 2 + (ys - py) ** 2 <= budget * budget)
    margin, res = margin_m, sm.map.resolution_m
    while margin > res:
        inner = ok & ~hazard.within_radius(~ok, margin / res)
        if inner.any():
            ok = inner
            break
        margin *= 0.5
    tx, ty = target_xy
    d2 = np.where(ok, (xs - tx) ** 2 + (ys - ty) ** 2, np.inf).ravel()
    for k in np.argsort(d2, kind="stable")[:site_select.MAX_CANDIDATES]:
        if not math.isfinite(float(d2[k])):
            break
        a, b = divmod(int(k), ok.shape[1])
        x, y = float(xs[0, b]), float(ys[a, 0])
        if reachable is None or reachable(x, y):
            return (int(ii[a]), int(jj[b]), x, y)
    return None


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.9), st.sampled_from([1.0, 6.0, 20.0]),
       st.sampled_from([0.0, 0.0, 3.0]), st.booleans(), st.integers(1, 9))
def test_choosing_by_blocks_of_rows_gives_the_whole_window_choice(seed, clutter, budget, margin, picky, rows):
    rng = np.random.default_rng(seed)
    h, rock, dune, res = flat_map(n=32)
    rock[rng.random((32, 32)) < clutter * 0.05] = 0.5
    sm = site_select.assess(PeriodicMap(h, rock, dune, res), hazard.HazardLimits(safe_radius_m=1.0))
    target, predicted = tuple(rng.uniform(-40, 40, 2)), tuple(rng.uniform(-40, 40, 2))
    reachable = (lambda x, y: (int(x * 4) + int(y * 2)) % 3 != 0) if picky else None
    old = site_select._ROWS
    site_select._ROWS = rows               # many blocks on a small map; ties across blocks too
    try:
        got = site_select.choose_site(sm, target, predicted, budget, reachable=reachable, margin_m=margin,
                                      wide_budget_m=2 * budget)
    finally:
        site_select._ROWS = old
    want = _choose_whole_window(sm, target, predicted, budget, reachable, margin, 2 * budget)
    assert (None if got is None else (got.i, got.j, got.x_m, got.y_m)) == want

"""Rover safety under position uncertainty: planning with a growing error bound, the bound
itself, landmark association, map windows, pure pursuit toward a point behind."""
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fsw.gnc import hazard
from fsw.gnc.dead_reckoning import PositionBound, associate_landmark
from fsw.gnc.path_planner import (ErrorBound, RoverHazardLimits, build_cost_map, plan, plan_bounded)
from fsw.gnc.pure_pursuit import PurePursuit

RES = 0.5
LIM = RoverHazardLimits()
RADIUS = LIM.half_width_m + LIM.margin_m


def flat_map(n=160, rocks=()):
    """A flat map with big rocks (hazard pixels) at the given pixel blocks (i0, i1, j0, j1)."""
    h = np.zeros((n, n), np.float32)
    rock = np.zeros((n, n), np.float32)
    for i0, i1, j0, j1 in rocks:
        rock[i0:i1, j0:j1] = 0.5
    return hazard.OnboardMap(h, rock, np.zeros((n, n), bool), RES)


def hazard_distance(m, x, y):
    """Distance from (x, y) to the nearest hazard pixel centre."""
    ii, jj = np.nonzero(np.asarray(m.max_rock_m) > LIM.rock_limit_m)
    xs = (jj + 0.5) * RES - m.half_extent_m + m.centre_m[0]
    ys = (ii + 0.5) * RES - m.half_extent_m + m.centre_m[1]
    return float(np.min(np.hypot(xs - x, ys - y))) if len(xs) else math.inf


def along(path, step=0.1):
    """(arc length, x, y) samples along a polyline."""
    s = 0.0
    for (ax, ay), (bx, by) in zip(path, path[1:]):
        L = math.hypot(bx - ax, by - ay)
        for k in range(max(1, int(L / step))):
            f = k / max(1, int(L / step))
            yield s + f * L, ax + f * (bx - ax), ay + f * (by - ay)
        s += L
    yield s, path[-1][0], path[-1][1]


def walls_with_gap(gap_m, at_x_m):
    """A wall across the map at x = at_x_m with a gap of gap_m centred on y = 0."""
    n = 160
    j = int((at_x_m + 40.0) / RES)
    half = int(round(gap_m / 2 / RES))
    return flat_map(n, rocks=((0, 80 - half, j, j + 2), (80 + half, n, j, j + 2)))


def test_a_growing_bound_needs_wider_gaps_far_from_the_start():
    """The same 6 m gap is passable 5 m from the start but not 63 m away with a 3 %/m bound."""
    bound = ErrorBound(0.2, 0.03)
    near = build_cost_map(walls_with_gap(6.0, -30.0))
    assert plan_bounded(near, (-35.0, 0.0), (35.0, 0.0), bound) is not None
    far = build_cost_map(walls_with_gap(6.0, 28.0))
    assert plan(far, (-35.0, 0.0), (35.0, 0.0)) is not None          # nominal margin: fits
    assert plan_bounded(far, (-35.0, 0.0), (35.0, 0.0), bound) is None


def test_the_bound_at_the_end_is_reported_and_no_larger_than_the_path_allows():
    cm = build_cost_map(flat_map())
    path, end = plan_bounded(cm, (-30.0, -5.0), (30.0, 10.0), ErrorBound(0.3, 0.02))
    length = sum(math.dist(a, b) for a, b in zip(path, path[1:]))
    assert end == pytest.approx(0.3 + 0.02 * length)
    assert path[0] == (-30.0, -5.0) and path[-1] == (30.0, 10.0)


@settings(max_examples=12, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.0, 1.0), st.floats(0.0, 0.05))
def test_every_point_of_a_bounded_path_keeps_the_bound_it_will_have_there(seed, b0, growth):
    rng = np.random.default_rng(seed)
    blocks = []
    for _ in range(12):
        i, j = rng.integers(10, 150, 2)
        s = int(rng.integers(2, 10))
        blocks.append((int(i), int(i) + s, int(j), int(j) + s))
    m = flat_map(rocks=blocks)
    cm = build_cost_map(m)
    start, goal = (-37.0, -37.0), (37.0, 37.0)
    if hazard_distance(m, *start) < RADIUS + b0 + 0.5:
        return                                       # the escape from a tight start is checked elsewhere
    bound = ErrorBound(b0, growth)
    found = plan_bounded(cm, start, goal, bound)
    if found is None:
        return
    path, _ = found
    tol = RES * math.sqrt(2) / 2                     # a point lies within this of its pixel's centre
    for s, x, y in along(path):
        assert hazard_distance(m, x, y) >= RADIUS + bound.after(s) - tol - 1e-6, (s, x, y)


def test_inflated_maps_grow_and_are_cached():
    cm = build_cost_map(flat_map(rocks=((70, 90, 70, 90),)))
    a, b = cm.inflated(0.3), cm.inflated(1.2)
    assert cm.inflated(0.0) is cm and cm.inflated(0.3) is a
    assert (a.blocked >= cm.blocked).all() and (b.blocked >= a.blocked).all()
    assert b.blocked.sum() > a.blocked.sum() > cm.blocked.sum()


def test_a_map_window_keeps_local_coordinates():
    h = np.arange(64 * 64, dtype=np.float32).reshape(64, 64)
    full = hazard.OnboardMap(h, np.zeros_like(h), np.zeros((64, 64), bool), RES)
    win = full.window((5.3, -4.1), 8)
    assert win.n == 16
    for x, y in ((5.3, -4.1), (3.0, -6.0), (8.2, -1.0)):
        assert win.height_at(x, y) == pytest.approx(full.height_at(x, y))
        i, j = win.cell_of(x, y)
        assert win.xy_of(i, j) == pytest.approx(full.xy_of(*full.cell_of(x, y)))
    assert win.contains(5.3, -4.1) and not win.contains(15.0, -4.1)


def test_position_bound_grows_per_metre_and_resets_on_a_fix():
    b = PositionBound(0.1, 0.03)
    b.drive(10.0)
    b.drive(-5.0)                                   # reversing counts too
    assert b.bound_m == pytest.approx(0.55) and b.since_fix_m == pytest.approx(15.0)
    assert b.predicted(10.0) == pytest.approx(0.85)
    b.fix(0.05)
    assert b.bound_m == 0.05 and b.since_fix_m == 0.0


def test_landmark_association_needs_a_near_and_unambiguous_match():
    tubes = {1: (0.0, 0.0), 2: (8.0, 0.0), 3: (8.0, 3.0)}
    assert associate_landmark((0.4, 0.3), tubes, gate_m=1.0) == 1
    assert associate_landmark((2.5, 0.0), tubes, gate_m=1.0) is None       # too far from any
    assert associate_landmark((8.0, 1.4), tubes, gate_m=1.0) is None       # 2 and 3 both near
    assert associate_landmark((8.0, 0.2), tubes, gate_m=1.0) == 2
    assert associate_landmark((0.0, 0.0), {}, gate_m=1.0) is None


@pytest.mark.parametrize("side", [1.0, -1.0])
def test_pure_pursuit_turns_toward_a_point_behind_instead_of_running_away(side):
    pp = PurePursuit([(0.0, 0.0), (-10.0, side * 0.5)])
    k = pp.curvature(0.0, 0.0, 0.0, 0.07)           # heading east, path goes west
    assert abs(k) >= 1.0 and math.copysign(1.0, k) == side


def test_pursuit_progress_follows_the_path():
    pp = PurePursuit([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)])
    assert pp.progress(4.0, 0.3) == pytest.approx(4.0)
    assert pp.progress(10.2, 6.0) == pytest.approx(16.0)

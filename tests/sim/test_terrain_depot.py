"""Depot layout: tubes as Perseverance would lay them, on drivable ground reachable from the lander."""
from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fsw.gnc.hazard import within_radius
from sim.terrain import DepotLayout, TerrainError, layout_depot, reachable_from

RES = 0.5


def grid_cell(x, y, corner=(-100.0, -100.0)):
    return int(math.floor((y - corner[1]) / RES)), int(math.floor((x - corner[0]) / RES))


def open_field(n=400):
    return np.ones((n, n), dtype=bool)


def check_depot(tubes, drivable, lander, layout=DepotLayout(), corner=(-100.0, -100.0)):
    reach = reachable_from(drivable, grid_cell(*lander, corner))
    ok = ~within_radius(~reach, layout.clearance_m / RES)
    assert len(tubes) == layout.n_tubes
    assert [t.tube_id for t in tubes] == list(range(1, layout.n_tubes + 1))
    assert [t.witness for t in tubes] == [False] * (layout.n_tubes - 1) + [True]   # one witness tube, last
    for a, b in zip(tubes, tubes[1:]):
        assert 5.0 - 1e-6 <= math.dist((a.x_m, a.y_m), (b.x_m, b.y_m)) <= 15.0 + 1e-6   # MSR_FACTS.md
    for i, a in enumerate(tubes):
        assert ok[grid_cell(a.x_m, a.y_m, corner)], f"tube {a.tube_id} not on reachable clear ground"
        assert math.dist((a.x_m, a.y_m), lander) >= layout.min_lander_distance_m
        for b in tubes[i + 1:]:
            assert math.dist((a.x_m, a.y_m), (b.x_m, b.y_m)) >= 5.0 - 1e-6
    d0 = math.dist((tubes[0].x_m, tubes[0].y_m), lander)
    assert layout.distance_range_m[0] - 1e-6 <= d0 <= layout.distance_range_m[1] + 1e-6


def test_depot_on_open_ground_is_a_zigzag_with_a_witness_tube():
    drivable = open_field()
    tubes = layout_depot(drivable, RES, (-100.0, -100.0), (0.0, 0.0), np.random.default_rng(3))
    check_depot(tubes, drivable, (0.0, 0.0))
    # Zig-zag: consecutive legs turn alternately left and right.
    turns = []
    for a, b, c in zip(tubes, tubes[1:], tubes[2:]):
        h1 = math.atan2(b.y_m - a.y_m, b.x_m - a.x_m)
        h2 = math.atan2(c.y_m - b.y_m, c.x_m - b.x_m)
        turns.append(math.remainder(h2 - h1, 2 * math.pi))
    assert sum(1 for t1, t2 in zip(turns, turns[1:]) if t1 * t2 < 0) >= len(turns) // 2


def test_same_generator_state_gives_the_same_depot():
    drivable = open_field()
    a = layout_depot(drivable, RES, (-100.0, -100.0), (0.0, 0.0), np.random.default_rng(9))
    b = layout_depot(drivable, RES, (-100.0, -100.0), (0.0, 0.0), np.random.default_rng(9))
    assert a == b


def test_ground_cut_off_from_the_lander_gets_no_tube():
    """A wall the rover cannot cross splits the map: the depot goes on the lander's side only."""
    drivable = open_field()
    drivable[200:204, :] = False                 # a wall along y = 0..2 m, across the whole map
    lander = (0.0, -45.0)
    for seed in range(5):
        tubes = layout_depot(drivable, RES, (-100.0, -100.0), lander, np.random.default_rng(seed))
        check_depot(tubes, drivable, lander)
        assert all(t.y_m < 0.0 for t in tubes)


def test_no_room_is_a_terrain_error():
    drivable = np.zeros((400, 400), dtype=bool)
    drivable[190:210, 190:210] = True            # a 10 m patch around the lander only
    with pytest.raises(TerrainError):
        layout_depot(drivable, RES, (-100.0, -100.0), (0.0, 0.0), np.random.default_rng(1),
                     DepotLayout(max_tries=50))


def bfs(mask, start):
    out = np.zeros(mask.shape, bool)
    if not mask[start]:
        return out
    q = deque([start])
    out[start] = True
    while q:
        i, j = q.popleft()
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                a, b = i + di, j + dj
                if 0 <= a < mask.shape[0] and 0 <= b < mask.shape[1] and mask[a, b] and not out[a, b]:
                    out[a, b] = True
                    q.append((a, b))
    return out


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.3, 0.8), st.integers(0, 11), st.integers(0, 11))
def test_reachable_from_matches_a_plain_breadth_first_search(seed, density, i, j):
    mask = np.random.default_rng(seed).random((12, 12)) < density
    assert np.array_equal(reachable_from(mask, (i, j)), bfs(mask, (i, j)))


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**31 - 1), st.floats(0.2, 0.95), st.integers(1, 17), st.integers(1, 17),
       st.integers(-1, 17), st.integers(-1, 17))
def test_reachable_from_on_any_grid_shape_and_start(seed, density, n0, n1, i, j):
    """The run-based fill against the cell-by-cell one on narrow, wide and one-cell grids,
    starts outside the grid included (nothing reachable)."""
    mask = np.random.default_rng(seed).random((n0, n1)) < density
    inside = 0 <= i < n0 and 0 <= j < n1
    expected = bfs(mask, (i, j)) if inside else np.zeros(mask.shape, bool)
    assert np.array_equal(reachable_from(mask, (i, j)), expected)

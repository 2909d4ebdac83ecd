"""Rover navigation: A* over the hazard cost map, pure pursuit, dead reckoning."""
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from fsw.gnc import hazard
from fsw.gnc.dead_reckoning import DeadReckoning
from fsw.gnc.path_planner import CostMap, RoverHazardLimits, build_cost_map, line_free, plan
from fsw.gnc.pure_pursuit import PurePursuit


def open_map(n=60, cell=1.0):
    return CostMap(np.zeros((n, n), bool), np.ones((n, n), np.float32), cell, n * cell / 2)


def assert_path_free(cm, path):
    cells = [cm.cell_of(*p) for p in path]
    for a, b in zip(cells, cells[1:]):
        assert line_free(cm, a, b), f"segment {a}->{b} crosses a blocked cell"


def test_straight_line_on_open_ground():
    cm = open_map()
    path = plan(cm, (-20.0, 0.3), (20.0, 0.3))
    assert path is not None and len(path) == 2


def test_path_goes_round_a_wall_and_none_when_enclosed():
    cm = open_map()
    cm.blocked[10:50, 30] = True                       # wall across x = 0 with gaps at both ends
    path = plan(cm, (-10.0, 0.5), (10.0, 0.5))
    assert path is not None and len(path) > 2
    assert_path_free(cm, path)
    length = sum(math.dist(a, b) for a, b in zip(path, path[1:]))
    assert length < 2 * math.hypot(20, 20) + 2      # goes round one end, not a wander
    cm.blocked[10, :] = True
    cm.blocked[49, :] = True
    cm.blocked[10:50, 0] = True
    cm.blocked[10:50, 59] = True
    assert plan(cm, (-10.0, 0.5), (10.0, 0.5)) is None


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), density=st.floats(0.0, 0.3))
def test_random_obstacles_paths_never_cross_blocked_cells(seed, density):
    rng = np.random.default_rng(seed)
    cm = open_map(40)
    cm.blocked[:] = rng.random((40, 40)) < density
    cm.blocked[0:3, 0:3] = False
    cm.blocked[-3:, -3:] = False
    path = plan(cm, (-19.0, -19.0), (19.0, 19.0))
    if path is not None:
        assert_path_free(cm, path)


def test_cost_map_inflates_hazards_by_the_rover_size():
    n, res = 200, 0.5
    m = hazard.OnboardMap(np.zeros((n, n), np.float32), np.zeros((n, n), np.float32), np.zeros((n, n), bool), res)
    m.max_rock_m[100, 100] = 0.5
    lim = RoverHazardLimits(half_width_m=0.6, margin_m=0.5)
    cm = build_cost_map(m, lim, cell_m=1.0)
    assert cm.blocked.sum() > 1
    assert not cm.free_at(0.25, 0.25)                  # the rock
    assert not cm.free_at(1.0, 0.25)                   # within 1.1 m of it
    assert cm.free_at(3.0, 0.25)


def unicycle(path, v=0.07, dt=0.1, pose=(0.0, 0.0, 0.0), steps=20000):
    pp = PurePursuit(path)
    x, y, h = pose
    worst = 0.0
    for _ in range(steps):
        if pp.done(x, y):
            return True, worst
        k = pp.curvature(x, y, h, v)
        x += v * dt * math.cos(h + 0.5 * k * v * dt)
        y += v * dt * math.sin(h + 0.5 * k * v * dt)
        h += k * v * dt
        worst = max(worst, min(abs(y), abs(x - 10.0)) if path[-1] == (10.0, 10.0) else abs(y))
    return False, worst


def test_pure_pursuit_follows_a_line_and_a_corner():
    ok, cross = unicycle([(0.0, 0.0), (15.0, 0.0)], pose=(0.0, 1.0, 0.0))
    assert ok
    ok, cross = unicycle([(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)])
    assert ok and cross < 1.5                          # corner cut at most about the lookahead


def test_dead_reckoning_reproduces_a_constant_curvature_arc():
    dr = DeadReckoning(0.0, 0.0, 0.0)
    R = 5.0
    dr.update(0.0, 0.0)
    for k in range(1, 101):
        s = k * (math.pi * R / 2) / 100               # quarter circle
        dr.update(s, s / R)
    assert math.hypot(dr.x - R, dr.y - R) < 1e-3
    assert abs(dr.distance_m - math.pi * R / 2) < 1e-9
    dr.update(float("nan"), 0.0)                        # a bad reading is ignored, not a crash
    assert math.isfinite(dr.x)

"""CW targeting and glideslope, checked against the closed form written out independently."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fsw.gnc.cw_targeting import TargetingError, cw_propagate, two_impulse
from fsw.gnc.glideslope import glideslope

N = 9.05e-4


def closed_form(s, n, t):
    """MSR_FACTS.md, typed in again on purpose (not imported from the code under test)."""
    x0, y0, z0, vx0, vy0, vz0 = s
    sn, c = math.sin(n * t), math.cos(n * t)
    x = (4 - 3 * c) * x0 + sn / n * vx0 + 2 / n * (1 - c) * vy0
    y = 6 * (sn - n * t) * x0 + y0 + 2 / n * (c - 1) * vx0 + (4 * sn - 3 * n * t) / n * vy0
    z = c * z0 + sn / n * vz0
    return x, y, z


@settings(max_examples=60)
@given(st.lists(st.floats(-1000, 1000), min_size=3, max_size=3),
       st.lists(st.floats(-2, 2), min_size=3, max_size=3), st.floats(1.0, 8000.0))
def test_stm_matches_the_closed_form(pos, vel, t):
    s = tuple(pos) + tuple(vel)
    got = cw_propagate(s, N, t)
    assert np.allclose(got[:3], closed_form(s, N, t), atol=1e-6)


def test_vy_of_minus_two_n_x_gives_a_closed_ellipse():
    s = (100.0, 0.0, 0.0, 0.0, -2 * N * 100.0, 0.0)
    period = 2 * math.pi / N
    assert np.allclose(cw_propagate(s, N, period), s, atol=1e-6)


@settings(max_examples=60)
@given(st.lists(st.floats(-5000, 5000), min_size=6, max_size=6).map(
           lambda l: tuple(l[:3]) + tuple(c / 1000 for c in l[3:])),
       st.lists(st.floats(-500, 500), min_size=3, max_size=3), st.floats(300.0, 3000.0))
def test_two_impulse_arrives_at_the_aim_and_stops(s, aim, t):
    sol = two_impulse(s, aim, N, t)
    dep = tuple(s[:3]) + tuple(s[3 + i] + sol.dv1[i] for i in range(3))
    arr = cw_propagate(dep, N, t)
    assert np.allclose(arr[:3], aim, atol=1e-4)
    assert np.allclose(np.add(arr[3:], sol.dv2), 0.0, atol=1e-7)


def test_two_impulse_refuses_a_singular_transfer():
    try:
        two_impulse((0, -1000, 0, 0, 0, 0), (0, -100, 0), N, 2 * math.pi / N)
    except TargetingError:
        return
    raise AssertionError("a full-period transfer must be refused")


def test_glideslope_waypoints_lie_on_the_line_and_slow_down():
    g = glideslope((0.0, -1000.0, 50.0), (0.0, -100.0, 0.0), -1.5, -0.05, 6, N)
    start, end = np.array((0.0, -1000.0, 50.0)), np.array((0.0, -100.0, 0.0))
    u = (start - end) / np.linalg.norm(start - end)
    ranges = []
    for w in g.waypoints:
        d = np.array(w) - end
        assert np.linalg.norm(np.cross(d, u)) < 1e-6
        ranges.append(np.linalg.norm(d))
    assert ranges[0] > ranges[1] > ranges[-2] > ranges[-1] == 0.0
    hops = -np.diff(ranges) / np.diff(g.times_s)
    assert all(hops[i] > hops[i + 1] for i in range(len(hops) - 1))   # range rate falls
    # flying the pulses with the exact CW dynamics lands on the end point at rest
    s = np.array(tuple(start) + (0.0, 0.0, 0.0))
    for k in range(len(g.times_s) - 1):
        s[3:] += g.pulses[k]
        s = np.array(cw_propagate(tuple(s), N, g.times_s[k + 1] - g.times_s[k]))
    s[3:] += g.pulses[-1]
    assert np.allclose(s[:3], end, atol=1e-6) and np.allclose(s[3:], 0.0, atol=1e-9)

"""Powered-descent guidance in closed loop with a point-mass lander, and its thrust limits."""
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from fsw.gnc.descent_guidance import (DescentTarget, EngineLimits, PolynomialGuidance, clip_thrust,
                                      integrate_point_mass, quadratic_accel)

ENG = EngineLimits()


def fly(r0, v0, site, mass=2275.0, dt=0.02, guidance_every=5, t_max=200.0):
    g = PolynomialGuidance(DescentTarget(site), ENG)
    r, v, m = np.array(r0, float), np.array(v0, float), mass
    cmds = []
    t, k, cmd = 0.0, 0, None
    while r[2] > site[2] and t < t_max:
        if k % guidance_every == 0:
            cmd = g.step(r, v, m, dt * guidance_every)
            cmds.append(cmd)
        r, v, m = integrate_point_mass(r, v, m, cmd, dt)
        t += dt
        k += 1
    return r, v, m, cmds


@settings(max_examples=12, deadline=None)
@given(x=st.floats(-500, 500), y=st.floats(-500, 500), z=st.floats(1200, 2200),
       vx=st.floats(-40, 40), vy=st.floats(-40, 40), vz=st.floats(-85, -50))
def test_closed_loop_lands_on_the_site_softly_within_throttle_limits(x, y, z, vx, vy, vz):
    site = (30.0, -20.0, -5.0)
    r, v, m, cmds = fly((x, y, z), (vx, vy, vz), site)
    assert r[2] <= site[2] + 1e-6, "never reached the ground"
    assert math.hypot(r[0] - site[0], r[1] - site[1]) < 1.0
    assert -v[2] <= 2.5 and math.hypot(v[0], v[1]) <= 1.0
    for c in cmds:
        assert ENG.min_thrust_N - 1e-6 <= c.thrust_N <= ENG.max_thrust_N + 1e-6
        assert abs(np.linalg.norm(c.direction) - 1.0) < 1e-9
        assert c.direction[2] >= math.cos(math.radians(ENG.max_tilt_deg)) - 1e-9
    assert cmds[-1].phase == "terminal"


def test_polynomial_meets_its_terminal_conditions_open_loop():
    """Re-evaluated each step with the true state and tgo, the polynomial reaches r_f and v_f."""
    r, v = np.array([-300.0, 100.0, 1500.0]), np.array([20.0, 0.0, -60.0])
    rf, vf, af = np.array([0.0, 0.0, 20.0]), np.array([0.0, 0.0, -1.0]), np.zeros(3)
    T, dt = 40.0, 0.001
    g = np.array([0.0, 0.0, -3.71])
    t = 0.0
    while T - t > 0.05:
        a = quadratic_accel(r, v, T - t, rf, vf, af)  # total acceleration, no limits
        v = v + a * dt
        r = r + v * dt
        t += dt
    assert np.linalg.norm(r - rf) < 0.5 and np.linalg.norm(v - vf) < 0.5
    del g


@settings(max_examples=200, deadline=None)
@given(ax=st.floats(-30, 30), ay=st.floats(-30, 30), az=st.floats(-10, 40), mass=st.floats(1500, 3000))
def test_clip_thrust_respects_magnitude_and_tilt(ax, ay, az, mass):
    thrust, u, _ = clip_thrust(np.array([ax, ay, az]), mass, ENG)
    assert ENG.min_thrust_N - 1e-6 <= thrust <= ENG.max_thrust_N + 1e-6
    assert abs(np.linalg.norm(u) - 1.0) < 1e-9
    assert u[2] >= math.cos(math.radians(ENG.max_tilt_deg)) - 1e-9


def test_feasible_request_passes_unchanged():
    a = np.array([0.5, -0.3, 4.0])
    thrust, u, sat = clip_thrust(a, 2000.0, ENG)
    assert not sat
    assert np.allclose(u * thrust / 2000.0, a)

"""Relative navigation EKF: convergence with range+angles, range from angles plus a burn,
the gate refusing an outlier, and the covariance reopening after a run of refusals."""
import math

import numpy as np
import pytest

from fsw.gnc.cw_targeting import cw_propagate
from fsw.gnc.relnav import RelNavConfig, RelNavFilter, los_angles

N = 9.05e-4


def los(p):
    r = math.sqrt(sum(c * c for c in p))
    return tuple(c / r for c in p)


def run(filter_, truth, steps, dt, rng, lidar, burn_at=None, burn=(0.0, 0.0, 0.0)):
    for k in range(steps):
        truth = np.array(cw_propagate(tuple(truth), N, dt))
        filter_.predict(dt)
        if burn_at is not None and k == burn_at:
            truth[3:] -= burn                     # the chaser burns: the target's relative v drops
            filter_.apply_impulse(burn)
        p = truth[:3] + 0.0
        meas = np.array(los(p)) + rng.normal(0, 1e-4, 3)
        if lidar:
            rng_m = float(np.linalg.norm(p)) + rng.normal(0, 0.05)
            rdot = float(p @ truth[3:]) / float(np.linalg.norm(p))
            filter_.update_range_angles(tuple(meas), rng_m, rdot)
        else:
            filter_.update_angles(tuple(meas))
    return truth


def test_range_and_angles_converge():
    rng = np.random.default_rng(1)
    truth = np.array((20.0, 400.0, -5.0, 0.0, -0.3, 0.0))
    f = RelNavFilter(RelNavConfig(N), truth + np.array((30, -40, 20, 0.05, 0.05, -0.05)), (50,) * 3 + (0.1,) * 3)
    truth = run(f, truth, 300, 1.0, rng, lidar=True)
    assert np.linalg.norm(f.x[:3] - truth[:3]) < 1.0
    assert f.position_sigma < 2.0 and f.rejected < 30


def test_angles_only_range_becomes_observable_after_a_burn():
    rng = np.random.default_rng(2)
    truth = np.array((0.0, 5000.0, 0.0, 0.0, 0.0, 0.0))
    prior = truth + np.array((0.0, 600.0, 0.0, 0.0, 0.0, 0.0))   # 12 % range error
    f1 = RelNavFilter(RelNavConfig(N), prior, (800,) * 3 + (0.05,) * 3)
    f2 = RelNavFilter(RelNavConfig(N), prior, (800,) * 3 + (0.05,) * 3)
    t1 = run(f1, truth.copy(), 1200, 1.0, np.random.default_rng(2), lidar=False)
    t2 = run(f2, truth.copy(), 1200, 1.0, rng, lidar=False, burn_at=10, burn=np.array((0.5, 0.0, 0.0)))
    err_no_burn = abs(f1.range - np.linalg.norm(t1[:3]))
    err_burn = abs(f2.range - np.linalg.norm(t2[:3]))
    assert err_burn < 0.3 * err_no_burn and err_burn < 100.0


def test_gate_refuses_an_outlier_and_reopens_after_a_run_of_refusals():
    truth = (0.0, 100.0, 0.0, 0.0, 0.0, 0.0)
    f = RelNavFilter(RelNavConfig(N, reinflate_after=5), truth, (0.1,) * 3 + (0.01,) * 3)
    before = f.x.copy()
    assert not f.update_angles(los((0.0, 100.0, 10.0)))       # 6 degrees off: refused
    assert np.array_equal(f.x, before) and f.rejected == 1
    for _ in range(4):
        f.update_angles(los((0.0, 100.0, 10.0)))
    assert f.reinflations == 1 and f.position_sigma > 5.0
    assert f.update_angles(los((0.0, 100.0, 10.0)))           # now it is heard


def test_los_angles_convention():
    az, el = los_angles((0.0, 10.0, 0.0))
    assert abs(az - math.pi / 2) < 1e-12 and abs(el) < 1e-12
    az, el = los_angles((0.0, 0.0, 5.0))
    assert abs(el - math.pi / 2) < 1e-12


# ---------------------------------------------------------------- curvilinear far range
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from fsw.gnc.relnav import (curvilinear_to_rectilinear, polar_propagate,  # noqa: E402
                            rectilinear_to_curvilinear)

R = 3739.2e3
km = st.floats(-50e3, 50e3)
arc = st.floats(-2.5e6, 2.5e6)
vel = st.floats(-40.0, 40.0)


@settings(max_examples=100, deadline=None)
@given(km, arc, km, vel, vel, vel)
def test_curvilinear_round_trip_and_jacobian(x, y, z, vx, vy, vz):
    c = (x, y, z, vx, vy, vz)
    rect, J = curvilinear_to_rectilinear(c, R)
    assert np.allclose(rectilinear_to_curvilinear(rect, R), c, rtol=1e-9, atol=1e-6)
    for i, h in enumerate((1.0, 1.0, 1.0, 1e-4, 1e-4, 1e-4)):
        d = np.zeros(6)
        d[i] = h
        num = (curvilinear_to_rectilinear(np.add(c, d), R)[0] - curvilinear_to_rectilinear(np.subtract(c, d), R)[0]) / (2 * h)
        assert np.allclose(J[:, i], num, rtol=1e-5, atol=1e-6)


def test_polar_propagation_keeps_a_coelliptic_drift_that_cw_bends():
    # OS 25 km above the ERO, both circular: in curvilinear coordinates x stays 25 km
    n_e = math.sqrt(N * N * R ** 3 / (R - 25e3) ** 3)
    s = (25e3, 0.0, 0.0, 0.0, R * (N - n_e), 0.0)
    polar = polar_propagate(s, N, R, 6000.0)
    cw = cw_propagate(s, N, 6000.0)
    assert abs(polar[0] - 25e3) < 1e-3 and abs(polar[3]) < 1e-6
    assert abs(cw[0] - 25e3) > 100.0                       # CW's second-order error
    assert polar[1] == pytest.approx(6000.0 * R * (N - n_e), rel=1e-9)


def test_polar_propagation_is_cw_close_in():
    s = (20.0, 300.0, 5.0, 0.01, -0.02, 0.003)
    assert np.allclose(polar_propagate(s, N, R, 600.0), cw_propagate(s, N, 600.0), atol=2e-3)


def test_far_range_angles_only_track_in_curvilinear_coordinates():
    """A coelliptic drift from 300 km: the filter, started 3 km off in range, follows the
    camera's line of sight through the curvature of the orbit."""
    rng = np.random.default_rng(3)
    n_e = math.sqrt(N * N * R ** 3 / (R - 20e3) ** 3)
    truth = np.array((20e3, 300e3, 0.0, 0.0, R * (N - n_e), 0.0))
    prior = truth + np.array((200.0, 3000.0, 100.0, 0.0, 0.02, 0.0))
    f = RelNavFilter(RelNavConfig(N, radius_m=R), prior, (1000.0,) * 3 + (0.05,) * 3)
    for _ in range(600):
        truth = polar_propagate(truth, N, R, 10.0)
        f.predict(10.0)
        rect = curvilinear_to_rectilinear(truth, R)[0]
        f.update_angles(tuple(np.array(los(rect[:3])) + rng.normal(0, 1e-4, 3)))
    rect = curvilinear_to_rectilinear(truth, R)[0]
    assert abs(f.range - float(np.linalg.norm(rect[:3]))) < 0.01 * f.range
    assert f.rejected < 20

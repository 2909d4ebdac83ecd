"""Relative navigation EKF: convergence with range+angles, range from angles plus a burn,
the gate refusing an outlier, and the covariance reopening after a run of refusals."""
import math

import numpy as np

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

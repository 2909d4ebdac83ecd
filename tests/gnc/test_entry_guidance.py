"""Entry guidance (fsw.gnc.entry_guidance): the onboard predictor against the simulator's own
entry physics (written apart, in sim/), the corrector, reversals, the range trigger."""
import math

import pytest

from fsw.gnc import entry_guidance as eg
from fsw.gnc.kepler import norm
from fsw.gnc.site_frame import SiteFrame, great_circle_m, state_from_entry
from sim.atmosphere import MarsAtmosphere
from sim.entry import CapsuleParams, EntryVehicle, ParachuteParams
from sim.mars import MARS

SITE = SiteFrame.from_deg()
MODEL = eg.EntryModel()


def entry(range_km=560.0, speed=5670.0):
    return state_from_entry(SITE, range_km * 1e3, math.radians(90.0), MARS.radius_eq_m + 125e3, speed,
                            math.radians(-15.8))


def test_the_predictor_flies_like_the_simulator():
    """Lift straight up (no lateral lift, which the predictor leaves out), nominal air: the
    onboard predictor (RK4 at 2 s, fsw/) ends where the simulator's capsule (RK4 at 20 ms,
    sim/, written apart) is when it slows to the same speed: 764 km of range agree to 1e-4
    (a 2 s step on a drag pulse of ~20 s: ~1e-5 seen), the altitude to 50 m, the time to 0.1 s."""
    r, v = entry()
    s = eg.EntryGuidanceSettings(bank_align_deg=0.0, v_align_mps=400.0)
    rf, vf, t = eg.predict(r, v, 0.0, s, MODEL)
    ev = EntryVehicle(r, v, CapsuleParams(), ParachuteParams(), MarsAtmosphere(), MARS, bank_rad=0.0)
    while norm(ev.v) > s.v_final_mps:
        ev.step(0.02)
    sim_range = great_circle_m(r, ev.r, SITE.radius_m)
    assert sim_range > 700e3
    assert great_circle_m(r, rf, SITE.radius_m) == pytest.approx(sim_range, rel=1e-4)
    assert abs(norm(rf) - norm(ev.r)) < 50.0
    assert t == pytest.approx(ev.t, abs=0.1)


def test_more_bank_flies_shorter_and_the_corrector_finds_the_bank():
    r, v = entry()
    target = SITE.to_mcmf((0.0, 0.0, 0.0))
    s = eg.EntryGuidanceSettings()
    errs = [eg.range_error(r, v, math.radians(b), target, s, MODEL, 1.0) for b in (30.0, 60.0, 90.0)]
    assert errs[0] < errs[1] < errs[2]                       # short grows with bank
    bank = math.radians(150.0)
    for _ in range(4):                                       # a few guidance cycles
        bank, err = eg.correct_bank(r, v, bank, target, s, MODEL, 1.0)
    assert abs(err) < 500.0
    assert math.radians(s.bank_min_deg) < bank < math.radians(s.bank_max_deg)


def test_out_of_reach_saturates_the_bank():
    r, v = entry(range_km=900.0)                             # too far even with full lift up
    target = SITE.to_mcmf((0.0, 0.0, 0.0))
    s = eg.EntryGuidanceSettings()
    bank, err = eg.correct_bank(r, v, math.radians(60.0), target, s, MODEL, 1.0, iterations=6)
    assert bank == pytest.approx(math.radians(s.bank_min_deg)) and err > 0.0


def test_reversals_keep_the_cross_range_in_the_corridor():
    s = eg.EntryGuidanceSettings()
    wide = eg.corridor_m(5000.0, s)
    assert wide > eg.corridor_m(2000.0, s) > eg.corridor_m(1100.0, s) == s.corridor_m[0]
    # lift to the right (+1) while the target drifts out of the corridor on the left: reverse
    assert eg.lateral_sign(1.0, -(wide + 1.0), 5000.0, s) == -1.0
    assert eg.lateral_sign(1.0, -(wide - 1.0), 5000.0, s) == 1.0
    assert eg.lateral_sign(1.0, 50_000.0, 5000.0, s) == 1.0        # already pushing towards it
    assert eg.alignment_bank(1.0, -1000.0, s) == pytest.approx(-math.radians(s.bank_align_deg))
    assert eg.alignment_bank(1.0, -100.0, s) == pytest.approx(math.radians(s.bank_align_deg))   # deadband


def test_crossrange_sign_and_along_track():
    r = SITE.to_mcmf((-20e3, 0.0, 10e3))
    v = SITE.vec_to_mcmf((400.0, 0.0, -100.0))              # flying east
    south = SITE.to_mcmf((0.0, -2000.0, 0.0))
    assert eg.crossrange_m(r, v, south) == pytest.approx(2000.0, rel=0.01)     # right of an eastward track
    assert eg.along_track_m(r, v, SITE.to_mcmf((0.0, 0.0, 0.0))) == pytest.approx(20e3, rel=0.01)


def test_chute_range_matches_the_simulated_parachute_phase():
    """From a deploy-like state the onboard estimate of the horizontal distance to 2.1 km above
    the ground is what the simulator's parachute flies, within 5 % (its drag coefficient
    depends on Mach, the estimate's on speed; the heatshield goes at 20 s in both)."""
    h0 = 11_000.0
    p0 = (0.0, 0.0, h0)
    vh, vz = 380.0, -140.0
    r, v = SITE.to_mcmf(p0), SITE.vec_to_mcmf((vh, 0.0, vz))
    ev = EntryVehicle(r, v, CapsuleParams(), ParachuteParams(), MarsAtmosphere(), MARS, lift=False)
    ev.deploy_chute()
    while SITE.to_local(ev.r)[2] > 2100.0:
        ev.step(0.02)
        if ev.t >= 20.0:
            ev.separate_heatshield()
    flown = SITE.to_local(ev.r)[0]
    est = eg.chute_range(h0, vh, vz, MODEL, 1.0, SITE.radius_m - MARS.radius_eq_m, 2100.0)
    assert est == pytest.approx(flown, rel=0.05)


@pytest.mark.parametrize("to_go,chute,mach,qbar,height,why", [
    (5000.0, 6000.0, 1.9, 600.0, 11000.0, "range"),
    (7000.0, 6000.0, 1.9, 600.0, 11000.0, None),              # short: wait
    (5000.0, 6000.0, 2.3, 600.0, 11000.0, None),              # long but too fast: wait
    (5000.0, 6000.0, 1.9, 1200.0, 11000.0, None),             # dynamic pressure too high
    (9000.0, 6000.0, 1.6, 600.0, 11000.0, "mach_floor"),
    (9000.0, 6000.0, 2.0, 600.0, 5000.0, "altitude_floor"),
])
def test_deploy_decision(to_go, chute, mach, qbar, height, why):
    assert eg.deploy_decision(to_go, chute, mach, qbar, height, eg.DeployLimits()) == why

"""The ascent vehicle's step-size rules against fine references: folding a short gimbal slew
into one RK4 step, not splitting for the spin about the thrust axis, long coast steps when
no force cares about the attitude. Each rule saves RK4 steps (bench/ascent.py); these tests
hold it to the accuracy it claims."""
from __future__ import annotations

import copy
import math

import pytest

from sim.ascent import AscentVehicle


def _thrown(stage: int) -> AscentVehicle:
    v = AscentVehicle()
    v.eject()
    v.advance(50, 0.02)
    if stage == 1:
        v.separate_stage1()
        v.r, v.v = (0.0, 0.0, 3.7e6), (3000.0, 0.0, 0.0)   # high above drag
    v.ignite(stage)
    v.advance(50, 0.02)   # well into the burn
    return v


def _count_rk4(v: AscentVehicle) -> list[int]:
    n = [0]
    orig = v._rk4

    def counted(h, g0=None):
        n[0] += 1
        orig(h, g0)
    v._rk4 = counted
    return n


def test_short_gimbal_slew_folded_into_one_step_matches_the_split_reference():
    base = _thrown(0)
    folded, split, held = copy.deepcopy(base), copy.deepcopy(base), copy.deepcopy(base)
    split.gimbal_merge_frac = 0.0                  # every slew's end is its own step
    calls = _count_rk4(folded)
    for i in range(25):     # half a second of ticks, each commanding a 1 mrad correction
        d = 1e-3 if i % 2 == 0 else -1e-3           # (arrives 1.4 ms into the 20 ms step)
        for v in (folded, split, held):
            v.gimbal_cmd = [v.gimbal[0] + d, v.gimbal[1] - 0.5 * d]
        folded.step(0.02)
        for _ in range(40):
            split.step(0.0005)
        held.gimbal = list(held.gimbal_cmd)        # what ignoring the slew gives
        held.step(0.02)
    assert calls[0] == 25                          # one RK4 step per tick
    err = math.dist(folded.v, split.v)
    assert err < 0.4 * math.dist(held.v, split.v)  # the slew's impulse is accounted for
    assert err < 3e-5                              # m/s after 0.5 s (~3 mm/s over a burn)
    assert math.dist(folded.w, split.w) < 0.4 * math.dist(held.w, split.w)


def test_spin_about_the_thrust_axis_needs_no_split_and_stays_accurate():
    base = _thrown(1)
    base.w = (10.0, 0.01, 0.0)                      # stage 2 spin with a little nutation
    coarse, fine = copy.deepcopy(base), copy.deepcopy(base)
    calls = _count_rk4(coarse)
    for _ in range(1000):                           # 20 s of the burn
        coarse.advance(1, 0.02)
        fine.advance(40, 0.0005)
    assert calls[0] == 1000                         # 0.2 rad a step at 10 rad/s: one RK4 step
    assert math.dist(coarse.v, fine.v) < 5e-3       # m/s out of ~1 km/s gained
    assert math.dist(coarse.q, fine.q) < 1e-3       # attitude (quaternion components)


def test_a_tumbling_thrust_axis_still_splits_the_step():
    v = _thrown(1)
    v.w = (0.0, 8.0, 0.0)                           # the thrust axis itself turning at 8 rad/s
    calls = _count_rk4(v)
    v.advance(1, 0.02)
    assert calls[0] == 2                            # 0.16 rad > burn_turn_rad = 0.1


@pytest.mark.parametrize("rcs_force", [(0.0, 0.0, 0.0), (0.0, 5.0, 0.0)])
def test_spinning_coast_steps_are_limited_only_when_a_force_turns_with_the_body(rcs_force):
    v = _thrown(1)
    v.motors[1].cut = True                          # burn over: a coast
    v.w = (10.0, 0.0, 0.0)
    v.rcs_force = rcs_force
    h = v._coast_step()
    if any(rcs_force):    # a lateral force spinning at 10 rad/s: 0.1 rad of its turn a step
        assert h == pytest.approx(v.coast_turn_rad / 10.0)
    else:                 # nothing feels the attitude: only the attitude's own accuracy
        assert h == pytest.approx(v.spin_turn_rad / 10.0)

"""The rover's split: navigation as its own component, the sub-step table, the wiring
(requirement ids: fsw/vehicles/rover/DESIGN.md)."""
from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

from fsw.core.modes import check_structure
from fsw.core.substeps import SubSteps
from fsw.vehicles.rover.modes import HANDOFF_STEPS, PICKUP_STEPS, ROVER_STEPS
from fsw.vehicles.rover.navigation import RoverNavigation
from fsw.vehicles.rover.topics import DRIVE_SPEED, NAV_STATE, ROVER_FIX, NavState, PositionFix
from fsw.vehicles.rover.vehicle import build_rover

finite = st.floats(-50.0, 50.0, allow_nan=False)
positive = st.floats(0.0, 5.0, allow_nan=False)


class Wheels:
    name = "wheels"

    def __init__(self) -> None:
        self.odometer_m, self.heading_rad, self.speed_mps = 0.0, 0.0, 0.0

    def read(self):
        return SimpleNamespace(odometer_m=self.odometer_m, heading_rad=self.heading_rad, speed_mps=self.speed_mps)


class Imu:
    name = "imu0"

    def __init__(self, accel=(0.0, 0.0, 3.71)) -> None:
        self.accel = accel

    def read(self):
        return SimpleNamespace(rate_radps=(0.0, 0.0, 0.0), accel_mps2=self.accel)


# ------------------------------------------------------------ sub-steps (ROV-STEP-*)
def test_the_substep_table_is_sound():
    """ROV-STEP-001: every sub-step is reachable from idle and can get back to it."""
    assert check_structure(ROVER_STEPS) == []
    assert all("idle" in ROVER_STEPS.reachable_from(m) for m in ROVER_STEPS.modes)
    assert all(m in ROVER_STEPS.reachable_from("idle") for m in ROVER_STEPS.modes)


def test_each_pickup_substep_belongs_to_one_mode():
    """ROV-STEP-002: the pickup's sub-steps are split between its modes, none shared, none with the hand-off."""
    steps = [s for group in PICKUP_STEPS.values() for s in group]
    assert len(steps) == len(set(steps)) and not set(steps) & set(HANDOFF_STEPS)
    assert set(ROVER_STEPS.modes) == {"idle"} | set(steps) | set(HANDOFF_STEPS)


# Written from the requirements (DESIGN.md), not from the table: where each step may come from.
ALLOWED_FROM = {
    "look": {"idle", "look", "creep", "backoff"}, "creep": {"look"}, "above": {"look"},
    "descend": {"above"}, "grasp": {"descend"}, "backoff": {"grasp"},
    "stow": {"grasp", "idle"}, "confirm_stow": {"stow", "idle"},
    "to_slot": {"idle"}, "take_from_slot": {"to_slot"}, "present": {"take_from_slot", "idle"},
    "wait_taken": {"present"}, "release": {"wait_taken"}, "return_to_slot": {"wait_taken"},
}


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(sorted(ROVER_STEPS.modes) + ["bogus"]), st.integers(0, 3)), max_size=60))
def test_substeps_move_only_as_the_requirements_allow(moves):
    """ROV-STEP-003: a tube is stowed only after a grasp (or a restart that finds it held), offered
    only from its slot, released only once the lander's arm said TAKEN; "idle" ends any step."""
    steps = SubSteps(ROVER_STEPS)
    state, cycles = "idle", 0
    for target, ticks in moves:
        for _ in range(ticks):
            steps.tick()
            cycles += 1
        if target == "idle":
            expected = "idle" if state != "idle" else None
        else:
            expected = target if state in ALLOWED_FROM.get(target, ()) else None
        assert steps.go(target) == (expected is not None)
        if expected is not None:
            state, cycles = expected, 0
        assert (steps.state, steps.cycles) == (state, cycles)


# ------------------------------------------------------------ navigation (ROV-NAV-*)
@given(finite, finite, positive, positive, st.floats(0.0, 0.5), st.floats(0.0, 100.0), finite, finite, positive,
       st.sampled_from(["lander", "landmark", "ground"]))
def test_a_fix_moves_the_estimate_and_teaches_the_bound_only_when_it_missed(x, y, b, fb, g, since, fx, fy, _, kind):
    """ROV-NAV-001: after a fix the estimate is the fix and the bound is the fix's; the growth rate
    never falls, and rises only for a fix of the rover's own further off than both bounds
    after more than a metre driven (a ground fix is taken as given)."""
    s = NavState(x, y, 0.3, 10.0, b, g, since, 0.0, None)
    f = PositionFix(fx, fy, fb, "test", kind, 1.0 if kind == "ground" else None)
    a = s.after_fix(f)
    assert (a.x_m, a.y_m, a.bound_m, a.since_fix_m) == (fx, fy, fb, 0.0)
    assert a.heading_rad == (1.0 if kind == "ground" else 0.3)
    assert a.growth_per_m >= g
    missed = math.hypot(fx - x, fy - y) > b + fb and since > 1.0
    if a.growth_per_m > g:
        assert kind != "ground" and missed and a.growth_per_m <= 0.5


def test_navigation_applies_a_fix_as_the_manager_predicts_it():
    """ROV-NAV-002: navigation's state after a fix equals NavState.after_fix of its state before it,
    the fix is counted by kind and reported (RELOCALISED, BOUND_RAISED when the bound missed)."""
    w = Wheels()
    nav = RoverNavigation(wheels=w, imu=Imu())
    nav.step(0)
    for k in range(1, 30):           # drive 14.5 m east: the bound grows
        w.odometer_m = 0.5 * k
        nav.step(k)
    before = nav.state()
    fix = PositionFix(before.x_m + 3.0, before.y_m, 0.2, "tube 4", "landmark")
    nav.ports.inject(ROVER_FIX, fix)
    assert nav.state() == before.after_fix(fix)
    assert nav.tlm["landmark_fixes"] == 1 and nav.tlm["lander_fixes"] == 0
    names = [e.name for e in nav.event_log]
    assert names[-2:] == ["BOUND_RAISED", "RELOCALISED"]
    nav.ports.inject(ROVER_FIX, PositionFix(1.0, 2.0, 0.1, "ground", "ground", 0.5))
    assert (nav.dr.x, nav.dr.y, nav.dr.heading, nav.imu_heading) == (1.0, 2.0, 0.5, 0.5)
    assert nav.tlm["landmark_fixes"] == 1 and nav.tlm["lander_fixes"] == 0


def test_a_commanded_drive_that_does_not_turn_the_wheels_counts_as_stalled():
    """ROV-NAV-003: stalled_s grows while the last commanded speed is a drive and the odometer
    stands still; a stop command or a moving odometer clears it."""
    w = Wheels()
    nav = RoverNavigation(wheels=w, imu=Imu())
    nav.ports.inject(DRIVE_SPEED, 0.07)
    for k in range(5):
        nav.step(k)
    assert nav.tlm["stalled_s"] == 5 * nav.dt
    w.odometer_m = 0.01
    nav.step(6)
    assert nav.tlm["stalled_s"] == 0.0
    nav.ports.inject(DRIVE_SPEED, 0.0)
    nav.step(7)
    assert nav.tlm["stalled_s"] == 0.0


def test_tilt_beyond_the_limit_is_published_for_the_drive_to_stop():
    """ROV-NAV-004: the IMU's tilt past max_tilt_deg is in this step's state, gone the next."""
    imu = Imu(accel=(3.71 * math.sin(math.radians(30.0)), 0.0, 3.71 * math.cos(math.radians(30.0))))
    nav = RoverNavigation(wheels=Wheels(), imu=imu)
    nav.step(0)
    assert nav.state().tilt_hazard == "tilt 30.0 deg"
    imu.accel = (0.0, 0.0, 3.71)
    nav.step(1)
    assert nav.state().tilt_hazard == ""


def test_navigation_checkpoints_its_estimate():
    """ROV-NAV-005: a warm restart puts the estimate, the bound and the fix counters back."""
    w = Wheels()
    nav = RoverNavigation(wheels=w, imu=Imu())
    for k in range(10):
        w.odometer_m = 0.2 * k
        nav.step(k)
    nav.ports.inject(ROVER_FIX, PositionFix(1.0, 0.5, 0.3, "lander cameras", "lander"))
    saved = nav.checkpoint_state()
    again = RoverNavigation(wheels=w, imu=Imu())
    again.restore_state(saved)
    measured = {"accel_mps2": None, "wheel_speed_mps": 0.0}     # read again at the first step
    assert again.state() == replace(nav.state(), **measured) and again.tlm["lander_fixes"] == 1


# ------------------------------------------------------------ wiring (ROV-WIRE-*)
def test_the_rover_is_wired_navigation_first():
    """ROV-WIRE-001: navigation runs before the manager and the topics connect exactly them."""
    fsw = build_rover()
    assert [c.name for c in fsw.components] == ["rover_nav", "rover"]
    conn = {c.topic.name: (c.publishers, c.subscribers) for c in fsw.topology.connections}
    assert conn[NAV_STATE.name] == (("rover_nav",), ("rover",))
    assert conn[ROVER_FIX.name] == (("rover",), ("rover_nav",))
    assert conn[DRIVE_SPEED.name] == (("rover",), ("rover_nav",))


# ------------------------------------------------------------ pickup geometry (ROV-GEO-*)
@given(st.floats(0.8, 4.0), st.floats(-1.5, 1.5), st.floats(-3.1, 3.1), finite, finite)
def test_a_tube_seen_on_flat_ground_is_found_where_it_lies(fwd, left, heading, x, y):
    """ROV-GEO-001: on level, flat ground the navcam's line of sight meets the ground at the
    tube, and the body point maps to its place in the local frame (independent reference:
    the rotation by the heading written out here)."""
    from fsw.vehicles.rover.pickup_geometry import tube_in_body, world_of_body
    nav = NavState(x, y, heading, 0.0, 0.1, 0.03, 0.0, 0.0, (0.0, 0.0, 3.71))
    cam, tube_z = (0.3, 0.0, 1.1), 0.02
    d = (fwd - cam[0], left - cam[1], tube_z - cam[2])
    n = math.sqrt(sum(c * c for c in d))
    body = tube_in_body(tuple(c / n for c in d), cam, tube_z, nav, lambda _x, _y: 0.0)
    assert body is not None and all(abs(a - b) < 1e-9 for a, b in zip(body, (fwd, left, tube_z)))
    wx, wy, wz = world_of_body(body, nav, lambda _x, _y: 0.0)
    ex = x + fwd * math.cos(heading) - left * math.sin(heading)
    ey = y + fwd * math.sin(heading) + left * math.cos(heading)
    assert abs(wx - ex) < 1e-9 and abs(wy - ey) < 1e-9 and abs(wz - tube_z) < 1e-12


def test_a_line_of_sight_above_the_horizon_finds_no_tube():
    """ROV-GEO-002: a line of sight that does not reach the ground gives no position."""
    from fsw.vehicles.rover.pickup_geometry import tube_in_body
    nav = NavState(0.0, 0.0, 0.0, 0.0, 0.1, 0.03, 0.0, 0.0, None)
    assert tube_in_body((1.0, 0.0, 0.0), (0.3, 0.0, 1.1), 0.02, nav, lambda _x, _y: 0.0) is None

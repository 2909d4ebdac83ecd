"""The rover's split: navigation as its own component, the sub-step table, the wiring
(requirement ids: fsw/vehicles/rover/DESIGN.md)."""
from __future__ import annotations

import math
from dataclasses import replace
from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

from fsw.core.modes import check_structure
from fsw.core.substeps import SubSteps
from fsw.vehicles.rover.handoff import RoverHandoff
from fsw.vehicles.rover.modes import HANDOFF_STEPS, PICKUP_STEPS, ROVER_STEPS
from fsw.vehicles.rover.navigation import RoverNavigation
from fsw.vehicles.rover.topics import (DRIVE_NOTE, DRIVE_ORDER, DRIVE_SPEED, HANDOFF_NOTE, HANDOFF_REPLY, NAV_STATE, PICKUP_NOTE,
                                      PICKUP_ORDER, PICKUP_REPLY, PICKUP_WISH, ROVER_FIX, ROVER_STATUS,
                                      HandoffNote, HandoffReply, NavState, PositionFix, RoverStatus)
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
def test_the_substep_tables_are_sound():
    """ROV-STEP-001, ROV-HO-001: every sub-step is reachable from idle and can get back to it."""
    for table in (ROVER_STEPS, HANDOFF_STEPS):
        assert check_structure(table) == []
        assert all("idle" in table.reachable_from(m) for m in table.modes)
        assert all(m in table.reachable_from("idle") for m in table.modes)


def test_each_pickup_substep_belongs_to_one_mode():
    """ROV-STEP-002: the pickup's sub-steps are split between its modes, none shared."""
    steps = [s for group in PICKUP_STEPS.values() for s in group]
    assert len(steps) == len(set(steps))
    assert set(ROVER_STEPS.modes) == {"idle"} | set(steps)


# Written from the requirements (DESIGN.md), not from the table: where each step may come from.
ALLOWED_FROM = {
    "look": {"idle", "look", "creep", "backoff"}, "creep": {"look"}, "above": {"look"},
    "descend": {"above"}, "grasp": {"descend"}, "backoff": {"grasp"},
    "stow": {"grasp", "idle"}, "confirm_stow": {"stow", "idle"},
}
HANDOFF_FROM = {
    "to_slot": {"idle"}, "take_from_slot": {"to_slot"}, "present": {"take_from_slot", "idle"},
    "wait_taken": {"present"}, "release": {"wait_taken"}, "return_to_slot": {"wait_taken"},
}


@settings(max_examples=200)
@given(st.sampled_from(["pickup", "handoff"]),
       st.lists(st.tuples(st.sampled_from(sorted(set(ROVER_STEPS.modes) | set(HANDOFF_STEPS.modes)) + ["bogus"]),
                          st.integers(0, 3)), max_size=60))
def test_substeps_move_only_as_the_requirements_allow(which, moves):
    """ROV-STEP-003, ROV-HO-002: a tube is stowed only after a grasp (or a restart that finds it
    held); offered only once taken from its slot (or still held after a restart), released only
    once the lander's arm said TAKEN; "idle" ends any step."""
    table, allowed = (ROVER_STEPS, ALLOWED_FROM) if which == "pickup" else (HANDOFF_STEPS, HANDOFF_FROM)
    steps = SubSteps(table)
    state, cycles = "idle", 0
    for target, ticks in moves:
        for _ in range(ticks):
            steps.tick()
            cycles += 1
        if target == "idle":
            expected = "idle" if state != "idle" else None
        else:
            expected = target if state in allowed.get(target, ()) else None
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
    """ROV-WIRE-001: navigation runs before the manager; the pickup right after it, then mobility
    and the hand-off; the topics connect exactly them."""
    fsw = build_rover()
    assert [c.name for c in fsw.components] == ["rover_nav", "rover", "rover_pickup", "rover_mobility", "rover_handoff"]
    conn = {c.topic.name: (c.publishers, c.subscribers) for c in fsw.topology.connections}
    assert conn[NAV_STATE.name] == (("rover_nav",), ("rover", "rover_pickup", "rover_mobility", "rover_handoff"))
    assert conn[ROVER_FIX.name] == (("rover", "rover_pickup"), ("rover_nav",))
    assert conn[DRIVE_SPEED.name] == (("rover_mobility",), ("rover_nav",))
    assert conn[DRIVE_ORDER.name] == (("rover",), ("rover_mobility",))
    assert conn[DRIVE_NOTE.name] == (("rover_mobility",), ("rover",))
    assert conn[ROVER_STATUS.name] == (("rover",), ("rover_handoff",))
    assert conn[HANDOFF_REPLY.name] == (("rover",), ("rover_handoff",))
    assert conn[HANDOFF_NOTE.name] == (("rover_handoff",), ("rover",))
    assert conn[PICKUP_ORDER.name] == (("rover",), ("rover_pickup",))
    assert conn[PICKUP_NOTE.name] == (("rover_pickup",), ("rover",))
    assert conn[PICKUP_WISH.name] == (("rover_pickup",), ("rover",))
    assert conn[PICKUP_REPLY.name] == (("rover",), ("rover_pickup",))


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


# ------------------------------------------------------------ hand-off (ROV-HO-*)
class Arm:
    name = "arm"

    def __init__(self) -> None:
        self.target = (0.0, 0.0, 0.0)

    def move_to(self, target):
        self.target = tuple(target)

    def read(self):
        return SimpleNamespace(at_target=True, position_m=self.target)


class Gripper:
    name = "gripper"

    def __init__(self) -> None:
        self.calls: list[str] = []

    def open_jaws(self):
        self.calls.append("open")

    def close_jaws(self):
        self.calls.append("close")


class Link:
    def __init__(self) -> None:
        self.sent: list[tuple] = []

    def send(self, kind, *args):
        self.sent.append((kind,) + args)


def handing_over(aboard=(7,), tasks_left=False):
    h = RoverHandoff(arm=Arm(), gripper=Gripper(), handoff=Link())
    notes: list[HandoffNote] = []
    h.publish = lambda topic, note: notes.append(note)           # unwired: keep what it tells the manager
    h.ports.inject(NAV_STATE, NavState(1.0, 2.0, 0.0, 0.0, 0.1, 0.03, 0.0, 0.0, (0.0, 0.0, 3.71)))

    def status(holding=False, tube=0, mode="HANDOFF", on=tuple(aboard)):
        h.ports.inject(ROVER_STATUS, RoverStatus(mode, on, tasks_left, holding, tube))
    return h, notes, status


def run(h, status, n, **kw):
    for k in range(n):
        status(**kw)
        h.step(k)


def test_a_tube_is_offered_then_released_only_after_taken():
    """ROV-HO-003: slot, present (OFFER with the local point), wait; TAKEN opens the jaws and the
    manager is told "taken" once the gripper is empty; nothing happens outside HANDOFF."""
    h, notes, status = handing_over()
    run(h, status, 3, mode="RETURN")
    assert h.steps.state == "idle" and h.handoff.sent == [] and notes == []
    run(h, status, 6)                                   # to_slot, then take_from_slot waits > 3 cycles
    assert h.steps.state == "take_from_slot"
    run(h, status, 2, holding=True, tube=7)             # holding tube 7: present, then offer
    assert h.steps.state == "wait_taken" and h.handoff.sent[0][:2] == ("OFFER", 7)
    run(h, status, 5, holding=True, tube=7)
    assert h.steps.state == "wait_taken" and notes == []    # no answer: it waits
    h.ports.inject(HANDOFF_REPLY, HandoffReply("TAKEN", 7))
    run(h, status, 1, holding=True, tube=7)
    assert h.steps.state == "release" and h.gripper.calls[-1] == "open"
    run(h, status, 3, holding=False)
    assert notes == [] and h.steps.state == "release"       # the jaws take a moment to open
    run(h, status, 1, holding=False)
    assert notes == [HandoffNote("taken", 7)] and h.steps.state == "idle"
    run(h, status, 1, on=())                            # nothing aboard, no depot tube left: done
    assert notes[-1] == HandoffNote("done", all_done=True) and h.handoff.sent[-1] == ("DONE",)


def test_refused_offers_go_back_to_the_slot_and_too_many_call_the_ground():
    """ROV-HO-004: a REFUSED tube goes back into its slot; after max_refusals the manager is told "fault"."""
    h, notes, status = handing_over()
    h.set_param("max_refusals", 2)
    for attempt in (1, 2):
        run(h, status, 6)
        run(h, status, 2, holding=True, tube=7)
        h.ports.inject(HANDOFF_REPLY, HandoffReply("REFUSED", 7))
        run(h, status, 1, holding=True, tube=7)
        assert h.steps.state == "return_to_slot"
        run(h, status, 1)
        assert h.refusals == attempt and h.steps.state == "idle"
    assert [n.kind for n in notes] == ["refused", "refused", "fault"]


def test_a_hand_off_step_that_never_ends_times_out_and_stops_the_rover():
    """ROV-HO-005: past step_timeout_cycles in a sub-step: STEP_TIMEOUT, and a stopping fault."""
    h, notes, status = handing_over()
    h.set_param("step_timeout_cycles", 10)
    run(h, status, 13)                                  # never holding: stuck in take_from_slot
    assert "STEP_TIMEOUT" in [e.name for e in h.event_log]
    assert notes == [HandoffNote("fault", stop=True)] and h.steps.state == "idle"


def test_after_a_warm_restart_a_tube_still_held_is_presented_again():
    """ROV-HO-006: the refusal count survives a restart; a held tube aboard is presented again."""
    h, notes, status = handing_over()
    h.refusals = 2
    again, notes, status = handing_over()
    again.restore_state(h.checkpoint_state())
    run(again, status, 1, holding=True, tube=7)
    assert again.refusals == 2 and again.steps.state == "wait_taken"     # the arm was already there
    assert again.handoff.sent[0][:2] == ("OFFER", 7)

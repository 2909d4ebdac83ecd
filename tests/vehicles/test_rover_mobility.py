"""The rover's mobility component: pursuit, hazard stop, replan, the wheels (requirement ids:
fsw/vehicles/rover/DESIGN.md, ROV-MOB-*)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from fsw.vehicles.rover.mobility import RoverMobility
from fsw.vehicles.rover.topics import (DRIVE_NOTE, DRIVE_ORDER, DRIVE_SPEED, NAV_STATE, DriveNote, DriveOrder,
                                      NavState)
from fsw.vehicles.rover.vehicle import build_rover

PATH = ((0.0, 0.0), (10.0, 0.0))


class Wheels:
    name = "wheels"

    def __init__(self) -> None:
        self.commands: list[tuple[float, float]] = []

    def drive(self, speed, curvature):
        self.commands.append((speed, curvature))


class Map:
    """A cost map whose hazards are x in [lo, hi)."""

    def __init__(self, lo=5.0, hi=6.0) -> None:
        self.lo, self.hi = lo, hi

    def free_at(self, x, y):
        return not self.lo <= x < self.hi


def nav_at(x=0.0, bound=0.1, growth=0.03, tilt=""):
    return NavState(x, 0.0, 0.0, x, bound, growth, x, 0.0, (0.0, 0.0, 3.71), tilt)


def rig(cost_map=None):
    m = RoverMobility(wheels=Wheels(), cost_map=cost_map)
    out: list = []
    m.publish = lambda topic, payload: out.append((topic.name, payload))    # unwired: keep what it says
    return m, out


def order(action="pursue", mode="TRAVERSE", path=None, **kw):
    return DriveOrder(action, mode, 0.07, path, **kw)


def tick(m, nav, o, t=0):
    m.ports.inject(NAV_STATE, nav)
    m.ports.inject(DRIVE_ORDER, o)
    m.step(t)


def notes(out):
    return [p.kind for name, p in out if name == DRIVE_NOTE.name]


def test_a_pursued_path_drives_the_wheels_and_tells_navigation_the_speed():
    """ROV-MOB-001: "pursue" follows the path at the cruise speed (slower near its end) and
    publishes the commanded speed on every change; "stop" stops; "none" leaves the wheels be."""
    m, out = rig()
    tick(m, nav_at(0.0), order(path=PATH))
    tick(m, nav_at(0.1), order())
    assert m.wheels.commands[0][0] == 0.07 and len(m.wheels.commands) == 2
    assert [p for name, p in out if name == DRIVE_SPEED.name] == [0.07]      # once, on the change
    tick(m, nav_at(9.9), order())
    assert m.wheels.commands[-1][0] == pytest.approx(0.05) == m.tlm["speed_cmd_mps"]   # half the distance left
    tick(m, nav_at(9.9), order("none"))
    assert len(m.wheels.commands) == 3
    tick(m, nav_at(9.9), order("stop"))
    assert m.wheels.commands[-1] == (0.0, 0.0) and notes(out) == []


def test_a_tilt_stops_the_next_drive_and_the_manager_hears_it():
    """ROV-MOB-002: a tilt navigation saw (even while not driving) stops the next pursued step:
    wheels to zero, HAZARD_STOP counted, the path dropped, "hazard" for the manager."""
    m, out = rig()
    tick(m, nav_at(0.0, tilt="tilt 30.0 deg"), order("stop", mode="IDLE"))
    tick(m, nav_at(0.0), order(path=PATH))
    assert m.wheels.commands[-1] == (0.0, 0.0) and m.tlm["hazard_stops"] == 1
    assert notes(out) == ["hazard"] and m.pursuit is None
    assert [e.name for e in m.event_log] == ["HAZARD_STOP"]
    tick(m, nav_at(0.0), order())                 # no path until the manager plans again
    assert m.wheels.commands[-1] == (0.0, 0.0) and notes(out) == ["hazard"]


def test_entering_a_mapped_hazard_stops_but_leaving_one_does_not():
    """ROV-MOB-002: stepping from free ground into a mapped hazard stops the drive once off the
    deck; a drive starting inside one (planned after a hazard stop cleared) may leave it."""
    m, out = rig(Map())
    tick(m, nav_at(4.9), order(path=PATH, egressed=True))
    tick(m, nav_at(5.1), order(egressed=True))
    assert notes(out) == ["hazard"]
    m2, out2 = rig(Map())
    tick(m2, nav_at(5.5), order("stop", mode="HAZARD_STOP", poll_mode="HAZARD_STOP", stopped=True))
    tick(m2, nav_at(5.5), order(path=PATH, egressed=True))
    tick(m2, nav_at(6.1), order(egressed=True))
    assert notes(out2) == ["clear"] and m2.wheels.commands[-1][0] > 0.0
    m3, out3 = rig(Map())                          # still on the deck: no stop
    tick(m3, nav_at(4.9), order(path=PATH, mode="EGRESS"))
    tick(m3, nav_at(5.1), order(mode="EGRESS"))
    assert notes(out3) == []


@settings(max_examples=60)
@given(st.floats(0.0, 1.0), st.floats(0.0, 0.2), st.floats(0.0, 9.0), st.sampled_from(["TRAVERSE", "RETURN", "EGRESS"]))
def test_a_bound_that_outgrew_the_plan_stops_for_a_replan(planned, growth, x, mode):
    """ROV-MOB-003: in TRAVERSE and RETURN, a bound above the one the path was planned for at
    this point of it (planned + growth x progress) stops the drive and asks for a new plan;
    elsewhere, or within the plan, the rover drives on."""
    m, out = rig()
    tick(m, nav_at(0.0, bound=planned, growth=growth), order(path=PATH, mode=mode, plan_bound_m=planned))
    bound = planned + growth * x + 0.05
    tick(m, nav_at(x, bound=bound, growth=growth), order(mode=mode, plan_bound_m=planned))
    replanned = mode in ("TRAVERSE", "RETURN")
    assert notes(out) == (["replan"] if replanned else [])
    assert (m.wheels.commands[-1] == (0.0, 0.0)) == replanned
    assert [e.name for e in m.event_log] == (["REPLAN"] if replanned else [])


def test_the_manager_stops_for_a_hazard_in_the_same_tick():
    """ROV-MOB-004 / ROV-WIRE-001: wired, mobility's "hazard" note reaches the manager when
    mobility's step returns: HAZARD_STOP in the tick the drive stopped."""
    fsw = build_rover(delivery="perseverance", carried=(101,), handoff_pose=(10.0, 0.0, 0.0))
    rover, nav, mob = fsw.rover, fsw.nav, fsw.mobility
    rover.force_mode("IDLE")
    t = 0
    for _ in range(2):                               # plans a way home and starts along it
        for c in fsw.components:
            c.step(t := t + 100_000_000)
            fsw.topology.bus.deliver()
    assert rover.mode == "RETURN" and mob.pursuit is not None and mob.tlm["speed_cmd_mps"] > 0.0
    nav._tilt = "tilt 30.0 deg"
    nav.publish(NAV_STATE, nav.state())
    fsw.topology.bus.deliver()
    t += 100_000_000
    for c in (rover, fsw.pickup, mob):               # the drive order goes out with the pickup's wish
        c.step(t)
        fsw.topology.bus.deliver()
    assert rover.mode == "HAZARD_STOP" and mob.tlm["hazard_stops"] == 1 and rover.drive.path is None


def test_mobility_checkpoints_its_counters():
    """ROV-MOB-005: hazard stops, the hold and the stops in a row survive a warm restart."""
    m, _ = rig()
    m.tlm["hazard_stops"], m.tlm["device_faults"], m.tlm["holds"] = 3, 1, 2
    m._hold, m._held, m._stops_in_a_row = "navcam", 7, 2
    again = RoverMobility()
    again.restore_state(m.checkpoint_state())
    assert again.tlm["hazard_stops"] == 3 and again.tlm["device_faults"] == 1 and again.tlm["holds"] == 2
    assert (again._hold, again._held, again._stops_in_a_row) == ("navcam", 7, 2)


@settings(max_examples=40)
@given(st.lists(st.booleans(), min_size=1, max_size=12), st.integers(1, 5))
def test_hazard_stops_in_a_row_past_the_limit_call_the_ground(progress, limit):
    """ROV-MOB-006: every HAZARD_STOP step with a seeing navcam clears (replan) until more than
    `max_hazard_stops` stops came in a row (a stowed tube or the lander reached restarts the
    count): then "fault". The oracle counts the stops itself."""
    m, out = rig()
    m.set_param("max_hazard_stops", limit)
    expected, run = [], 0
    for reset in progress:
        if reset:
            tick(m, nav_at(0.0), order("none", mode="IDLE", poll_mode="IDLE", progress=True))
            run = 0
        tick(m, nav_at(0.0), order("stop", mode="HAZARD_STOP", poll_mode="HAZARD_STOP", stopped=True))
        run += 1
        expected.append("fault" if run > limit else "clear")
    assert notes(out) == expected
    assert DriveNote("hazard").kind == "hazard"


# ------------------------------------------------------------ drive planning (ROV-PLAN-*)
PLAN_PARAMS = {"inflate_by_bound": True, "bound_slack_m": 0.15, "standoff_m": 1.25, "tube_run_in_m": 2.0,
               "max_pos_bound_m": 3.0, "handoff_run_in_m": 3.0}


@given(st.floats(-20.0, 20.0), st.floats(-20.0, 20.0), st.floats(-20.0, 20.0), st.floats(-20.0, 20.0))
def test_a_tube_path_ends_in_a_straight_run_in_at_the_standoff_point(x, y, tx, ty):
    """ROV-PLAN-001: on open ground (no map) the path to a tube ends `tube_run_in_m` straight
    towards it and stops `standoff_m` short, facing it; an unbounded plan leaves no bound to check."""
    from fsw.vehicles.rover.drive_planning import PlanBound, tube_path
    pb = PlanBound(start=(1.0, 0.0), inflation_m=0.4)
    path = tube_path(pb, None, NavState(x, y, 0.0, 0.0, 0.1, 0.03, 0.0, 0.0, None), (tx, ty), PLAN_PARAMS)
    (px, py), (sx, sy) = path[-2], path[-1]
    assert path[0] == (x, y) and pb.start is None
    assert abs(((tx - sx) ** 2 + (ty - sy) ** 2) ** 0.5 - 1.25) < 1e-9
    assert abs(((sx - px) ** 2 + (sy - py) ** 2) ** 0.5 - 2.0) < 1e-9
    assert abs((sx - px) * (ty - sy) - (sy - py) * (tx - sx)) < 1e-6     # run-in points at the tube


@given(st.floats(-3.1, 3.1), st.floats(-10.0, 10.0), st.floats(-10.0, 10.0))
def test_a_landmark_behind_the_rover_is_never_in_view(heading, lx, ly):
    """ROV-PLAN-002: a known tube counts as in view only ahead of the rover and within
    `landmark_max_range_m` plus the bound."""
    import math
    from fsw.vehicles.rover.drive_planning import landmark_in_view
    nav = NavState(0.0, 0.0, heading, 0.0, 0.5, 0.03, 0.0, 0.0, None)
    ahead = lx * math.cos(heading) + ly * math.sin(heading) > 0.0
    near = math.hypot(lx, ly) < 4.5
    assert landmark_in_view(nav, {1: (lx, ly)}, 4.0) == (ahead and near)

"""The lander's rover tracker: stereo triangulation, its error estimate, and the fixes it sends."""
import math

import pytest
from hypothesis import given, settings, strategies as st

from fsw.vehicles.handoff import loopback_pair
from fsw.vehicles.lander.rover_tracker import RoverTracker, triangulate
from hal.devices import CameraTrackerReading

CAMS = ((0.0, 1.0, 2.5), (0.0, -1.0, 2.5))


class Cam:
    """A camera_tracker stand-in that sees a point (None: not detected)."""

    def __init__(self, name, at, world):
        self.name, self.at, self.world = name, at, world

    def read(self):
        p = self.world["rover"]
        if p is None:
            return CameraTrackerReading(0, (0.0, 0.0, 0.0), 0, 0.0)
        d = [p[k] - self.at[k] for k in range(3)]
        n = math.sqrt(sum(c * c for c in d))
        return CameraTrackerReading(0, tuple(c / n for c in d), 1, 1.0)


def tracker(world):
    rover_end, lander_end = loopback_pair()
    t = RoverTracker(cameras=[Cam("l", CAMS[0], world), Cam("r", CAMS[1], world)], camera_xyz_m=CAMS,
                     handoff=lander_end)
    return t, rover_end


@settings(max_examples=50, deadline=None)
@given(st.floats(-30, 30), st.floats(-30, 30), st.floats(-1, 3))
def test_noise_free_rays_meet_at_the_target(x, y, z):
    if math.hypot(x, y) < 2.0:
        return
    p = (x, y, z)
    rays = []
    for c in CAMS:
        d = [p[k] - c[k] for k in range(3)]
        n = math.sqrt(sum(v * v for v in d))
        rays.append((c, [v / n for v in d]))
    got = triangulate(rays[0][0], rays[0][1], rays[1][0], rays[1][1])
    if got is not None:                              # None only for (nearly) parallel rays
        assert got == pytest.approx(p, abs=1e-6)


def test_parallel_rays_and_points_behind_give_nothing():
    assert triangulate((0, 0, 0), (1, 0, 0), (0, 1, 0), (1, 0, 0)) is None
    assert triangulate((0, 0, 0), (1, 0, 0), (0, 1, 0), (-1, -1, 0)) is None


def test_fixes_are_sent_while_the_rover_is_in_view_and_has_moved():
    world = {"rover": (3.2, 0.0, 1.5)}
    t, rover_end = tracker(world)
    t.step(0)
    msgs = rover_end.receive()
    assert [m.kind for m in msgs] == ["FIX"] and t.mode == "TRACKING"
    assert msgs[0].xyz_m[:2] == pytest.approx((3.2, 0.0)) and 0.0 < msgs[0].sigma_m < 0.01
    for _ in range(20):                              # parked: no new fix
        t.step(0)
    assert rover_end.receive() == []
    world["rover"] = (4.0, 0.5, 1.5)
    for _ in range(5):
        t.step(0)
    assert [m.kind for m in rover_end.receive()] == ["FIX"]


def test_a_rover_along_the_baseline_or_far_away_gets_no_fix():
    world = {"rover": (0.5, 12.0, 1.5)}              # nearly on the cameras' baseline direction
    t, rover_end = tracker(world)
    t.step(0)
    assert rover_end.receive() == []
    world["rover"] = (40.0, 0.0, 1.5)                # beyond max_range_m
    t.step(0)
    assert rover_end.receive() == []
    world["rover"] = None
    for _ in range(5):
        t.step(0)
    assert t.mode == "IDLE"

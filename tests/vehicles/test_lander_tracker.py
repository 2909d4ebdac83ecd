"""The lander's rover tracker: stereo triangulation, its error estimate, and the fixes it sends."""
import math
import sys

import pytest
from hypothesis import example, given, settings, strategies as st

from fsw.vehicles.handoff import loopback_pair
from fsw.vehicles.lander.rover_tracker import MIN_SIN_GAMMA, RoverTracker, triangulate
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


def rays_to(p):
    out = []
    for c in CAMS:
        d = [p[k] - c[k] for k in range(3)]
        n = math.sqrt(sum(v * v for v in d))
        out.append((c, [v / n for v in d]))
    return out


def sin_between(u1, u2):
    cross = (u1[1] * u2[2] - u1[2] * u2[1], u1[2] * u2[0] - u1[0] * u2[2], u1[0] * u2[1] - u1[1] * u2[0])
    return math.sqrt(sum(c * c for c in cross))


coordinate = st.floats(-30, 30) | st.floats(-1e-3, 1e-3)       # and points on the baseline's line
height = st.floats(-1, 3) | st.floats(2.49, 2.51)


@settings(max_examples=300, deadline=None)
@given(coordinate, st.floats(-30, 30), height)
@example(0.0, 25.0, 2.484375)              # near the baseline: 1.5e-6 m off with 1 - cos^2 (issue 15)
@example(3.078405204493895e-05, -7.4856751184102635, 2.5)    # 1.6 mm off with 1 - cos^2
def test_noise_free_rays_meet_at_the_target_within_the_conditioning_of_the_geometry(x, y, z):
    """The guarantee (rover_tracker.triangulate): within 32 eps R / sin(gamma) of the point, and
    None only for rays parallel to within MIN_SIN_GAMMA."""
    if math.hypot(x, y) < 2.0:
        return
    p = (x, y, z)
    (c1, u1), (c2, u2) = rays_to(p)
    got = triangulate(c1, u1, c2, u2)
    sin_gamma = sin_between(u1, u2)
    if sin_gamma < 0.99 * MIN_SIN_GAMMA:
        assert got is None
        return
    if sin_gamma > 1.01 * MIN_SIN_GAMMA:
        assert got is not None
    if got is not None:
        r = max(math.dist(p, c1), math.dist(p, c2))
        assert math.dist(got, p) <= 32 * sys.float_info.epsilon * r / sin_gamma


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 2 * math.pi), st.floats(-1.0, 1.0), st.floats(0.0, 0.9 * MIN_SIN_GAMMA))
def test_nearly_parallel_rays_are_refused(azimuth, elevation, angle):
    u1 = (math.cos(azimuth) * math.cos(elevation), math.sin(azimuth) * math.cos(elevation), math.sin(elevation))
    tilt = (-math.sin(azimuth), math.cos(azimuth), 0.0)      # perpendicular to u1
    u2 = [u1[k] + angle * tilt[k] for k in range(3)]
    assert triangulate(CAMS[0], u1, CAMS[1], u2) is None


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

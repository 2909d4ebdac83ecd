"""Sensor visibility physics and fault hooks."""
from __future__ import annotations

import math

import numpy as np
import pytest

from hal.errors import DeviceTimeout
from sim.sensors import (CameraParams, Fault, FaultError, FaultHooks, LidarParams, detection_probability,
                         lidar_measure, ray_terrain_range, target_brightness)


def test_altimeter_ray_over_a_plane_gives_the_slant_range():
    def plane(x, y):
        return 0.1 * x
    # Straight down from 100 m above (0, 0): the ground is at z = 0 there.
    assert ray_terrain_range(plane, (0.0, 0.0, 100.0), (0, 0, -1), 1000.0) == pytest.approx(100.0, abs=1e-6)
    # 30 deg off vertical toward +x (uphill): z = 100 - t cos30 meets 0.1 t sin30.
    d = (math.sin(math.radians(30)), 0.0, -math.cos(math.radians(30)))
    expected = 100.0 / (math.cos(math.radians(30)) + 0.1 * math.sin(math.radians(30)))
    assert ray_terrain_range(plane, (0.0, 0.0, 100.0), d, 1000.0) == pytest.approx(expected, abs=1e-6)
    assert ray_terrain_range(plane, (0.0, 0.0, 100.0), (0, 0, -1), 50.0) is None   # out of range


def test_camera_detection_falls_with_range_and_is_half_at_the_design_range():
    cam = CameraParams()
    assert detection_probability(cam.range_50pct_m, cam) == pytest.approx(0.5)
    ps = [detection_probability(r, cam) for r in (5e3, 5e5, 1.5e6, 3e6, 1e7)]
    assert all(a >= b for a, b in zip(ps, ps[1:]))
    assert ps[0] > 0.999 and ps[-1] < 0.01
    assert target_brightness(100.0, cam) == 1.0 and target_brightness(2e4, cam) == pytest.approx(0.01)


def test_lidar_range_rate_and_limits():
    lp = LidarParams(max_range_m=1000.0, half_fov_rad=math.radians(10))
    r, rate, ok = lidar_measure((0.0, 300.0, 0.0), (0.0, -0.5, 0.0), (0, 1, 0), lp)
    assert (r, rate, ok) == (pytest.approx(300.0), pytest.approx(-0.5), 1)
    assert lidar_measure((0.0, 3000.0, 0.0), (0, 0, 0), (0, 1, 0), lp)[2] == 0     # beyond max range
    assert lidar_measure((300.0, 0.0, 0.0), (0, 0, 0), (0, 1, 0), lp)[2] == 0      # outside the FOV


def test_fault_hooks_dropout_stuck_offset():
    rng = np.random.default_rng(0)
    h = FaultHooks()
    h.inject(Fault("alt", "dropout", 10, 20))
    assert h.apply("alt", 5, {"range_m": 3.0, "valid": 1}, rng)["valid"] == 1
    assert h.apply("alt", 15, {"range_m": 3.0, "valid": 1}, rng)["valid"] == 0
    h.inject(Fault("imu", "dropout", 0, 100))
    with pytest.raises(DeviceTimeout):
        h.apply("imu", 1, {"accel_mps2": (0.0, 0.0, 0.0)}, rng)
    h.inject(Fault("t", "stuck", 0, 100))
    assert h.apply("t", 1, {"temp_C": 1.0}, rng)["temp_C"] == 1.0
    assert h.apply("t", 2, {"temp_C": 5.0}, rng)["temp_C"] == 1.0
    h.inject(Fault("v", "offset", 0, 100, field_name="los_unit", value=(0.1, 0.0, 0.0)))
    assert h.apply("v", 1, {"los_unit": (1.0, 0.0, 0.0)}, rng)["los_unit"] == (1.1, 0.0, 0.0)


@pytest.mark.parametrize("bad", [dict(mode="melt"), dict(mode="dropout", start_ns=5, end_ns=5),
                                 dict(mode="dropout", probability=2.0), dict(mode="offset")])
def test_bad_fault_specs_are_refused(bad):
    with pytest.raises(FaultError):
        Fault("x", **bad)

"""Rover plant: odometry vs truth, slope slip, tube pickup and stowage."""
from __future__ import annotations

import math

import pytest

from sim.plants import RoverPlant
from sim.rover import RoverParams, slip_fraction
from sim.terrain import Tube

from tests.sim.conftest import plane_terrain

S = 1_000_000_000


def test_flat_straight_drive_odometry_equals_truth(flat):
    plant = RoverPlant(flat, RoverParams(yaw_drift_sigma_rad_per_m=0.0))
    plant.actuate("wheels", {"speed_mps": 0.07, "curvature_1pm": 0.0})
    plant.advance_to(100 * S)
    t, w = plant.truth(), plant.sense("wheels")
    assert t["slip"] == 0.0
    assert w["odometer_m"] == pytest.approx(t["x_m"], rel=1e-9)
    # 0.05 m/s^2 ramp to 0.07 m/s: 100 s minus the 0.7 s ramp's half.
    assert t["x_m"] == pytest.approx(0.07 * 100 - 0.07 * 1.4 / 2, rel=1e-3)
    assert w["speed_mps"] == pytest.approx(0.07)


def test_uphill_slip_shortens_the_ground_track():
    steep = plane_terrain(slope_x=math.tan(math.radians(15.0)))
    plant = RoverPlant(steep, RoverParams(yaw_drift_sigma_rad_per_m=0.0))
    plant.actuate("wheels", {"speed_mps": 0.07, "curvature_1pm": 0.0})
    plant.advance_to(60 * S)
    t = plant.truth()
    s = slip_fraction(15.0, False, RoverParams())
    assert 0.1 < s < 0.5
    assert t["x_m"] == pytest.approx(t["odometer_m"] * (1 - s), rel=1e-6)
    assert t["pitch_rad"] == pytest.approx(math.radians(15.0), abs=1e-4)
    # The IMU sees gravity tilted by the slope.
    acc = plant.sense("imu0")["accel_mps2"]
    assert math.atan2(acc[0], acc[2]) == pytest.approx(math.radians(15.0), abs=1e-4)


def test_turning_changes_heading_by_curvature_times_distance(flat):
    plant = RoverPlant(flat, RoverParams(yaw_drift_sigma_rad_per_m=0.0))
    plant.actuate("wheels", {"speed_mps": 0.05, "curvature_1pm": 0.5})
    plant.advance_to(20 * S)
    w = plant.sense("wheels")
    assert w["heading_rad"] == pytest.approx(0.5 * w["odometer_m"], rel=1e-9)
    assert plant.truth()["heading_rad"] == pytest.approx(w["heading_rad"], rel=1e-9)


def test_pick_up_a_tube_and_stow_it():
    terrain = plane_terrain(tubes=(Tube(7, 1.35, 0.0), Tube(8, 30.0, 0.0)))
    plant = RoverPlant(terrain)
    assert plant.sense("navcam")["detected"] == 1
    # Tube 7 lies 0.8 m ahead of the arm base (0.55 m forward), 0.43 m below it.
    plant.actuate("arm", {"target_m": (0.8, 0.0, -0.43)})
    plant.advance_to(30 * S)
    assert plant.sense("arm")["at_target"] == 1
    plant.actuate("gripper", {"close": 1})
    assert plant.sense("gripper") == {"closed": 1, "holding": 1, "tube_id": 7}
    plant.actuate("arm", {"target_m": RoverParams().stow_point_m})
    plant.advance_to(60 * S)
    plant.actuate("gripper", {"close": 0})
    assert plant.sense("slot0") == {"present": 1, "tube_id": 7}
    assert plant.sense("gripper")["holding"] == 0
    where = {tid: v["where"] for tid, v in plant.truth()["tubes"].items()}
    assert where == {7: "slot0", 8: "ground"}
    # Closing on nothing holds nothing; the stowed tube is not seen on the ground any more.
    plant.actuate("gripper", {"close": 1})
    assert plant.sense("gripper")["holding"] == 0
    assert plant.sense("navcam")["detected"] == 0      # tube 8 is 30 m away, out of range


def test_dropping_a_tube_away_from_stowage_leaves_it_on_the_ground():
    terrain = plane_terrain(tubes=(Tube(3, 1.35, 0.0),))
    plant = RoverPlant(terrain)
    plant.actuate("arm", {"target_m": (0.8, 0.0, -0.43)})
    plant.advance_to(30 * S)
    plant.actuate("gripper", {"close": 1})
    plant.actuate("arm", {"target_m": (0.8, 0.3, -0.43)})
    plant.advance_to(40 * S)
    plant.actuate("gripper", {"close": 0})
    t = plant.truth()
    assert t["tubes"][3]["where"] == "ground" and t["slots"] == (0,) * 10
    assert t["tubes"][3]["xy_m"] == pytest.approx((1.35, 0.3), abs=0.01)


def test_imu_yaw_rate_is_the_mean_over_its_sample_so_integrating_it_keeps_the_drift(flat):
    """Yaw drift changes the heading every physics step; a 10 Hz IMU must report the mean rate
    of its interval (delta angle / dt), so summing rate * 0.1 s tracks the true heading."""
    plant = RoverPlant(flat, RoverParams(yaw_drift_sigma_rad_per_m=0.02), physics_rate_hz=50, seed=3,
                       imu_sample_hz=10)
    plant.actuate("wheels", {"speed_mps": 0.07, "curvature_1pm": 0.1})
    heading = 0.0
    for k in range(1, 601):
        plant.advance_to(k * S // 10)
        heading += plant.sense("imu0")["rate_radps"][2] * 0.1
    t = plant.truth()
    drift = t["heading_rad"] - t["odo_heading_rad"]
    assert abs(drift) > 0.01                                  # the drift is there to be seen
    assert heading == pytest.approx(t["heading_rad"], abs=1e-9)


def test_imu_sample_rate_must_divide_the_physics_rate(flat):
    with pytest.raises(ValueError, match="imu_sample_hz"):
        RoverPlant(flat, physics_rate_hz=50, imu_sample_hz=20)

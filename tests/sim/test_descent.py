"""Powered descent plant: free fall and hover physics, throttle limits, touchdown detection."""
from __future__ import annotations

import math

import pytest

from sim.descent import DescentParams
from sim.plants import DescentPlant

NO_AIR = dict(drag_cd_area_m2=0.0)


def test_free_fall_touchdown_speed_matches_energy(flat):
    p = DescentParams(initial_position_m=(0.0, 0.0, 101.2), initial_velocity_mps=(1.0, 0.0, -5.0), **NO_AIR)
    plant = DescentPlant(flat, p, physics_rate_hz=200)
    plant.advance_to(20_000_000_000)
    td = plant.truth()["touchdown"]
    assert td is not None and plant.truth()["landed"]
    # Feet 1.2 m below the centre of mass start 100 m above the plane: v^2 = v0^2 + 2 g h.
    # The integrator is exact for constant acceleration; the contact instant is interpolated
    # linearly within a 5 ms step, so the speed is right to ~g * 5 ms * 1% (far below 1e-3).
    assert td["vertical_speed_mps"] == pytest.approx(math.sqrt(25.0 + 2 * 3.71 * 100.0), rel=1e-3)
    assert td["horizontal_speed_mps"] == pytest.approx(1.0, rel=1e-9)
    assert td["slope_deg"] == pytest.approx(0.0, abs=1e-6) and td["max_rock_m"] == 0.0
    # After touchdown the IMU feels the ground holding it up.
    assert plant.sense("imu0")["accel_mps2"] == pytest.approx((0.0, 0.0, 3.71))


def test_hover_throttle_holds_altitude_while_mass_drops(flat):
    p = DescentParams(initial_position_m=(0.0, 0.0, 500.0), initial_velocity_mps=(0.0, 0.0, 0.0), **NO_AIR)
    plant = DescentPlant(flat, p)
    m0 = p.dry_mass_kg + p.propellant_kg
    hover = m0 * p.gravity_mps2 / p.max_thrust_N
    plant.actuate("engine", {"throttle": hover, "thrust_dir_unit": (0.0, 0.0, 1.0)})
    plant.advance_to(1_000_000_000)
    t = plant.truth()
    # The throttle ramps from the 10% floor in ~0.1 s (sinking < 0.2 m/s meanwhile), then the
    # lighter lander accelerates upward slightly: still within 0.5 m/s after 1 s.
    assert abs(t["velocity_mps"][2]) < 0.5
    used = m0 - t["mass_kg"]
    assert used == pytest.approx(hover * p.max_thrust_N / (p.isp_s * 9.80665), rel=0.1)
    acc = plant.sense("imu0")["accel_mps2"]
    # The IMU reports the last step's mid-step specific force: mass differs by half a step's
    # propellant (~0.03 kg of 2270 kg), hence 1e-4 rather than float precision.
    assert acc[2] == pytest.approx(plant.sense("engine")["thrust_N"] / t["mass_kg"], rel=1e-4)


def test_throttle_limits(flat):
    plant = DescentPlant(flat, DescentParams(**NO_AIR))
    plant.actuate("engine", {"throttle": 0.02})
    plant.advance_to(500_000_000)
    assert plant.truth()["throttle"] == pytest.approx(0.1)            # floor when on
    plant.actuate("engine", {"throttle": 3.0})
    plant.advance_to(1_000_000_000)
    assert plant.truth()["throttle"] == pytest.approx(1.0)            # full is full
    assert plant.sense("engine")["thrust_N"] == pytest.approx(12 * 3100.0)
    plant.actuate("engine", {"throttle": 0.0})
    plant.advance_to(1_500_000_000)
    assert plant.truth()["thrust_N"] == 0.0


def test_altimeter_and_lidar_see_the_ground(flat):
    p = DescentParams(initial_position_m=(0.0, 0.0, 300.0), initial_velocity_mps=(0.0, 0.0, -20.0), **NO_AIR)
    plant = DescentPlant(flat, p)
    assert plant.sense("altimeter0") == {"range_m": pytest.approx(300.0), "valid": 1}
    lid = plant.sense("lidar0")
    assert lid["range_m"] == pytest.approx(300.0) and lid["range_rate_mps"] == pytest.approx(-20.0, rel=1e-6)


def test_touchdown_on_generated_terrain_records_the_ground(terrain):
    plant = DescentPlant(terrain, DescentParams(initial_position_m=(10.0, 10.0, 60.0), initial_velocity_mps=(0, 0, -2.0)))
    plant.advance_to(30_000_000_000)
    td = plant.truth()["touchdown"]
    assert td is not None
    # The lowest foot is on the ground at the recorded position (within the interpolation).
    x, y, z = td["position_m"]
    feet = [terrain.height_at(x + dx, y + dy) for dx, dy in ((2.2, 0), (0, 2.2), (-2.2, 0), (0, -2.2))]
    assert z - 1.2 - max(feet) == pytest.approx(0.0, abs=0.01)

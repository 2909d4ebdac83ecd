"""The plant protocol as every plant implements it: fixed grid, device dispatch, errors."""
from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hal.catalog import KINDS, zero_values
from hal.values import check_values
from hal.plant import Plant
from sim.plants import (AscentPlant, CompositePlant, DescentPlant, PlantDeviceError, PlantTimeError,
                        RendezvousPlant, RoverPlant, ThermalPlant)
from sim.sensors import Fault


def all_plants(terrain):
    return [DescentPlant(terrain), RoverPlant(terrain), AscentPlant(), RendezvousPlant(), ThermalPlant()]


def test_every_plant_returns_exactly_the_catalog_fields(terrain):
    for plant in all_plants(terrain):
        assert isinstance(plant, Plant)
        for device, kind_name in plant.devices.items():
            kind = KINDS[kind_name]
            if kind.is_sensor:
                reading = plant.sense(device)
                assert tuple(reading) == kind.readings.names, device
                for f in kind.readings.fields:
                    v = reading[f.name]
                    assert (len(v) == f.count) if f.count > 1 else not isinstance(v, tuple), device
                check_values(kind.readings, reading, device)      # what the HAL backend demands
            if kind.is_actuator:
                plant.actuate(device, zero_values(kind.commands))  # a safe all-zero command


def test_advance_refuses_off_grid_backwards_and_non_integer_times(terrain):
    plant = DescentPlant(terrain, physics_rate_hz=200)      # 5 ms grid
    plant.advance_to(20_000_000)
    assert plant.now_ns() == 20_000_000 and plant.steps == 4
    with pytest.raises(PlantTimeError):
        plant.advance_to(22_000_000)                         # not a multiple of 5 ms
    with pytest.raises(PlantTimeError):
        plant.advance_to(15_000_000)                         # backwards
    with pytest.raises(PlantTimeError):
        plant.advance_to(25e6)                               # float, not integer ns
    plant.advance_to(20_000_000)                             # same time: nothing to do
    assert plant.steps == 4
    plant.check_base_rate(50)
    with pytest.raises(PlantTimeError):
        plant.check_base_rate(300)
    with pytest.raises(ValueError):
        DescentPlant(terrain, physics_rate_hz=3)             # 1/3 s is not a whole ns


def test_unknown_devices_and_bad_commands_are_device_faults(terrain):
    plant = RoverPlant(terrain)
    with pytest.raises(PlantDeviceError):
        plant.sense("warp_drive")
    with pytest.raises(PlantDeviceError):
        plant.actuate("wheels", {"warp": 9})
    with pytest.raises(PlantDeviceError):
        plant.actuate("wheels", {"speed_mps": float("nan")})
    with pytest.raises(PlantDeviceError):
        plant.actuate("wheels", {"speed_mps": "fast"})
    with pytest.raises(PlantDeviceError):
        plant.actuate("imu0", {"accel_mps2": (0, 0, 0)})    # a sensor takes no commands
    with pytest.raises(PlantDeviceError):
        plant.inject_fault(Fault("nope", "dropout"))


def test_composite_plant_routes_devices_and_refuses_before_moving():
    mav = CompositePlant(ThermalPlant(physics_rate_hz=50), AscentPlant(physics_rate_hz=100))
    mav.actuate("heater0", {"power_W": 5.0})
    assert mav.sense("heater0")["power_W"] == 5.0
    assert "q_body_to_inertial" in mav.sense("star_tracker0")
    mav.advance_to(40_000_000)
    with pytest.raises(PlantTimeError):
        mav.advance_to(50_000_000)          # on the ascent grid (10 ms), off the thermal one (20 ms)
    assert all(p.now_ns() == 40_000_000 for p in mav.parts)
    with pytest.raises(ValueError):
        CompositePlant(ThermalPlant(), ThermalPlant())


def test_composite_plant_checks_a_time_once_and_steps_every_part_as_advance_to_would():
    """The composite checks the time for all parts, then steps each without checking again:
    a numpy integer on the grid is taken as the int it is (as a part alone takes it), and the
    parts end where advancing each on its own leaves them."""
    import numpy as np
    mav = CompositePlant(ThermalPlant(physics_rate_hz=50), AscentPlant(physics_rate_hz=100))
    alone = (ThermalPlant(physics_rate_hz=50), AscentPlant(physics_rate_hz=100))
    for t in (np.int64(20_000_000), 60_000_000, 60_000_000, np.int32(100_000_000)):
        mav.advance_to(t)
        for p in alone:
            p.advance_to(t)
    assert [type(p.now_ns()) for p in mav.parts] == [int, int]
    assert [p.now_ns() for p in mav.parts] == [p.now_ns() for p in alone] == [100_000_000] * 2
    assert [p.steps for p in mav.parts] == [p.steps for p in alone] == [5, 10]
    assert pickle.dumps(mav.truth()) == pickle.dumps({type(p).__name__: p.truth() for p in alone})


def test_fault_injected_in_a_plant_reaches_sense(terrain):
    plant = DescentPlant(terrain)
    plant.inject_fault(Fault("altimeter0", "dropout", 10_000_000, 20_000_000))
    assert plant.sense("altimeter0")["valid"] == 1
    plant.advance_to(10_000_000)
    assert plant.sense("altimeter0")["valid"] == 0
    plant.advance_to(20_000_000)
    assert plant.sense("altimeter0")["valid"] == 1


def _scripted_run(terrain, seed):
    rover = RoverPlant(terrain, seed=seed)
    rv = RendezvousPlant(seed=seed)
    out = []
    rover.actuate("wheels", {"speed_mps": 0.07, "curvature_1pm": 0.1})
    for k in range(1, 101):
        t = k * 100_000_000
        rover.advance_to(t)
        rv.advance_to(t)
        out.append((rover.sense("wheels"), rover.sense("imu0"), rv.sense("nac")))
    return pickle.dumps((out, rover.truth(), rv.truth()))


def test_seeded_runs_are_byte_identical(terrain):
    assert _scripted_run(terrain, 5) == _scripted_run(terrain, 5)
    assert _scripted_run(terrain, 5) != _scripted_run(terrain, 6)


@settings(max_examples=30, deadline=None)
@given(targets=st.lists(st.integers(-5, 60), min_size=1, max_size=8))
def test_any_sequence_of_advances_either_steps_the_grid_or_refuses_cleanly(terrain, targets):
    """Whatever times a clock asks for, the plant ends exactly where a single advance to the
    last accepted time would leave it (same steps, same floats), and a refusal changes nothing."""
    plant = DescentPlant(terrain)
    plant.actuate("engine", {"throttle": 0.4})
    accepted = 0
    for k in targets:
        t = k * 2_500_000                   # half the 5 ms physics step: some are off the grid
        before = pickle.dumps(plant.truth())
        try:
            plant.advance_to(t)
            accepted = t
        except PlantTimeError:
            assert t < plant.now_ns() or t % plant.step_ns
            assert pickle.dumps(plant.truth()) == before
    once = DescentPlant(terrain)
    once.actuate("engine", {"throttle": 0.4})
    once.advance_to(accepted)
    assert pickle.dumps(once.truth()) == pickle.dumps(plant.truth())

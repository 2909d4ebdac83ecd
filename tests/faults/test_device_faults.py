"""Sensor and actuator faults of the simulated backend (hal.simulated.SimChannel.set_fault)."""
import numpy as np
import pytest

from hal.catalog import KINDS
from hal.errors import DeviceTimeout
from hal.simulated import SimChannel
from hal.table_plant import TablePlant

DEVICES = {"imu": "imu", "gimbal": "gimbal", "heater": "heater"}


def channel(name):
    plant = TablePlant(DEVICES)
    return plant, SimChannel(plant, name, KINDS[DEVICES[name]])


def test_bias_step_on_one_field_only():
    plant, ch = channel("imu")
    plant.set("imu", accel_mps2=(0.0, 0.0, 3.71), rate_radps=(0.1, 0.2, 0.3))
    ch.set_fault("bias", magnitude=2.0, field="accel_mps2")
    plant.advance_to(ch.model.period_ns)
    s = ch.read()
    assert s.values["accel_mps2"] == pytest.approx((2.0, 2.0, 5.71))
    assert s.values["rate_radps"] == pytest.approx((0.1, 0.2, 0.3))
    ch.set_fault(None)
    plant.advance_to(2 * ch.model.period_ns)
    assert ch.read().values["accel_mps2"] == pytest.approx((0.0, 0.0, 3.71))


def test_noise_burst_uses_its_own_generator_and_the_given_sigma():
    plant, ch = channel("imu")
    ch.set_fault("noise", magnitude=0.5, rng=np.random.default_rng(3))
    xs = []
    for k in range(1, 400):
        plant.advance_to(k * ch.model.period_ns)
        xs.append(ch.read().values["accel_mps2"][0])
    assert 0.4 < np.std(xs) < 0.6


def test_failed_unit_answers_nothing_either_way():
    plant, ch = channel("heater")
    ch.set_fault("failed")
    with pytest.raises(DeviceTimeout):
        ch.read()
    with pytest.raises(DeviceTimeout):
        ch.write({"power_W": 5.0})


def test_stuck_actuator_acknowledges_but_the_plant_keeps_the_old_command():
    plant, ch = channel("heater")
    ch.write({"power_W": 5.0})
    ch.set_fault("stuck")
    ch.write({"power_W": 40.0})
    assert [c["power_W"] for c in plant.commands["heater"]] == [5.0]
    ch.set_fault(None)
    ch.write({"power_W": 40.0})
    assert [c["power_W"] for c in plant.commands["heater"]] == [5.0, 40.0]


@pytest.mark.parametrize("kw, message", [({"magnitude": float("nan")}, "finite"), ({"field": "nope"}, "no float field")])
def test_bad_fault_parameters_are_refused(kw, message):
    _, ch = channel("imu")
    with pytest.raises(ValueError, match=message):
        ch.set_fault("bias", **kw)

"""Simulated backend: determinism, noise statistics, quantisation, rate holding, faults."""
import math

import numpy as np
import pytest

from hal.catalog import KINDS
from hal.devices import Imu, Igniter, Radio, make_device
from hal.errors import DeviceConfigError, DeviceTimeout
from hal.simulated import FieldNoise, SensorModel, SimChannel, device_rng
from hal.table_plant import TablePlant

G = (0.0, 0.0, 3.71)


def imu(plant, seed=7, rate_hz=200, **noise):
    model = SensorModel(rate_hz, {"accel_mps2": FieldNoise(**noise)} if noise else {})
    return Imu(SimChannel(plant, "imu0", KINDS["imu"], model, device_rng(seed, "imu0")))


def run(dev, plant, n, step_ns):
    out = []
    for k in range(n):
        plant.advance_to(k * step_ns)
        out.append(dev.read())
    return out


def test_same_seed_same_readings_and_different_seed_differs():
    def series(seed):
        p = TablePlant({"imu0": "imu"})
        p.set("imu0", accel_mps2=G)
        return run(imu(p, seed, sigma=0.01, bias_sigma=0.001), p, 50, 5_000_000)
    assert series(1) == series(1)
    assert series(1) != series(2)


def test_device_generator_depends_on_name_not_order():
    a = device_rng(42, "imu0").standard_normal(4)
    device_rng(42, "imu1").standard_normal(4)
    assert np.array_equal(a, device_rng(42, "imu0").standard_normal(4))
    assert not np.array_equal(a, device_rng(42, "imu1").standard_normal(4))


def test_noise_statistics():
    # 4000 samples x 3 axes: the sample mean of N(0, s^2) has sd s/sqrt(12000) ~ 0.009 s,
    # so |mean - bias| < 0.05 s is a > 5 sigma bound; the sd estimate has relative sd
    # 1/sqrt(2 n) ~ 0.65 %, so 5 % is a > 7 sigma bound.
    p = TablePlant({"imu0": "imu"})
    p.set("imu0", accel_mps2=G)
    sigma, bias = 0.02, 0.5
    dev = imu(p, sigma=sigma, bias=bias)
    readings = run(dev, p, 4000, 5_000_000)
    err = np.array([r.accel_mps2 for r in readings]) - np.array(G)
    assert abs(err.mean() - bias) < 0.05 * sigma
    assert abs(err.std() / sigma - 1) < 0.05
    # axes are independent: correlation between x and y errors is near 0 (sd ~ 1/sqrt(n))
    assert abs(np.corrcoef(err[:, 0], err[:, 1])[0, 1]) < 5 / math.sqrt(4000)


def test_bias_sigma_draws_one_constant_offset_per_device():
    p = TablePlant({"imu0": "imu"})
    dev = imu(p, bias_sigma=0.1)
    readings = run(dev, p, 20, 5_000_000)
    first = readings[0].accel_mps2
    assert all(r.accel_mps2 == first for r in readings)  # no white noise: constant
    assert first == pytest.approx(dev.channel.bias["accel_mps2"])
    assert any(abs(x) > 1e-6 for x in first)


def test_quantisation_rounds_to_multiples_of_the_quantum():
    p = TablePlant({"imu0": "imu"})
    p.set("imu0", accel_mps2=(0.01234, -0.0456, 3.71))
    q = 0.001
    dev = imu(p, sigma=0.003, quantum=q)
    for r in run(dev, p, 200, 5_000_000):
        for x in r.accel_mps2:
            assert abs(x / q - round(x / q)) < 1e-6
    quiet = imu(p, quantum=0.01)
    assert quiet.read().accel_mps2 == pytest.approx((0.01, -0.05, 3.71))


def test_rate_holding_and_integer_ns_grid():
    p = TablePlant({"imu0": "imu"})
    ch = SimChannel(p, "imu0", KINDS["imu"], SensorModel(8), None)  # 8 Hz: period 125_000_000 ns
    period = 125_000_000
    p.advance_to(0)
    s0 = ch.read()
    p.set("imu0", accel_mps2=(1.0, 2.0, 3.0))
    p.advance_to(period - 1)
    assert ch.read() is s0          # between grid points: the same sample, no new draw
    p.advance_to(period + 10)
    s1 = ch.read()
    assert s1.t_ns == period and s1.values["accel_mps2"] == (1.0, 2.0, 3.0)
    p.advance_to(5 * period + 7)
    assert ch.read().t_ns == 5 * period
    assert ch.samples_taken == 3


def test_rates_without_whole_ns_period_are_refused():
    with pytest.raises(ValueError):
        SensorModel(7).period_ns


def test_faults_stuck_and_dropout():
    p = TablePlant({"imu0": "imu"})
    dev = imu(p)
    first = dev.read()
    dev.channel.set_fault("stuck")
    p.set("imu0", accel_mps2=(9.0, 9.0, 9.0))
    p.advance_to(10**9)
    assert dev.read() == first
    dev.channel.set_fault("dropout")
    with pytest.raises(DeviceTimeout, match="imu0"):
        dev.read()
    dev.channel.set_fault(None)
    assert dev.read().accel_mps2 == (9.0, 9.0, 9.0)


def test_noise_on_unknown_or_integer_field_is_a_config_error():
    p = TablePlant({"st": "star_tracker"})
    rng = np.random.default_rng(0)
    with pytest.raises(DeviceConfigError, match="st"):
        SimChannel(p, "st", KINDS["star_tracker"], SensorModel(5, {"valid": FieldNoise(sigma=1)}), rng)


def test_actuator_commands_reach_the_plant_complete_and_checked():
    p = TablePlant({"ign": "igniter"})
    ign = make_device(SimChannel(p, "ign", KINDS["igniter"]))
    assert isinstance(ign, Igniter)
    ign.arm()
    ign.fire()
    assert p.commands["ign"] == [{"arm": 1, "fire": 0}, {"arm": 1, "fire": 1}]


def test_radio_bytes_are_drained_not_held():
    p = TablePlant({"radio0": "radio"})
    radio = Radio(SimChannel(p, "radio0", KINDS["radio"]))
    radio.send(b"hello")
    assert radio.read().rx_bytes == b"hello"
    assert radio.read().rx_bytes == b""


def test_wrong_kind_for_typed_interface_is_refused():
    p = TablePlant({"t0": "thermometer"})
    with pytest.raises(DeviceConfigError, match="t0"):
        Imu(SimChannel(p, "t0", KINDS["thermometer"]))

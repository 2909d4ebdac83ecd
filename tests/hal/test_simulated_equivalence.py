"""The simulated backend's scalar arithmetic gives bit for bit what the float64 array
formulation gives, and asks the generator for the same numbers in the same order.

HIL equivalence (telemetry compared byte for byte) and Monte Carlo determinism rest on this,
so the reference below is the array formulation the backend used to run: truth + bias as
float64 arrays, `sigma * rng.standard_normal(count)`, `np.round(x / quantum) * quantum`.
"""
import math
import struct

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hal.catalog import KINDS
from hal.simulated import FieldNoise, SensorModel, SimChannel, _rint, device_rng
from hal.table_plant import TablePlant


def bits(v):
    """Values as their exact bytes (tells -0.0 from 0.0, NaN payloads apart)."""
    if isinstance(v, tuple):
        return b"".join(bits(x) for x in v)
    if isinstance(v, float):
        return struct.pack("<d", v)
    return repr(v).encode()


def reference_bias(noise: FieldNoise, count: int, rng: np.random.Generator) -> np.ndarray:
    b = np.full(count, noise.bias, dtype=float)
    if noise.bias_sigma > 0:
        b += noise.bias_sigma * rng.standard_normal(count)
    return b


def reference_values(kind, model, bias, truth, rng) -> dict:
    out = {}
    for f in kind.readings.fields:
        v = truth[f.name]
        n = model.noise.get(f.name)
        if n is not None:
            x = np.atleast_1d(np.asarray(v, dtype=float)) + bias[f.name]
            if n.sigma > 0:
                x = x + n.sigma * rng.standard_normal(f.count)
            if n.quantum > 0:
                with np.errstate(over="ignore", invalid="ignore"):
                    x = np.round(x / n.quantum) * n.quantum
            v = float(x[0]) if f.count == 1 else tuple(float(e) for e in x)
        out[f.name] = v
    return out


SPECIAL = [0.0, -0.0, 0.5, -0.5, 1.5, -2.5, 1e-300, -1e-300, 2.0**53 + 2, -(2.0**60), 1e308,
           math.inf, -math.inf, math.nan]
floats = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True),
                   st.floats(-10, 10))
sizes = st.one_of(st.just(0.0), st.sampled_from([0.5, 1e-3, 0.01, 2.0, 3]), st.floats(1e-6, 1e3))
noises = st.builds(FieldNoise, sigma=sizes, bias=st.one_of(st.just(0.0), st.floats(-5, 5)),
                   bias_sigma=sizes, quantum=sizes)
KIND_NAMES = ["imu", "thermometer", "lidar", "camera_tracker", "star_tracker", "wheel_drive"]


@st.composite
def cases(draw):
    kind = KINDS[draw(st.sampled_from(KIND_NAMES))]
    float_fields = [f for f in kind.readings.fields if f.is_float]
    noisy = draw(st.lists(st.sampled_from(float_fields), min_size=1, unique=True))
    model = SensorModel(10, {f.name: draw(noises) for f in noisy})

    def value(f):
        if f.is_float:
            return draw(floats) if f.count == 1 else tuple(draw(floats) for _ in range(f.count))
        return draw(st.integers(0, 255))
    truths = [{f.name: value(f) for f in kind.readings.fields} for _ in range(draw(st.integers(1, 6)))]
    return kind, model, truths, draw(st.integers(0, 2**32))


@settings(max_examples=150, deadline=None)
@given(case=cases())
def test_readings_and_generator_use_match_the_array_formulation(case):
    kind, model, truths, seed = case
    plant = TablePlant({"dev": kind.name})
    rng, ref_rng = device_rng(seed, "dev"), device_rng(seed, "dev")
    ch = SimChannel(plant, "dev", kind, model, rng)
    ref_bias = {f.name: reference_bias(model.noise[f.name], f.count, ref_rng)
                for f in kind.readings.fields if f.name in model.noise}
    assert bits(tuple(ch.bias.values())) == bits(tuple(tuple(float(x) for x in b) for b in ref_bias.values()))
    for k, truth in enumerate(truths):
        plant.set("dev", **truth)
        plant.advance_to(k * 100_000_000)
        got = ch.read().values
        want = reference_values(kind, model, ref_bias, truth, ref_rng)
        assert list(got) == list(want)
        assert [bits(v) for v in got.values()] == [bits(v) for v in want.values()]
    ch.sync_noise()                 # the draws of the block the samples did not take given back
    assert rng.bit_generator.state == ref_rng.bit_generator.state  # same draws, no more, no fewer


@settings(max_examples=300, deadline=None)
@given(x=floats)
def test_rint_is_numpy_rint(x):
    assert bits(_rint(x)) == bits(float(np.rint(x)))
    assert bits(_rint(x)) == bits(float(np.round(np.array([x]))[0]))


@pytest.mark.parametrize("seed", range(5))
def test_one_draw_per_sample_continues_the_same_stream_as_one_per_field(seed):
    """The backend draws a sample's white noise in one call (`standard_normal()` when it is
    a single number, else `standard_normal(total)`); the stream is the one that a
    `standard_normal(count)` per field gives."""
    a, b = device_rng(seed, "imu0"), device_rng(seed, "imu0")
    for k in range(200):
        counts = [1 + (k + j) % 4 for j in range(1 + k % 3)]
        batch = a.standard_normal() if counts == [1] else a.standard_normal(sum(counts)).tolist()
        per_field = [float(x) for n in counts for x in b.standard_normal(n)]
        assert bits(tuple(batch) if isinstance(batch, list) else (batch,)) == bits(tuple(per_field))
    assert a.bit_generator.state == b.bit_generator.state


def test_bias_and_noise_faults_still_act_on_the_noisy_values():
    plant = TablePlant({"t0": "thermometer"})
    plant.set("t0", temp_C=20.0)
    ch = SimChannel(plant, "t0", KINDS["thermometer"], SensorModel(1, {"temp_C": FieldNoise(quantum=0.5)}),
                    device_rng(1, "t0"))
    ch.set_fault("bias", magnitude=0.25)
    assert ch.read().values["temp_C"] == 20.25


@settings(max_examples=20, deadline=None)
@given(kind_name=st.sampled_from(["imu", "camera_tracker", "thermometer"]), seed=st.integers(0, 2**32),
       reads=st.integers(1, 300), sync_at=st.integers(0, 300))
def test_noise_drawn_in_blocks_is_one_call_per_sample(kind_name, seed, reads, sync_at):
    """The white noise of NOISE_BLOCK samples is drawn at once: across block boundaries, and
    after `sync_noise` gives back what was not taken (here at any point in the run), the
    readings are the per-sample array formulation's and the generator ends where it left it."""
    kind = KINDS[kind_name]
    model = SensorModel(10, {f.name: FieldNoise(sigma=0.1, bias=0.25) for f in kind.readings.fields if f.is_float})
    plant = TablePlant({"dev": kind.name})
    rng, ref_rng = device_rng(seed, "dev"), device_rng(seed, "dev")
    ch = SimChannel(plant, "dev", kind, model, rng)
    ref_bias = {f.name: reference_bias(model.noise[f.name], f.count, ref_rng)
                for f in kind.readings.fields if f.name in model.noise}
    truth = {f.name: (0.5 if f.count == 1 else (0.5,) * f.count) if f.is_float else 1 for f in kind.readings.fields}
    plant.set("dev", **truth)
    for k in range(reads):
        if k == sync_at:
            ch.sync_noise()
            assert rng.bit_generator.state == ref_rng.bit_generator.state
        plant.advance_to(k * 100_000_000)
        got = ch.read().values
        want = reference_values(kind, model, ref_bias, truth, ref_rng)
        assert [bits(v) for v in got.values()] == [bits(v) for v in want.values()]
    ch.sync_noise()
    assert rng.bit_generator.state == ref_rng.bit_generator.state

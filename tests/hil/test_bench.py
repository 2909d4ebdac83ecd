"""The bench file: good files load, bad ones give a BenchConfigError naming the entry."""
import copy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hil.bench import BenchConfigError, load_bench, parse_bench

from .kit import bench_data

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "benches").glob("*.toml"))


def good(tmp_path=Path("/tmp/x")):
    return bench_data(tmp_path)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_benches_load(path):
    bench = load_bench(path)
    config = bench.flight_device_config()
    assert set(config) == set(bench.deployment.device_config())
    assert all(e["port"] == bench.lines[bench.addresses[n][0]].port for n, e in config.items())
    assert "noise" not in str(config)  # the noise lives on the bench side only


def test_default_addresses_are_stable_and_distinct():
    b = parse_bench(good())
    assert b.addresses == {"gimbal0": ("main", 1), "heater0": ("main", 2), "imu0": ("main", 3),
                           "temp0": ("main", 4)}


def test_two_lines_and_explicit_wiring():
    d = good()
    d["lines"]["aux"] = {"port": "/tmp/aux", "bench_port": "/dev/ttyUSB1", "baud": 115200}
    d["devices"] = {"imu0": {"line": "aux", "address": 9}}
    d["bench"]["clock_line"] = "main"
    b = parse_bench(d)
    assert b.addresses["imu0"] == ("aux", 9)
    assert b.flight_device_config()["imu0"]["baud"] == 115200
    assert b.channels_by_line()["aux"] == {"imu0": 9}


def mutate(path, value):
    d = good()
    t = d
    for k in path[:-1]:
        t = t.setdefault(k, {})
    if value is DELETE:
        del t[path[-1]]
    else:
        t[path[-1]] = value
    return d


DELETE = object()
BAD = [
    (("bench",), DELETE, "bench: missing table"),
    (("bench", "scenario"), DELETE, "bench.scenario"),
    (("bench", "scenario"), "no_such_scenario", "bench.scenario: unknown scenario 'no_such_scenario'; registered: "),
    (("bench", "mode"), "fast", "bench.mode: must be one of lockstep, realtime"),
    (("bench", "seed"), -1, "bench.seed"),
    (("bench", "vehicle"), "rover", "bench.vehicle: 'rover', but scenario 'zone' flies 'zone'"),
    (("bench", "clock_line"), "aux", "bench.clock_line: no line 'aux'"),
    (("bench", "colour"), "red", "bench: unknown keys ['colour']"),
    (("bench", "overrides"), 3, "bench.overrides"),
    (("bench", "overrides"), {"warp": 9}, "bench.overrides: unknown override(s) warp; known: base_rate_hz"),
    (("bench", "overrides"), {"physics_rate_hz": 250}, "bench.overrides: physics_rate_hz=250: expected a multiple of base_rate_hz=100"),
    (("bench", "overrides"), {"setpoint_C": float("nan")}, "bench.overrides: setpoint_C=nan: expected a finite number in [-60, 40]"),
    (("lines",), {}, "lines: at least one serial line"),
    (("lines", "main", "baud"), 12345, "lines.main.baud: unknown baud 12345"),
    (("lines", "main", "port"), "", "lines.main.port"),
    (("lines", "main", "timeout_s"), 0, "lines.main.timeout_s: must be a positive number"),
    (("lines", "main", "parity"), "E", "lines.main: unknown keys ['parity']"),
    (("realtime", "priority"), 120, "realtime.priority: must be an integer 0..99"),
    (("realtime", "cpus"), [-1], "realtime.cpus"),
    (("realtime", "gc"), "sometimes", "realtime.gc"),
    (("emulator", "step_hz"), 3, "emulator.step_hz: 3 Hz has no whole-nanosecond period"),
    (("devices", "imu9"), {"address": 1}, "devices.imu9: scenario 'zone' has no such device"),
    (("devices", "imu0"), {"address": 1}, "devices.imu0.address: address 1 on line main is already used by gimbal0"),
    (("devices", "imu0"), {"line": "aux"}, "devices.imu0.line: no line 'aux'"),
    (("devices", "imu0"), {"address": 255}, "devices.imu0.address"),
    (("devices", "imu0"), {"port": "/dev/x"}, "devices.imu0: unknown keys ['port']"),
    (("surprise",), {}, "top level: unknown tables ['surprise']"),
]


@pytest.mark.parametrize("path,value,message", BAD, ids=[m.split(":")[0] for _, _, m in BAD])
def test_bad_entries_are_named(path, value, message):
    with pytest.raises(BenchConfigError) as exc:
        parse_bench(mutate(path, value), "bench.toml")
    assert str(exc.value).startswith("bench.toml: ")
    assert message in str(exc.value)


def test_unreadable_and_malformed_files(tmp_path):
    with pytest.raises(BenchConfigError, match="cannot read"):
        load_bench(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[bench\nscenario = 'demo'\n")
    with pytest.raises(BenchConfigError, match=r"bad.toml: not valid TOML"):
        load_bench(bad)


toml_values = st.recursive(
    st.none().map(lambda _: 0) | st.booleans() | st.integers(-5, 2_000_000) | st.floats(allow_nan=False)
    | st.text(max_size=8) | st.sampled_from(["zone", "pty", "lockstep", "realtime", "main", "/tmp/x"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=12)
KEYS = ["scenario", "mode", "seed", "port", "bench_port", "baud", "timeout_s", "retries", "priority",
        "cpus", "gc", "step_hz", "address", "line", "duration_s", "clock_line", "overrides"]


@settings(max_examples=150, deadline=None)
@given(path=st.lists(st.sampled_from(["bench", "lines", "main", "realtime", "emulator", "devices",
                                      "imu0", *KEYS]), min_size=1, max_size=3),
       value=toml_values)
def test_any_mutation_is_accepted_or_a_bench_config_error(path, value):
    d = copy.deepcopy(good())
    t = d
    for k in path[:-1]:
        nxt = t.get(k) if isinstance(t, dict) else None
        if not isinstance(nxt, dict):
            nxt = {}
            t[k] = nxt
        t = nxt
    t[path[-1]] = value
    try:
        parse_bench(d)
    except BenchConfigError:
        pass

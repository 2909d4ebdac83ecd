"""Configuration: every bad entry gives a DeviceConfigError that names it."""
import pytest

from hal.config import build_devices, load_toml, parse_devices
from hal.devices import Gimbal, Imu, Thermometer
from hal.errors import DeviceConfigError, DeviceDisconnected
from hal.serial.channel import SerialChannel
from hal.table_plant import TablePlant


@pytest.mark.parametrize("entries,message", [
    ({"tvc": {"kind": "gimbal", "port": "/dev/ttyUSB0", "baud": 12345}}, r"devices\.tvc: unknown baud 12345"),
    ({"tvc": {"kind": "gimbal", "backend": "serial"}}, r"devices\.tvc: missing `port`"),
    ({"x": {"kind": "warp_drive"}}, r"devices\.x: unknown kind 'warp_drive'"),
    ({"x": {"backend": "sim"}}, r"devices\.x: missing `kind`"),
    ({"x": "imu"}, r"devices\.x: must be a table"),
    ({"x": {"kind": "imu", "backend": "can"}}, r"devices\.x: unknown backend 'can'"),
    ({"x": {"kind": "imu", "rate_hz": 7}}, r"devices\.x: rate_hz: 7 Hz has no whole-nanosecond period"),
    ({"x": {"kind": "imu", "rate_hz": 0}}, r"devices\.x: rate_hz must be an integer >= 1"),
    ({"x": {"kind": "imu", "noise": {"valid": {"sigma": 1}}}}, r"devices\.x: noise for 'valid'"),
    ({"x": {"kind": "imu", "noise": {"accel_mps2": {"sigma": -1}}}}, r"devices\.x: noise\.accel_mps2"),
    ({"x": {"kind": "imu", "noise": {"accel_mps2": {"sgima": 1}}}}, r"devices\.x: noise\.accel_mps2: unknown keys"),
    ({"x": {"kind": "imu", "port": "loop://", "parity": "Q"}}, r"devices\.x: parity"),
    ({"x": {"kind": "imu", "port": "loop://", "address": 255}}, r"devices\.x: address must be an integer 0\.\.254"),
    ({"x": {"kind": "imu", "port": "loop://", "baud": True}}, r"devices\.x: unknown baud True"),
    ({"x": {"kind": "imu", "port": "loop://", "bogus": 1}}, r"devices\.x: unknown keys"),
    ({"a": {"kind": "imu", "port": "loop://"}, "b": {"kind": "gimbal", "port": "loop://"}},
     r"devices\.b: address 0 on loop:// is already used by a"),
    ({"a": {"kind": "imu", "port": "loop://"}, "b": {"kind": "gimbal", "port": "loop://", "address": 1, "baud": 9600}},
     r"devices\.b: port loop:// settings differ from those of a"),
])
def test_bad_entries_are_named(entries, message):
    with pytest.raises(DeviceConfigError, match=message):
        parse_devices(entries)


def test_sim_and_serial_devices_built_from_toml(tmp_path):
    cfg = tmp_path / "bench.toml"
    cfg.write_text("""
[devices.imu0]
kind = "imu"
rate_hz = 200
noise.accel_mps2 = { sigma = 0.002, quantum = 0.0001 }

[devices.temp1]
kind = "thermometer"

[devices.tvc]
kind = "gimbal"
port = "loop://"
baud = 921600
address = 3
""")
    specs = load_toml(cfg)
    plant = TablePlant({"imu0": "imu", "temp1": "thermometer"})
    with build_devices(specs, plant=plant, seed=3) as devices:
        assert isinstance(devices.get_as("imu0", Imu), Imu)
        assert isinstance(devices["temp1"], Thermometer)
        tvc = devices.get_as("tvc", Gimbal)
        assert isinstance(tvc.channel, SerialChannel) and tvc.channel.address == 3
        assert list(devices.links) == ["loop://"]
        with pytest.raises(DeviceConfigError, match="devices.temp1: is a thermometer, expected a imu"):
            devices.get_as("temp1", Imu)


def test_sim_without_plant_or_noise_without_seed_is_refused():
    with pytest.raises(DeviceConfigError, match="devices.imu0: backend sim needs a plant"):
        build_devices({"imu0": {"kind": "imu"}})
    with pytest.raises(DeviceConfigError, match="devices.imu0: has a noise model but no seed"):
        build_devices({"imu0": {"kind": "imu", "noise": {"accel_mps2": {"sigma": 1.0}}}},
                      plant=TablePlant({"imu0": "imu"}))


def test_missing_device_path_is_a_disconnect_not_a_crash():
    with pytest.raises(DeviceDisconnected, match="/dev/does-not-exist"):
        build_devices({"tvc": {"kind": "gimbal", "port": "/dev/does-not-exist"}})


def test_bad_toml_names_the_file(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[devices.x\nkind=")
    with pytest.raises(DeviceConfigError, match="bad.toml"):
        load_toml(bad)

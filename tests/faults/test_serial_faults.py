"""Serial line faults (hal.serial.faulty) against a real pty emulator: noise and byte loss end
as skipped frames and retries or a clean DeviceFault, a pulled cable as DeviceDisconnected."""
import numpy as np
import pytest

from hal.catalog import KINDS
from hal.config import build_devices
from hal.errors import DeviceDisconnected, DeviceFault
from hal.serial.faulty import FaultyPort, wrap_link
from tests.hal.kit import pty_emulator

DEVICES = ("imu", "thermometer", "gimbal")


def config(path):
    return {n: {"kind": n, "port": path, "baud": 921600, "address": KINDS[n].kind_id,
                "timeout_s": 0.05, "retries": 3} for n in DEVICES}


@pytest.mark.parametrize("fault", [{"noise": 0.01}, {"loss": 0.01}])
def test_a_noisy_line_costs_retries_never_a_crash_or_a_wrong_value(fault):
    with pty_emulator() as (path, plant, _, _):
        plant.set("imu", accel_mps2=(0.1, -0.2, 3.71))
        with build_devices(config(path)) as devices:
            link = devices.links[path]
            port = wrap_link(link, np.random.default_rng(7), **fault)
            ok = failed = 0
            for _ in range(150):
                try:
                    r = devices["imu"].read()
                except DeviceFault:
                    failed += 1
                    continue
                assert r.accel_mps2 == (0.1, -0.2, 3.71)   # a corrupted frame never passes the CRC
                ok += 1
            assert port.stats.bytes_flipped + port.stats.bytes_dropped > 0
            assert ok > 100
            assert link.stats.retries + link.stats.timeouts + failed > 0   # the damage was felt, and survived


def test_pulled_cable_is_a_disconnect_and_plugging_back_works():
    with pty_emulator() as (path, plant, _, _):
        with build_devices(config(path)) as devices:
            link = devices.links[path]
            port = wrap_link(link, np.random.default_rng(1))
            devices["thermometer"].read()
            port.disconnected = True
            with pytest.raises(DeviceDisconnected):
                devices["thermometer"].read()
            assert not link.connected
            port.disconnected = False
            devices["thermometer"].read()


def test_probabilities_are_checked():
    with pytest.raises(ValueError):
        FaultyPort(object(), np.random.default_rng(0), noise=1.5)

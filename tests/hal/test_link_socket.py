"""Flight link over socket:// to a loopback TCP emulator (a bench over the network)."""
import time

import pytest

from hal.config import build_devices
from hal.devices import Thermometer
from hal.errors import DeviceDisconnected

from .kit import SocketEmulator


@pytest.fixture
def emulator():
    emu = SocketEmulator()
    yield emu
    emu.close()


def test_request_response_over_tcp(emulator):
    emulator.plant.set("thermometer", temp_C=-41.5)
    cfg = {"t": {"kind": "thermometer", "port": emulator.url, "address": 6, "identify": True, "hello": True}}
    with build_devices(cfg) as devices:
        t = devices.get_as("t", Thermometer)
        assert t.read().temp_C == -41.5
        devices["t"].channel.link.advance_to(7)
        assert emulator.plant.now_ns() == 7


def test_server_drop_gives_disconnect_and_reconnect_resumes(emulator):
    cfg = {"h": {"kind": "heater", "port": emulator.url, "address": 7, "timeout_s": 0.3, "retries": 0}}
    with build_devices(cfg) as devices:
        heater = devices["h"]
        heater.set_power(12.5)
        emulator.drop_connection()
        t0 = time.monotonic()
        with pytest.raises(DeviceDisconnected):
            heater.read()
            heater.read()  # a write may still succeed into the socket buffer once
        assert time.monotonic() - t0 < 3.0    # no hang (0.3 s timeout; slack for a loaded machine)
        link = devices.links[emulator.url]
        link.reconnect(timeout_s=2.0)
        assert heater.read().power_W == 12.5
        assert emulator.connections == 2

"""A pty pair made by socat: both ends are paths, like two real serial ports wired together.

Skipped when socat is not installed (`make tools` installs it where possible).
"""
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from hal.catalog import KINDS
from hal.config import build_devices
from hal.errors import DeviceDisconnected, DeviceTimeout
from hal.serial.port import Port, PortSettings
from hal.serial.responder import Responder, serve_in_thread
from hal.table_plant import TablePlant

from .kit import ALL_DEVICES, plant_channels

pytestmark = pytest.mark.skipif(shutil.which("socat") is None, reason="socat not installed")


def start_socat(a: Path, b: Path) -> subprocess.Popen:
    proc = subprocess.Popen(["socat", f"pty,raw,echo=0,link={a}", f"pty,raw,echo=0,link={b}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 5
    while not (a.exists() and b.exists()):
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.skip("socat did not create the pty pair")
        time.sleep(0.01)
    return proc


def serve(path: Path, plant: TablePlant):
    port = Port(PortSettings(str(path), baudrate=921600))
    thread, stop = serve_in_thread(Responder(port, plant_channels(plant)))
    return thread, stop, port


def test_socat_pair_round_trip_disconnect_and_reconnect_at_same_path(tmp_path):
    flight_end, bench_end = tmp_path / "fsw", tmp_path / "bench"
    plant = TablePlant(ALL_DEVICES)
    plant.set("lidar", range_m=512.25, range_rate_mps=-1.5, valid=1)
    proc = start_socat(flight_end, bench_end)
    thread, stop, port = serve(bench_end, plant)
    cfg = {"lidar": {"kind": "lidar", "port": str(flight_end), "baud": 921600,
                     "address": KINDS["lidar"].kind_id, "timeout_s": 0.3, "retries": 0}}
    try:
        with build_devices(cfg) as devices:
            lidar = devices["lidar"]
            assert lidar.read().range_m == 512.25
            # the wire goes away: socat exits, both ptys vanish
            stop.set()
            thread.join(5)
            port.close()
            proc.terminate()
            proc.wait(5)
            t0 = time.monotonic()
            with pytest.raises((DeviceDisconnected, DeviceTimeout)) as exc:
                lidar.read()
            assert time.monotonic() - t0 < 3.0    # no hang (slack for a loaded machine)
            assert "lidar" in str(exc.value) or str(flight_end) in str(exc.value)
            # the wire comes back at the same paths: reconnect() with no new URL
            proc = start_socat(flight_end, bench_end)
            thread, stop, port = serve(bench_end, plant)
            devices.links[str(flight_end)].reconnect(timeout_s=3.0)
            assert lidar.read().range_rate_mps == -1.5
    finally:
        stop.set()
        thread.join(5)
        port.close()
        proc.terminate()
        proc.wait(5)

"""Flight link against a device emulator on the other side of a real pty pair."""
import os
import time

import pytest

from hal.catalog import KINDS
from hal.config import build_devices
from hal.devices import Gimbal, Pyro, Radio
from hal.errors import DeviceBusy, DeviceDisconnected, DeviceReportedFault, DeviceTimeout
from hal.serial.channel import SerialChannel
from hal.serial.framing import Frame, MsgType, encode_frame
from hal.serial.link import SerialLink
from hal.serial.port import PortSettings
from hal.simulated import SimChannel
from hal.table_plant import TablePlant

from .kit import ALL_DEVICES, pty_emulator


def serial_config(path, **extra):
    return {name: {"kind": name, "port": path, "baud": 921600, "address": KINDS[name].kind_id,
                   "timeout_s": 0.5, **extra} for name in ALL_DEVICES}


def test_every_kind_reads_bit_identical_to_the_simulated_backend():
    """Same plant truth through SIL (SimChannel) and HIL (serial) gives identical readings."""
    with pty_emulator() as (path, plant, responder, _):
        plant.advance_to(123_000_000)
        plant.set("imu", accel_mps2=(0.1, -0.2, 3.71), rate_radps=(1e-3, 2e-3, -3e-3))
        plant.set("star_tracker", q_body_to_inertial=(0.5, 0.5, -0.5, 0.5), valid=1)
        plant.set("camera_tracker", los_unit=(0.6, 0.0, 0.8), detected=1, brightness=0.25)
        plant.set("gripper", closed=1, holding=1, tube_id=4242)
        plant.set("rcs", valves_open=0b1010_0101)
        with build_devices(serial_config(path, identify=True)) as devices:
            for name, dev in devices.items():
                hil = dev.read()
                sil = type(dev)(SimChannel(plant, name, KINDS[name])).read()
                assert hil == sil, name
        assert responder.stats.errors_sent == 0


def test_commands_reach_the_emulated_plant():
    with pty_emulator() as (path, plant, _, _):
        with build_devices(serial_config(path)) as devices:
            devices.get_as("gimbal", Gimbal).point(0.01, -0.02)
            devices["igniter"].arm()
            devices["igniter"].fire()
            devices["rcs"].command((1.0, 2.0, 3.0), (0.1, 0.2, 0.3))
            radio = devices.get_as("radio", Radio)
            radio.send(b"\x00telemetry\x00")
            assert radio.read().rx_bytes == b"\x00telemetry\x00"
            assert devices["gimbal"].read().pitch_rad == 0.01
        assert plant.commands["igniter"] == [{"arm": 1, "fire": 0}, {"arm": 1, "fire": 1}]
        assert plant.commands["rcs"] == [{"force_N": (1.0, 2.0, 3.0), "torque_Nm": (0.1, 0.2, 0.3)}]


def test_repeated_request_is_answered_from_cache_and_executed_once():
    with pty_emulator() as (path, plant, responder, _):
        with SerialLink(PortSettings(path), timeout_s=0.5) as link:
            pyro = Pyro(SerialChannel(link, KINDS["pyro"].kind_id, KINDS["pyro"], "pyro"))
            pyro.fire()
            # replay the same frame (same sequence number) as a retry would
            wire = encode_frame(Frame(KINDS["pyro"].kind_id, MsgType.COMMAND, link._seq, b"\x01"))
            link._port.write(wire)
            link._port.write(wire)
            time.sleep(0.1)
            link.poll(0.05)
            assert len(plant.commands["pyro"]) == 1
            assert responder.stats.duplicates == 2
            assert link.stats.stale_responses == 2  # the cached answers nobody waits for


def test_lockstep_advance_and_errors_from_the_device():
    with pty_emulator() as (path, plant, _, _):
        with SerialLink(PortSettings(path), timeout_s=0.5, hello=True) as link:
            link.advance_to(2_500_000_000)
            assert plant.now_ns() == 2_500_000_000
            with pytest.raises(DeviceReportedFault, match="no device at address 200") as exc:
                link.request(200, MsgType.READ)
            assert exc.value.code == 1
            bad = SerialChannel(link, KINDS["imu"].kind_id, KINDS["gimbal"], "not-a-gimbal")
            with pytest.raises(Exception, match="answers as kind id 1"):
                bad.identify()


def test_silent_device_times_out_within_deadline():
    plant = TablePlant(ALL_DEVICES)
    with pty_emulator(plant) as (path, _, responder, _):
        responder.channels[KINDS["imu"].kind_id].set_fault("dropout")
        with build_devices({"imu": {"kind": "imu", "port": path, "address": 1, "timeout_s": 0.05}}) as devices:
            t0 = time.monotonic()
            with pytest.raises(DeviceTimeout, match="imu"):
                devices["imu"].read()
            elapsed = time.monotonic() - t0       # 2 attempts x 50 ms: no hang, no third attempt
            assert 0.09 <= elapsed < 2.0, elapsed  # (slack for a loaded machine)
            assert devices.links[path].stats.retries == 1


def test_streaming_delivers_fresh_samples():
    with pty_emulator() as (path, plant, responder, _):
        with build_devices({"imu": {"kind": "imu", "port": path, "address": 1, "stream_hz": 200}}) as devices:
            imu = devices["imu"]
            plant.advance_to(1_000_000_000)
            first = imu.read()
            link = devices.links[path]
            deadline = time.monotonic() + 5.0         # 200 Hz: 5 frames in 25 ms, however loaded
            while link.stats.stream_frames < 5 and time.monotonic() < deadline:
                link.poll(0.01)
            assert link.stats.stream_frames >= 5
            assert link.stats.stream_duplicates == 0
            assert imu.read().t_ns == 1_000_000_000 == first.t_ns
            imu.channel.stop_stream()


def test_exclusive_open_and_guarded_modem_lines():
    with pty_emulator() as (path, _, _, _):
        with SerialLink(PortSettings(path)) as link:
            assert link.set_modem_lines(dtr=True, rts=True) in (True, False)  # pty: no crash
            with pytest.raises(DeviceBusy, match="in use"):
                SerialLink(PortSettings(path))
            # a non-exclusive open is the user's choice and works
            SerialLink(PortSettings(path, exclusive=False)).close()


def test_emulator_going_away_gives_a_clear_error_then_reconnect_works():
    with pty_emulator() as (path, _, _, emulator_port):
        link = SerialLink(PortSettings(path), timeout_s=0.2, retries=0)
        ch = SerialChannel(link, 1, KINDS["imu"], "imu")
        ch.read()
        emulator_port.close()  # the emulator dies (pty master closed)
        t0 = time.monotonic()
        with pytest.raises((DeviceDisconnected, DeviceTimeout)) as exc:
            ch.read()
            ch.read()
        assert time.monotonic() - t0 < 3.0    # no hang (a 0.2 s timeout; slack for a loaded machine)
        # on Linux the first read after the master closed sees EIO/hang-up
        assert isinstance(exc.value, DeviceDisconnected), exc.value
        assert "imu" in str(exc.value) or path in str(exc.value)
        with pytest.raises(DeviceDisconnected):
            ch.read()  # stays down, fast, until reconnect
    # a new emulator appears at a new pty path: reconnect there
    with pty_emulator() as (path2, plant2, _, _):
        plant2.set("imu", accel_mps2=(1.0, 2.0, 3.0))
        link.reconnect(path2)
        assert ch.read().values["accel_mps2"] == (1.0, 2.0, 3.0)
        link.close()


def test_reconnect_gives_up_with_a_clear_error():
    link = SerialLink(PortSettings("loop://"))
    with pytest.raises(DeviceDisconnected, match="/dev/nonexistent-tty"):
        link.reconnect("/dev/nonexistent-tty", timeout_s=0.1)
    assert not os.path.exists("/dev/nonexistent-tty")


def test_the_other_side_closing_a_pty_is_a_normal_end_not_an_io_error():
    """Reading a pty master whose slave was closed gives EIO on Linux: that is the peer
    finishing (PeerClosed, 'other end closed'), not 'read failed: [Errno 5]'."""
    import os
    from hal.errors import PeerClosed
    from hal.serial.port import FdPort
    master, slave = os.openpty()
    port = FdPort(master, "bench:main")
    os.write(slave, b"bye")
    assert port.read_available(time.monotonic() + 1.0) == b"bye"
    os.close(slave)
    with pytest.raises(PeerClosed, match="other end closed") as exc:
        port.read_available(time.monotonic() + 1.0)
    assert "Errno" not in str(exc.value)

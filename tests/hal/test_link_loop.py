"""The flight link over pyserial's loop:// (what is written comes back)."""
import time

import pytest

from hal.catalog import KINDS
from hal.errors import DeviceDisconnected, DeviceTimeout
from hal.serial.framing import Frame, MsgType, encode_frame
from hal.serial.link import SerialLink
from hal.serial.messages import decode_reading, encode_reading
from hal.values import Sample

IMU = KINDS["imu"]


def reading(seq, t_ns):
    s = Sample(t_ns, {"accel_mps2": (0.0, 0.0, 3.71), "rate_radps": (0.0, 0.0, float(seq))})
    return Frame(4, MsgType.STREAM_READING, seq, encode_reading(IMU, s))


@pytest.fixture
def link():
    with SerialLink("loop://", timeout_s=0.05, retries=0) as link:
        yield link


def test_request_without_a_device_times_out_within_its_deadline(link):
    t0 = time.monotonic()
    with pytest.raises(DeviceTimeout, match="no response to READ"):
        link.request(4, MsgType.READ, device_name="imu0")
    elapsed = time.monotonic() - t0
    assert 0.05 <= elapsed < 2.0     # its 50 ms deadline, no hang (slack for a loaded machine)
    assert link.stats.timeouts == 1
    assert link.stats.stray_frames == 1  # our own request came back and was not a response


def test_stream_resyncs_after_garbage_and_drops_duplicates_and_old_frames(link):
    port = link._port
    wire = [encode_frame(reading(s, s * 1000)) for s in (1, 2, 3, 5, 4)]
    port.write(b"\x13\x37garbage" + wire[0][3:])       # a partial frame after garbage
    port.write(wire[0] + wire[1] + wire[1] + b"\xff\xfe" + wire[2] + wire[3] + wire[4])
    seen = []
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline and link.stats.stream_frames + link.stats.stream_duplicates \
            + link.stats.stream_out_of_order < 6:
        link.poll(0.01)
        f = link.latest_stream(4)
        if f is not None and (not seen or seen[-1] != f.seq):
            seen.append(f.seq)
    assert link.latest_stream(4).seq == 5
    assert decode_reading(IMU, link.latest_stream(4).payload).values["rate_radps"][2] == 5.0
    assert link.stats.stream_frames == 4           # 1, 2, 3, 5
    assert link.stats.stream_duplicates == 1       # 2 again
    assert link.stats.stream_out_of_order == 1     # 4 after 5
    assert link.stats.stream_lost == 1             # 4 was missing when 5 came
    assert link.decoder.rejected >= 1              # garbage + partial frame


def test_wait_stream_times_out_cleanly(link):
    with pytest.raises(DeviceTimeout, match="imu0"):
        link.wait_stream(4, None, timeout_s=0.03, device_name="imu0")


def test_closed_link_refuses_requests_until_reconnect(link):
    link.close()
    with pytest.raises(DeviceDisconnected, match="reconnect"):
        link.request(4, MsgType.READ)
    link.reconnect()
    assert link.connected and link.stats.reconnects == 1


def test_modem_lines_are_guarded(link):
    assert link.set_modem_lines(dtr=True, rts=False) in (True, False)

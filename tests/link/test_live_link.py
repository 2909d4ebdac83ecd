"""Live link: a real-time flight instance on UDP loopback, commanded by the ground client."""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading

import pytest
from click.testing import CliRunner

from fsw.link.ccsds import crc16
from fsw.link.demo import DEMO_COMPONENTS
from fsw.link.ground import GroundClient, UdpClient
from fsw.link.keys import write_key_file
from fsw.link.server import LinkServer, link_topology
from fsw.link.telemetry import AckStatus, ChannelPacket
from fsw.link.transport import SerialLink, UdpLink

from .kit import KEYS, demo_spec


@pytest.fixture
def live():
    topology, ingest = link_topology("demo", [c(n) for n, c in DEMO_COMPONENTS.items()], KEYS)
    udp = UdpLink("127.0.0.1", 0)
    server = LinkServer(topology, ingest, udp, rate_hz=100, telemetry_divisor=10)
    stop = threading.Event()
    thread = threading.Thread(target=server.run, kwargs={"stop_when": stop.is_set}, daemon=True)
    thread.start()
    client = GroundClient(demo_spec(), KEYS, UdpClient("127.0.0.1", udp.address[1]))
    yield topology, client
    stop.set()
    thread.join(5)
    udp.close()
    client.transport.close()


def test_command_is_acknowledged_executes_once_and_a_replay_is_refused(live):
    topology, client = live
    ex = client.command("counter.INCREMENT", {"by": 2}, key_id=1, auth_seq=1000)
    assert ex.ack is not None and ex.ack.status is AckStatus.OK
    again = client.exchange(ex.packet, key_id=1, auth_seq=1000)
    assert again.ack is not None and again.ack.status is AckStatus.REPLAY
    tampered = bytearray(client.encoder.encode("counter.INCREMENT", {"by": 9}, key_id=1,
                                               auth_seq=1001))
    tampered[20] ^= 0x01  # the argument
    tampered[-2:] = crc16(bytes(tampered[:-2])).to_bytes(2, "big")
    bad = client.exchange(bytes(tampered), key_id=1, auth_seq=1001)
    assert bad.ack is not None and bad.ack.status is AckStatus.BAD_MAC
    assert topology["counter"].tlm["count"] == 2
    # telemetry flows back too (10 Hz here)
    later = client.listen(0.5)
    assert any(isinstance(p, ChannelPacket) and p.component == "counter"
               and p.values["count"] == 2 for p in later)


def test_serial_transport_frames_packets_and_drops_garbage():
    link = SerialLink("loop://")
    try:
        link.port.write(b"\x13\x37garbage\x00")
        link.send(b"\x00\x01packet\x00")
        link.send(b"second")
        assert link.receive() == [b"\x00\x01packet\x00", b"second"]
        assert link.dropped == 1
    finally:
        link.close()


def test_cli_serve_and_send(tmp_path):
    keys = tmp_path / "keys.json"
    write_key_file(keys, {7: b"\x07" * 32})
    proc = subprocess.Popen([sys.executable, "-c", "from msr.cli import main; main()", "gds",
                             "serve", "--vehicle", "demo", "--keys", str(keys), "--port", "0",
                             "--duration", "20", "--log", str(tmp_path / "tm.bin")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        port = re.search(r"127\.0\.0\.1:(\d+)", line).group(1)
        from msr.cli import cli
        runner = CliRunner()
        common = ["gds", "send", "--port", port, "--keys", str(keys), "--key-id", "7"]
        first = runner.invoke(cli, common + ["--seq", "5", "counter.INCREMENT", "by=3"])
        assert first.exit_code == 0 and "ack: OK" in first.output, first.output
        replay = runner.invoke(cli, common + ["--seq", "5", "counter.INCREMENT", "by=3"])
        assert replay.exit_code == 1 and "ack: REPLAY" in replay.output
        wrong_mode = runner.invoke(cli, common + ["heater.RECOVER"])
        assert wrong_mode.exit_code == 1 and "not allowed in mode IDLE" in wrong_mode.output
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "3 received, 1 accepted" in out
    decoded = runner.invoke(cli, ["gds", "decode", str(tmp_path / "tm.bin"), "--vehicle", "demo"])
    assert decoded.exit_code == 0
    assert re.search(r"link +ack +key 7 seq 5 OK", decoded.output)
    assert re.search(r"link +ack +key 7 seq 5 REPLAY", decoded.output)

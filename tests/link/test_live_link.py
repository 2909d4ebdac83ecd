"""Live link: a real-time flight instance on UDP loopback, commanded by the ground client.

Only a verified command moves the downlink; junk and forgeries get no answer at all (an
unknown key id and a bad MAC look the same on the wire); the ground client listens to the
flight address alone."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner

from fsw.link.ccsds import crc16
from fsw.link.testbed import TESTBED_COMPONENTS
from fsw.link.ground import GroundClient, UdpClient
from fsw.link.keys import write_key_file
from fsw.link.server import LinkServer, link_topology
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import AckStatus, ChannelPacket, TelemetryEncoder
from fsw.link.transport import SerialLink, UdpLink

from .kit import KEYS, spec_of_testbed


def serve(ground=None):
    topology, ingest = link_topology("testbed", [c(n) for n, c in TESTBED_COMPONENTS.items()], KEYS)
    udp = UdpLink("127.0.0.1", 0, ground=ground)
    server = LinkServer(topology, ingest, udp, rate_hz=100, telemetry_divisor=10)
    stop = threading.Event()
    thread = threading.Thread(target=server.run, kwargs={"stop_when": stop.is_set}, daemon=True)
    thread.start()

    def close():
        stop.set()
        thread.join(5)
        udp.close()
    return topology, ingest, udp, close


@pytest.fixture
def live():
    topology, ingest, udp, close = serve()
    client = GroundClient(spec_of_testbed(), KEYS, UdpClient("127.0.0.1", udp.address[1]))
    yield topology, ingest, udp, client
    close()
    client.transport.close()


def raw_socket():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.05)
    return s


def heard(sock, seconds):
    """Datagrams `sock` receives within `seconds`."""
    got = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            got.append(sock.recv(70_000))
        except (socket.timeout, BlockingIOError):
            pass
    return got


def test_command_is_acknowledged_executes_once_and_a_replay_is_refused(live):
    topology, ingest, _, client = live
    ex = client.command("counter.INCREMENT", {"by": 2}, key_id=1, auth_seq=1000)
    assert ex.ack is not None and ex.ack.status is AckStatus.OK
    again = client.exchange(ex.packet, key_id=1, auth_seq=1000)
    assert again.ack is not None and again.ack.status is AckStatus.REPLAY
    tampered = bytearray(client.encoder.encode("counter.INCREMENT", {"by": 9}, key_id=1,
                                               auth_seq=1001))
    tampered[20] ^= 0x01  # the argument
    tampered[-2:] = crc16(bytes(tampered[:-2])).to_bytes(2, "big")
    bad = client.exchange(bytes(tampered), key_id=1, auth_seq=1001, timeout_s=0.5)
    assert bad.ack is None                       # no answer to an unauthenticated packet
    assert ingest.tlm["rejected_auth"] == 1      # but counted on board
    assert any(p.kind == "event" and p.name == "TC_BAD_MAC" for p in bad.other)
    assert topology["counter"].tlm["count"] == 2
    later = client.listen(0.5)                   # telemetry flows back too (10 Hz here)
    assert any(isinstance(p, ChannelPacket) and p.component == "counter"
               and p.values["count"] == 2 for p in later)


def test_junk_gets_no_answer_and_never_moves_the_downlink(live):
    topology, ingest, udp, client = live
    assert client.command("link.NOOP", {}, key_id=1, auth_seq=5).ack.status is AckStatus.OK
    ground_addr = udp.peer
    attacker = raw_socket()
    spec = spec_of_testbed()
    forged = TelecommandEncoder(spec, {1: b"\x55" * 32}).encode(
        "counter.INCREMENT", {"by": 7}, key_id=1, auth_seq=50)
    unknown = TelecommandEncoder(spec, {9: b"\x55" * 32}).encode(
        "counter.INCREMENT", {"by": 7}, key_id=9, auth_seq=51)
    for junk in (b"\x00", b"garbage" * 9, forged, unknown, forged[:-3]):
        for _ in range(10):
            attacker.sendto(junk, udp.address)
    assert heard(attacker, 0.6) == []            # not one datagram back: no amplification
    assert udp.peer == ground_addr               # the downlink still goes to the ground
    assert topology["counter"].tlm["count"] == 0
    assert (ingest.tlm["rejected_format"], ingest.tlm["rejected_key"],
            ingest.tlm["rejected_auth"]) == (30, 10, 10)
    assert any(isinstance(p, ChannelPacket) for p in client.listen(0.3))
    attacker.close()


def test_unknown_key_and_bad_mac_look_the_same_on_the_wire(live):
    _, ingest, udp, _ = live
    spec = spec_of_testbed()
    answers = {}
    for name, keys, kid in (("unknown key", {9: b"\x55" * 32}, 9),
                            ("bad MAC", {1: b"\x55" * 32}, 1)):
        s = raw_socket()
        pkt = TelecommandEncoder(spec, keys).encode("counter.INCREMENT", {"by": 1},
                                                    key_id=kid, auth_seq=77)
        s.sendto(pkt, udp.address)
        answers[name] = heard(s, 0.4)
        s.close()
    assert answers == {"unknown key": [], "bad MAC": []}
    # told apart inside; the live loop counts a datagram when its tick comes round, which a
    # loaded machine may delay past the 0.4 s of silence above: wait for it (bounded)
    end = time.monotonic() + 10.0
    while (ingest.tlm["rejected_key"], ingest.tlm["rejected_auth"]) != (1, 1) and time.monotonic() < end:
        time.sleep(0.05)
    assert ingest.tlm["rejected_key"] == 1 and ingest.tlm["rejected_auth"] == 1


def test_a_replay_from_elsewhere_is_answered_there_but_does_not_take_the_downlink(live):
    _, _, udp, client = live
    ex = client.command("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=900)
    assert ex.ack.status is AckStatus.OK
    ground_addr = udp.peer
    other = raw_socket()
    other.sendto(ex.packet, udp.address)
    got = heard(other, 0.4)
    assert len(got) == 1                         # its REPLAY ack, nothing else
    assert udp.peer == ground_addr


def test_a_configured_ground_address_never_moves():
    ground = raw_socket()
    topology, ingest, udp, close = serve(ground=ground.getsockname())
    try:
        client = GroundClient(spec_of_testbed(), KEYS, UdpClient("127.0.0.1", udp.address[1]))
        ex = client.command("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=3, timeout_s=0.5)
        assert ex.ack is None                    # verified and executed, but answered to the ground
        assert topology["counter"].tlm["count"] == 1
        assert udp.peer == ground.getsockname()
        assert any(b for b in heard(ground, 0.3))
        client.transport.close()
    finally:
        close()
        ground.close()


def test_the_ground_client_takes_acks_from_the_flight_address_only():
    flight = raw_socket()
    client = GroundClient(spec_of_testbed(), KEYS, UdpClient("127.0.0.1", flight.getsockname()[1]))
    spoofer = raw_socket()
    result = {}
    t = threading.Thread(target=lambda: result.setdefault(
        "ex", client.command("counter.INCREMENT", {"by": 1}, key_id=1, auth_seq=42,
                             timeout_s=3.0)))
    t.start()
    flight.settimeout(2)
    _, ground_addr = flight.recvfrom(1000)
    enc = TelemetryEncoder(spec_of_testbed())
    spoofer.sendto(enc.ack(1, "link", 1, 42, AckStatus.OK, "forged"), ground_addr)
    time.sleep(0.3)
    flight.sendto(enc.ack(2, "link", 1, 42, AckStatus.REJECTED, "genuine"), ground_addr)
    t.join(5)
    ex = result["ex"]
    assert ex.ack is not None and ex.ack.reason == "genuine"
    client.transport.close()
    flight.close()
    spoofer.close()


def test_serial_transport_frames_packets_and_drops_garbage():
    link = SerialLink("loop://")
    try:
        link.port.write(b"\x13\x37garbage\x00")
        link.send(b"\x00\x01packet\x00")
        link.send(b"second")
        assert link.poll(1) == [(b"\x00\x01packet\x00", None)]
        assert link.poll(10) == [(b"second", None)]   # kept for the next poll, not lost
        assert link.dropped == 1
    finally:
        link.close()


def test_cli_serve_and_send(tmp_path):
    keys = tmp_path / "keys.json"
    write_key_file(keys, {7: b"\x07" * 32})
    proc = subprocess.Popen([sys.executable, "-c", "from msr.cli import main; main()", "gds",
                             "serve", "--vehicle", "testbed", "--keys", str(keys), "--port", "0",
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
        refused = runner.invoke(cli, common + ["--seq", "5", "counter.INCREMENT", "by=3"])
        assert refused.exit_code == 1 and "already used" in refused.output
        replay = runner.invoke(cli, common + ["--seq", "5", "--force", "counter.INCREMENT", "by=3"])
        assert replay.exit_code == 1 and "ack: REPLAY" in replay.output, replay.output
        wrong_mode = runner.invoke(cli, common + ["heater.RECOVER"])
        assert wrong_mode.exit_code == 1 and "not allowed in mode IDLE" in wrong_mode.output
        assert "seq 6 " in wrong_mode.output      # the persisted counter went on from 5
        flight_check = runner.invoke(cli, common + ["--no-validate", "counter.INCREMENT", "by=0"])
        assert flight_check.exit_code == 1 and "ack: REJECTED (by: 0 below minimum 1)" in \
            flight_check.output, flight_check.output
        assert "Traceback" not in flight_check.output
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "4 received, 1 accepted" in out
    decoded = runner.invoke(cli, ["gds", "decode", str(tmp_path / "tm.bin"), "--vehicle", "testbed"])
    assert decoded.exit_code == 0
    assert re.search(r"link +ack +key 7 seq 5 OK", decoded.output)
    assert re.search(r"link +ack +key 7 seq 5 REPLAY", decoded.output)

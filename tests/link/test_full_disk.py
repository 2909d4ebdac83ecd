"""A telemetry log that cannot be written (full disk) never stops commanding or acks.

The unit test runs everywhere: a file whose writes fail with ENOSPC once it holds a few
kilobytes, behind a LinkServer on a SimClock. The system test runs `msr gds serve --log` on
a real 2 MB tmpfs (mounted here; root only) filled to the brim."""
from __future__ import annotations

import errno
import io
import os
import re
import signal
import subprocess
import sys
import time
import warnings

import pytest
from click.testing import CliRunner

from fsw.core.clock import SimClock
from fsw.link.testbed import TESTBED_COMPONENTS
from fsw.link.log import LogWarning, TelemetryLogWriter, read_log
from fsw.link.server import LinkServer, link_topology
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import AckStatus, TelemetryDecoder

from .kit import KEYS, spec_of_testbed


class FullDisk(io.RawIOBase):
    """A file system with `room` bytes left: then every write fails with ENOSPC."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.data = bytearray()
        self.failed = 0

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        if len(self.data) + len(b) > self.room:
            self.failed += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.data += b
        return len(b)


class MemoryLink:
    """A transport whose uplink is a list the test fills and whose downlink is recorded."""

    def __init__(self) -> None:
        self.inbox: list[bytes] = []
        self.sent: list[bytes] = []
        self.peer = "ground"

    def poll(self, budget: int):
        out, self.inbox = self.inbox[:budget], self.inbox[budget:]
        return [(p, "ground") for p in out]

    def verified(self, source) -> None:
        pass

    def send(self, pkt: bytes) -> bool:
        self.sent.append(pkt)
        return True

    def send_to(self, pkt: bytes, dest) -> bool:
        return self.send(pkt)


@pytest.mark.parametrize("buffered", [False, True])
def test_a_log_write_failure_is_counted_reported_once_and_commanding_goes_on(buffered):
    topology, ingest = link_topology("testbed", [c(n) for n, c in TESTBED_COMPONENTS.items()], KEYS)
    disk = FullDisk(room=3000)
    out = io.BufferedWriter(disk, buffer_size=512) if buffered else disk
    link = MemoryLink()
    server = LinkServer(topology, ingest, link, rate_hz=50, telemetry_divisor=1,
                        clock=SimClock(), log=TelemetryLogWriter(topology_spec_of(topology), out))
    enc = TelecommandEncoder(ingest.vehicle, KEYS)
    seq = iter(range(1, 1000))
    sent = 0
    for tick in range(100):
        if tick % 10 == 0:  # three commands in one poll, the disk full from tick ~15 on
            link.inbox += [enc.encode("counter.INCREMENT", {"by": 1}, key_id=1,
                                      auth_seq=next(seq)) for _ in range(3)]
            sent += 3
        server.run(ticks=1)
    assert disk.failed > 0                                  # the disk did fill up
    assert topology["counter"].tlm["count"] == sent == 30   # every command ran, once
    decoder = TelemetryDecoder(ingest.vehicle)
    downlink = [decoder.decode(p) for p in link.sent]
    acks = [p for p in downlink if p.kind == "ack"]
    assert [a.status for a in acks] == [AckStatus.OK] * sent   # and was acknowledged
    assert [a.cmd_seq for a in acks] == list(range(1, sent + 1))
    reported = [p for p in downlink if p.kind == "event" and p.name == "TM_LOG_FAILED"]
    assert len(reported) == 1 and "No space left" in reported[0].text
    assert ingest.tlm["log_write_errors"] == server.log.failures > 1
    assert server.executive.step_faults == {}               # nothing escaped into the loop
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LogWarning)
        kept = list(read_log(bytes(disk.data), spec_of_testbed()))
    assert kept and all(p.kind != "raw" for p in kept)    # what was written is a good log


def topology_spec_of(topology):
    from fsw.link.dictionary import topology_spec
    return topology_spec(topology)


def _mount_tmpfs(path) -> str | None:
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root"
    path.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(path)],
                       capture_output=True, text=True)
    if r.returncode:
        return f"cannot mount a tmpfs here: {r.stderr.strip() or r.returncode}"
    return None


def test_serve_on_a_full_2mb_tmpfs_keeps_commanding_and_says_the_log_is_incomplete(tmp_path):
    mnt = tmp_path / "small"
    why = _mount_tmpfs(mnt)
    if why:
        pytest.skip(why)
    try:
        (mnt / "spare").write_bytes(b"\0" * 16384)
        with open(mnt / "filler", "wb", buffering=0) as f:  # fill it up to the last byte
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
        (mnt / "spare").unlink()                          # then leave 16 KiB for the log
        keys = tmp_path / "keys.json"
        from fsw.link.keys import write_key_file
        write_key_file(keys, {7: b"\x07" * 32})
        log = mnt / "tm.bin"
        proc = subprocess.Popen([sys.executable, "-c", "from msr.cli import main; main()",
                                 "gds", "serve", "--keys", str(keys), "--port", "0",
                                 "--rate", "100", "--telemetry-divisor", "1", "--duration", "30",
                                 "--log", str(log)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            port = re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1)
            from msr.cli import cli
            runner = CliRunner()
            outs = []
            time.sleep(2.5)   # 300 telemetry packets/s: the 16 KiB are full after ~1.5 s
            for i in range(12):
                r = runner.invoke(cli, ["gds", "send", "--port", port, "--keys", str(keys),
                                        "--key-id", "7", "counter.INCREMENT", "by=1"])
                outs.append((r.exit_code, r.output))
            assert all(code == 0 and "ack: OK" in o for code, o in outs), outs
        finally:
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=20)
        assert "12 received, 12 accepted" in out, out + err
        assert proc.returncode == 1 and "Traceback" not in err
        assert re.search(r"telemetry log .*tm.bin is incomplete: \d+ writes failed "
                         r"\(OSError: \[Errno 28\] No space left on device\)", err), err
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LogWarning)
            kept = list(read_log(log, spec_of_testbed()))
        assert kept                                         # the part written decodes
    finally:
        subprocess.run(["umount", str(mnt)], check=False)

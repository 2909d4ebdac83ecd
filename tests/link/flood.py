"""Flood harness of the live link, shared by tests/link/test_flood.py and bench/link_flood.py.

Loopback only and bounded: a `msr gds serve` subprocess on 127.0.0.1, an attacker
subprocess that sends a fixed list of junk datagrams to it (random bytes, CRC-valid
forgeries with a known and an unknown key id, replays of a recorded valid command), and a
ground socket that sends valid commands at a fixed rate while the flood lasts. Figures:
valid commands executed, cycle slips, junk processed per second, datagrams the attacker got
back. The server can be any checkout (`python`, `cwd`), so the bench compares before/after.
"""
from __future__ import annotations

import json
import random
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from fsw.link.ccsds import CRC, crc16
from fsw.link.keys import write_key_file
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import AckPacket, AckStatus, TelemetryDecoder

from .kit import spec_of_testbed

KEY_ID = 7
KEY = bytes(range(1, 33))
LOOPBACK = "127.0.0.1"

# Stdlib only, so it runs next to any checkout: send the datagrams of a file (u16 length +
# bytes each) to 127.0.0.1:PORT, `rate` per second (0: as fast as possible), count replies.
ATTACKER = r"""
import json, socket, struct, sys, time
path, port, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
data = open(path, "rb").read()
grams, off = [], 0
while off < len(data):
    n = struct.unpack_from(">H", data, off)[0]; grams.append(data[off + 2:off + 2 + n]); off += 2 + n
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); s.setblocking(False)
dest = ("127.0.0.1", port)
got = 0
def drain():
    global got
    while True:
        try: s.recv(70000); got += 1
        except BlockingIOError: return
        except OSError: pass
print("start", flush=True)
t0 = time.perf_counter(); sent = 0
batch = max(1, int(rate / 200)) if rate else 512
while sent < len(grams):
    for g in grams[sent:sent + batch]:
        try: s.sendto(g, dest)
        except OSError: pass
    sent = min(len(grams), sent + batch)
    drain()
    if rate:
        ahead = t0 + sent / rate - time.perf_counter()
        if ahead > 0: time.sleep(ahead)
dt = time.perf_counter() - t0
print("sent", flush=True)
end = time.perf_counter() + 0.3
while time.perf_counter() < end:
    drain(); time.sleep(0.01)
print("done " + json.dumps({"sent": sent, "seconds": dt, "got_back": got}), flush=True)
"""


def junk(n: int, seed: int = 1) -> list[bytes]:
    """n junk datagrams: 40 % random bytes, 40 % CRC-valid forgeries under the real key id
    (wrong MAC), 10 % forgeries under unknown key ids, 10 % replays of one valid command."""
    rng = random.Random(seed)
    spec = spec_of_testbed()
    real = TelecommandEncoder(spec, {KEY_ID: KEY})
    recorded = real.encode("counter.INCREMENT", {"by": 1}, key_id=KEY_ID, auth_seq=1)
    template = bytearray(recorded)
    out: list[bytes] = []
    for i in range(n):
        r = rng.random()
        if r < 0.4:
            out.append(rng.randbytes(rng.randint(1, 100)))
            continue
        if r < 0.9:
            pkt = bytearray(template)
            kid = KEY_ID if r < 0.8 else rng.randint(100, 0xFFFF)
            struct.pack_into(">HQ", pkt, 6, kid, rng.randint(2, 1 << 40))
            pkt[-18:-2] = rng.randbytes(16)
            pkt[-2:] = CRC.pack(crc16(bytes(pkt[:-2])))
            out.append(bytes(pkt))
        else:
            out.append(recorded)
    return out


def fifo_allowed() -> bool:
    """May this user run a process SCHED_FIFO (`chrt -f`)?"""
    try:
        return subprocess.run(["chrt", "-f", "1", "true"], capture_output=True).returncode == 0
    except OSError:
        return False


@dataclass
class FloodResult:
    junk_sent: int
    flood_s: float
    valid_sent: int          # during the flood
    valid_executed: int      # the server's accepted count, minus the command before the flood
    valid_acked: int         # OK acks the ground received for them
    slips: int
    junk_processed: int      # datagrams the ingest took in, minus the valid ones
    got_back: int            # datagrams the attacker received
    step_max_us: int | None = None  # longest uplink step (this checkout's server only)

    @property
    def executed_pct(self) -> float:
        return 100.0 * self.valid_executed / max(1, self.valid_sent)

    @property
    def junk_per_s(self) -> float:
        return self.junk_processed / max(self.flood_s, 1e-9)

    def line(self) -> str:
        return (f"valid executed {self.valid_executed}/{self.valid_sent} "
                f"({self.executed_pct:.1f} %), acked {self.valid_acked}, slips {self.slips}, "
                f"junk processed {self.junk_processed}/{self.junk_sent} "
                f"({self.junk_per_s:,.0f}/s over {self.flood_s:.2f} s), "
                f"attacker got back {self.got_back}"
                + (f", uplink step max {self.step_max_us} us" if self.step_max_us else ""))


def _serve(python: str, cwd: Path, keys: Path, priority: int = 0
           ) -> tuple[subprocess.Popen, int]:
    own = "--priority" in (cwd / "msr/commands/link_live.py").read_text() \
        if (cwd / "msr/commands/link_live.py").exists() else False
    rt = [] if own or not priority else ["chrt", "-f", str(priority)]  # an older checkout
    proc = subprocess.Popen([*rt, python, "-c", "from msr.cli import main; main()", "gds", "serve",
                             "--vehicle", "testbed", "--keys", str(keys), "--host", LOOPBACK,
                             "--port", "0", "--duration", "120",
                             *(["--priority", str(priority)] if own else [])],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    m = re.search(r"127\.0\.0\.1:(\d+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r} {proc.stderr.read()}")
    return proc, int(m.group(1))


def _stop(proc: subprocess.Popen) -> dict[str, int]:
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    m = re.search(r"(\d+) received, (\d+) accepted; slips (\d+)", out)
    if not m:
        raise RuntimeError(f"no summary from the server: {out!r} {err!r}")
    up = re.search(r"step mean (\d+) us, max (\d+) us", out)
    return {"received": int(m.group(1)), "accepted": int(m.group(2)), "slips": int(m.group(3)),
            "step_max_us": int(up.group(2)) if up else None, "out": out}


class Ground:
    """Valid commands from one socket; OK acks counted as they arrive."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((LOOPBACK, 0))
        self.sock.connect((LOOPBACK, port))
        self.sock.setblocking(False)
        self.enc = TelecommandEncoder(spec_of_testbed(), {KEY_ID: KEY})
        self.dec = TelemetryDecoder(spec_of_testbed())
        self.seq = 100
        self.ok: set[int] = set()

    def send(self) -> int:
        self.seq += 1
        self.sock.send(self.enc.encode("counter.INCREMENT", {"by": 1}, key_id=KEY_ID,
                                       auth_seq=self.seq))
        return self.seq

    def drain(self) -> None:
        while True:
            try:
                data = self.sock.recv(70_000)
            except (BlockingIOError, ConnectionRefusedError):
                return
            try:
                p = self.dec.decode(data)
            except Exception:  # another version's dictionary: only acks matter here
                continue
            if isinstance(p, AckPacket) and p.status is AckStatus.OK:
                self.ok.add(p.cmd_seq)


def run_flood(n_junk: int, *, rate: float = 0.0, valid_hz: float = 50.0,
              python: str = sys.executable, cwd: Path | None = None, seed: int = 1,
              settle_s: float = 1.0, priority: int = 0) -> FloodResult:
    """One flood against a fresh server; `rate` junk datagrams/s (0: as fast as possible);
    `priority` > 0 runs the server SCHED_FIFO (`chrt -f`), as a flight loop runs."""
    cwd = cwd or Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="msr-flood-") as tmp:
        keys = Path(tmp) / "keys.json"
        write_key_file(keys, {KEY_ID: KEY})
        grams = Path(tmp) / "junk.bin"
        grams.write_bytes(b"".join(struct.pack(">H", len(g)) + g for g in junk(n_junk, seed)))
        server, port = _serve(python, cwd, keys, priority)
        ground = Ground(port)
        try:
            first = ground.send()                     # the ground is in contact before
            end = time.monotonic() + 5
            while first not in ground.ok and time.monotonic() < end:
                ground.drain()
                time.sleep(0.01)
            attacker = subprocess.Popen([sys.executable, "-c", ATTACKER, str(grams), str(port),
                                         str(rate)], stdout=subprocess.PIPE, text=True)
            flooding = threading.Event()
            report: dict = {}

            def watch() -> None:
                for line in attacker.stdout:
                    if line.startswith("start"):
                        flooding.set()
                    elif line.startswith("sent"):
                        flooding.clear()
                    elif line.startswith("done "):
                        report.update(json.loads(line[5:]))
                        return
            reader = threading.Thread(target=watch, daemon=True)
            reader.start()
            flooding.wait(30)
            sent: list[int] = []
            period = 1.0 / valid_hz
            nxt = time.monotonic()
            while flooding.is_set():
                sent.append(ground.send())
                ground.drain()
                nxt += period
                time.sleep(max(0.0, nxt - time.monotonic()))
            reader.join(30)
            attacker.wait(30)
            end = time.monotonic() + settle_s
            while time.monotonic() < end:
                ground.drain()
                time.sleep(0.01)
        finally:
            stats = _stop(server)
            ground.sock.close()
    executed = stats["accepted"] - (1 if first in ground.ok else 0)
    return FloodResult(junk_sent=report.get("sent", 0), flood_s=report.get("seconds", 0.0),
                       valid_sent=len(sent), valid_executed=executed,
                       valid_acked=len(ground.ok & set(sent)), slips=stats["slips"],
                       junk_processed=stats["received"] - stats["accepted"] - 0,
                       got_back=report.get("got_back", 0), step_max_us=stats["step_max_us"])

"""`msr sil --live` and `msr gds web` from the command line: a live SIL flight answers a signed
command over UDP exactly once, and bad invocations get one clear line."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fsw.link.dictionary import Dictionary
from fsw.link.errors import DecodeError
from fsw.link.keys import load_keys
from fsw.link.log import read_log
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import AckPacket, EventPacket, TelemetryDecoder
from msr.cli import cli

MSR = str(Path(sys.executable).parent / "msr")


def test_a_live_sil_flight_executes_a_signed_command_once(tmp_path):
    keys = tmp_path / "keys.json"
    assert CliRunner().invoke(cli, ["keys", "generate", "--out", str(keys), "--key-id", "7"]).exit_code == 0
    ground = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ground.bind(("127.0.0.1", 0))
    ground.settimeout(0.2)
    run = tmp_path / "live"
    proc = subprocess.Popen(
        [MSR, "sil", "ascent", "--live", "--ground", f"127.0.0.1:{ground.getsockname()[1]}",
         "--keys", str(keys), "--speed", "10", "--set", "max_time_s=30", "--out", str(run)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("live: commands on udp 127.0.0.1:"), line
        port = int(line.split()[4].rsplit(":", 1)[1].rstrip(","))
        spec = Dictionary.from_json((run / "dictionary.json").read_text()).vehicles[0]
        assert spec.by_name["link"].apid == spec.apid_base + len(spec.components) - 1
        decoder = TelemetryDecoder(spec)
        pkt = TelecommandEncoder(spec, load_keys(keys)).encode("nav.NOOP", {}, key_id=7, auth_seq=42)
        ground.sendto(pkt, ("127.0.0.1", port))
        ground.sendto(pkt, ("127.0.0.1", port))           # the same signed bytes again
        acks, end = [], time.monotonic() + 20
        while len(acks) < 2 and time.monotonic() < end:
            try:
                data = ground.recv(70_000)
            except socket.timeout:
                continue
            try:
                p = decoder.decode(data)
            except DecodeError:
                continue
            if isinstance(p, AckPacket):
                acks.append(p.status.name)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
        ground.close()
    assert acks == ["OK", "REPLAY"]
    log = list(read_log(run / "telemetry.bin", Dictionary.from_json((run / "dictionary.json").read_text())))
    noop = [p for p in log if isinstance(p, EventPacket) and p.component == "nav"
            and p.name == "CMD_ACCEPTED"]
    assert len(noop) == 1                                   # executed once
    assert [p.status.name for p in log if isinstance(p, AckPacket)] == ["OK", "REPLAY"]
    assert json.loads((run / "summary.json").read_text())["scenario"] == "ascent"


@pytest.mark.parametrize("args, words", [
    (["sil", "ascent", "--ground", "127.0.0.1:9"], "need --live"),
    (["sil", "ascent", "--live", "--ground", "127.0.0.1:9"], "--keys"),
    (["sil", "ascent", "--live", "--keys", "k.json", "--ground", "nowhere"], "HOST:PORT"),
    (["gds", "web"], "exactly one of"),
    (["gds", "web", "--link", "--replay", "x.bin"], "exactly one of"),
    (["gds", "web", "--follow", "x.bin", "--keys", "k.json"], "need --link"),
    (["gds", "web", "--follow", "nowhere/x.bin"], "no dictionary"),
    (["gds", "web", "--link", "--dict", "d.json", "--keys", "k.json"], "--key-id"),
    (["gds", "web", "--replay", "x.bin", "--speed", "-1"], "speed"),
])
def test_bad_invocations_get_one_clear_line(tmp_path, monkeypatch, args, words):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "x.bin").write_bytes(b"")
    (tmp_path / "d.json").write_text(Dictionary(()).to_json())
    r = CliRunner().invoke(cli, args)
    assert r.exit_code not in (0, None)
    assert r.exception is None or isinstance(r.exception, SystemExit)   # no traceback
    assert words in r.output, r.output
    assert "Traceback" not in r.output

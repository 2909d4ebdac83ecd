"""Key rotation: a key whose sequence numbers are burnt is replaced by its next generation,
derived on both sides from a master key; only a master-key-signed ROTATE_KEY does it."""
from __future__ import annotations

import re
import signal
import subprocess
import sys

from click.testing import CliRunner

from fsw.link.auth import derive_key
from fsw.link.keys import load_keyring
from fsw.link.seqcounter import SEQ_MAX
from fsw.link.server import link_topology
from fsw.link.testbed import TESTBED_COMPONENTS
from fsw.link.telecommand import TelecommandEncoder
from fsw.link.telemetry import AckStatus

from .kit import KEYS

MASTER = {0: b"\x42" * 32}


def vehicle():
    topology, ingest = link_topology("testbed", [c(n) for n, c in TESTBED_COMPONENTS.items()], KEYS,
                                     master_keys=MASTER)
    ingest.connect(topology)
    return topology, ingest


def rotate(ingest, key_id, generation, seq, signer=0, keys=MASTER):
    pkt = TelecommandEncoder(ingest.vehicle, keys).encode(
        "link.ROTATE_KEY", {"key_id": key_id, "generation": generation}, key_id=signer,
        auth_seq=seq)
    return ingest.process(pkt)


def inc(ingest, key, seq, key_id=1):
    return ingest.process(TelecommandEncoder(ingest.vehicle, {key_id: key}).encode(
        "counter.INCREMENT", {"by": 1}, key_id=key_id, auth_seq=seq))


def test_a_burnt_key_is_rotated_and_commands_again_from_1():
    topology, ingest = vehicle()
    assert inc(ingest, KEYS[1], SEQ_MAX).status is AckStatus.OK     # the window is burnt
    assert inc(ingest, KEYS[1], 5).status is AckStatus.STALE
    ack = rotate(ingest, 1, 1, seq=1)
    assert ack.status is AckStatus.OK, ack
    assert "KEY_ROTATED" in [e.name for e in topology.events]
    new = derive_key(MASTER[0], 1, 1)
    assert inc(ingest, new, 1).status is AckStatus.OK                # a fresh number space
    assert inc(ingest, KEYS[1], SEQ_MAX - 1).status is AckStatus.BAD_MAC  # the old key is gone
    assert topology["counter"].tlm["count"] == 2
    assert inc(ingest, KEYS[2], 1, key_id=2).status is AckStatus.OK  # other keys untouched


def test_only_a_master_key_rotates_and_a_master_key_does_nothing_else():
    topology, ingest = vehicle()
    by_session = rotate(ingest, 2, 1, seq=1, signer=1, keys=KEYS)
    assert by_session.status is AckStatus.REJECTED and "must be signed with a master key" \
        in by_session.reason
    master_inc = TelecommandEncoder(ingest.vehicle, MASTER).encode(
        "counter.INCREMENT", {"by": 1}, key_id=0, auth_seq=2)
    ack = ingest.process(master_inc)
    assert ack.status is AckStatus.REJECTED and "signs only link.ROTATE_KEY" in ack.reason
    onboard = topology.dispatch("link.ROTATE_KEY", {"key_id": 2, "generation": 1})
    assert onboard.status.name == "FAILED"                   # a stored sequence cannot either
    assert rotate(ingest, 0, 1, seq=3).status is AckStatus.FAILED   # nor the master itself
    assert topology["counter"].tlm["count"] == 0 and ingest.keys == KEYS


def test_a_retried_rotation_is_acknowledged_and_an_older_generation_refused():
    _, ingest = vehicle()
    assert rotate(ingest, 1, 2, seq=1).status is AckStatus.OK
    key = ingest.keys[1]
    assert rotate(ingest, 1, 2, seq=2).status is AckStatus.OK       # the ack was lost: retry
    assert ingest.keys[1] == key == derive_key(MASTER[0], 1, 2)
    older = rotate(ingest, 1, 1, seq=3)
    assert older.status is AckStatus.FAILED and "already at generation 2" in older.reason


def test_rotated_keys_and_windows_survive_a_warm_restart():
    _, ingest = vehicle()
    rotate(ingest, 1, 3, seq=1)
    assert inc(ingest, derive_key(MASTER[0], 1, 3), 10).status is AckStatus.OK
    state = ingest.checkpoint_state()
    _, fresh = vehicle()
    fresh.restore_state(state)
    key = derive_key(MASTER[0], 1, 3)
    assert inc(fresh, key, 10).status is AckStatus.REPLAY
    assert inc(fresh, key, 11).status is AckStatus.OK
    _, tolerant = vehicle()                                   # a crafted state is not trusted
    tolerant.restore_state({"generations": {"1": {"generation": "x"}, "x": 5,
                                            "2": {"generation": 1, "master": 77}},
                            "windows": {"1": {"size": 64}, "2": None}})
    assert tolerant.keys == KEYS and tolerant.windows == {}


def test_cli_rotation_recovers_a_key_locked_out_by_a_huge_seq(tmp_path):
    keys = tmp_path / "keys.json"
    from msr.cli import cli
    runner = CliRunner()
    assert runner.invoke(cli, ["keys", "generate", "--out", str(keys), "--key-id", "7"]) \
        .exit_code == 0
    proc = subprocess.Popen([sys.executable, "-c", "from msr.cli import main; main()", "gds",
                             "serve", "--keys", str(keys), "--port", "0", "--duration", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = re.search(r"127\.0\.0\.1:(\d+)", proc.stdout.readline()).group(1)
        send = ["gds", "send", "--port", port, "--keys", str(keys), "--key-id", "7"]
        refused = runner.invoke(cli, send + ["--seq", str(SEQ_MAX), "counter.NOOP"])
        assert refused.exit_code == 1 and "burns the key's numbers" in refused.output
        burnt = runner.invoke(cli, send + ["--seq", str(SEQ_MAX), "--force", "counter.NOOP"])
        assert burnt.exit_code == 0, burnt.output
        stale = runner.invoke(cli, send + ["--seq", "1000", "--force", "counter.NOOP"])
        assert stale.exit_code == 1 and "ack: STALE" in stale.output, stale.output
        locked = runner.invoke(cli, send + ["counter.NOOP"])
        assert locked.exit_code == 1 and "rotate it (msr keys rotate)" in locked.output
        out = runner.invoke(cli, ["keys", "rotate", "--keys", str(keys), "--key-id", "7",
                                  "--port", port])
        assert out.exit_code == 0 and "ack: OK" in out.output, out.output
        ring = load_keyring(keys)
        assert ring.generations == {7: 1} and ring.keys[7] == derive_key(ring.master[0], 7, 1)
        again = runner.invoke(cli, send + ["counter.INCREMENT", "by=2"])
        assert again.exit_code == 0 and "seq 1 " in again.output, again.output
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err

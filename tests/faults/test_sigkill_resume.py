"""SIGKILL the board-side flight software mid-run, restart it with --resume: it carries on from
its checkpoint without losing or duplicating a tube, and every log record written before the
last fsync is still there and readable.

HIL-style: `msr hil run` (a subprocess, real-time mode, over a pty) against the bench emulator
(in this process); the test holds the board end of the pty open so the line survives the
board's death, as a UART does when the processor resets.
"""
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pytest

from fsw.core.checkpoint import CheckpointError, CheckpointStore
from fsw.core.eventlog import read_event_log
from hil.bench import load_bench
from tests.hil.kit import bench_data, running_emulator, whole_records, write_bench

TUBES = [3, 5, 8, 13, 21, 34, 55, 89]
MSR = [sys.executable, "-c", "from msr.cli import main; main()"]


def checkpoint(ck: Path) -> dict | None:
    try:
        return CheckpointStore(ck / "checkpoint.json").load()
    except CheckpointError:
        return None


def aboard(state: dict | None) -> list[int]:
    if state is None:
        return []
    return [t for t, loc in state["components"]["picker"]["custody"] if loc == "rover"]


def board(bench_file: Path, out: Path, ck: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(MSR + ["hil", "run", "--bench", str(bench_file), "--out", str(out),
                                   "--checkpoint", str(ck), "--no-rt", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_sigkill_then_resume_keeps_every_tube_and_every_fsynced_record(tmp_path):
    data = bench_data(tmp_path, scenario="sim.faults.carousel", mode="realtime", base_rate_hz=10,
                      overrides={"tube_ids": TUBES, "transfer_s": 0.8, "duration_s": 60.0})
    data["emulator"] = {"step_hz": 100}
    data["lines"]["main"].update(timeout_s=0.5, retries=2)
    bench_file = write_bench(tmp_path, data)
    bench = load_bench(bench_file)
    out, ck = tmp_path / "out", tmp_path / "ck"
    with running_emulator(bench) as em:
        port = bench.lines["main"].port
        line = os.open(port, os.O_RDWR | os.O_NOCTTY)   # the wire stays connected through resets
        try:
            first = board(bench_file, out, ck)
            deadline = time.monotonic() + 60
            while len(aboard(checkpoint(ck))) < 3:
                assert first.poll() is None, first.stdout.read()
                assert time.monotonic() < deadline, "board made no progress"
                time.sleep(0.05)
            time.sleep(0.35)               # mid-transfer, between checkpoints
            first.send_signal(signal.SIGKILL)
            first.wait(10)
            state = checkpoint(ck)
            tlm = (out / "telemetry.bin").read_bytes()
            ev = (out / "events.log").read_bytes()
            durable_tlm, durable_ev = state["logs"]["telemetry.bin"], state["logs"]["events.log"]
            # everything up to the last fsync is there, whole and checking
            assert len(tlm) >= durable_tlm and len(ev) >= durable_ev
            assert whole_records(tlm[:durable_tlm]) == durable_tlm
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                before = list(read_event_log(ev[:durable_ev]))
            assert before and ev[:durable_ev].endswith(b"\n")
            tubes_at_kill = aboard(state)
            assert 3 <= len(tubes_at_kill) < len(TUBES)

            second = board(bench_file, out, ck, "--resume")
            output, _ = second.communicate(timeout=90)
            assert second.returncode == 0, output
            assert "warm restart" in output
        finally:
            os.close(line)
        truth = em.plant.truth()

    final = checkpoint(ck)
    assert sorted(aboard(final)) == sorted(TUBES)               # every tube, once, in custody
    assert len(final["components"]["picker"]["custody"]) == len(TUBES)
    assert sorted(truth["slots"]) == sorted(TUBES) and not truth["depot"]   # and truth agrees
    tlm_after = (out / "telemetry.bin").read_bytes()
    ev_after = (out / "events.log").read_bytes()
    assert tlm_after[:durable_tlm] == tlm[:durable_tlm]       # no record before the fsync lost
    assert ev_after[:durable_ev] == ev[:durable_ev]
    assert whole_records(tlm_after) == len(tlm_after)         # the torn tail was cut, not kept
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        records = list(read_event_log(ev_after))
    names = [r["event"] for r in records]
    assert "WARM_RESTART" in names
    check = [r for r in records if r["event"] == "CUSTODY_CHECK"]
    assert check and check[-1]["args"]["ok"] is True
    moved = [r["args"]["tube"] for r in records if r["event"] == "TUBE_MOVED"]
    # a tube moved after the last checkpoint was moved again after the restore (reconciled),
    # never more than that
    assert set(moved) == set(TUBES) and len(moved) - len(TUBES) <= 1

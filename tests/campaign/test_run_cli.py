"""`msr run`: a non-empty run directory is refused unless told, `--resume DIR` takes DIR's
own setup, and (slow) a real `msr run` killed mid-phase finishes with `--resume` to the
summary of an uninterrupted run, wall-clock fields excepted."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from msr.cli import cli
from sim import rundir
from sim.campaign.results import without_wall_fields

MSR = [sys.executable, "-c", "from msr.cli import main; main()"]


def run(*args: str):
    return CliRunner().invoke(cli, ["run", *args])


def test_a_non_empty_directory_is_refused_and_left_alone(tmp_path):
    (tmp_path / "notes.txt").write_text("mine\n")
    res = run("--out", str(tmp_path), "--quiet", "--no-plots")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert "is not empty: --force replaces the campaign in it, --resume finishes" in res.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_resume_needs_a_campaign_directory_and_takes_its_setup(tmp_path):
    res = run("--resume", str(tmp_path))
    assert res.exit_code == 1 and "no campaign run directory to resume" in res.output
    rundir.begin(tmp_path, "campaign", {"seed": 7, "overrides": {}, "phases": ["x"]}, phases_complete=[])
    for extra in (["--seed", "8"], ["--set", "landing.a=1"], ["--force"], ["--out", str(tmp_path / "o")]):
        res = run("--resume", str(tmp_path), *extra)
        assert res.exit_code == 2 and "Traceback" not in res.output, (extra, res.output)
    res = run("--resume", str(tmp_path), "--no-protection")     # it was flown protected
    assert res.exit_code == 2 and "flown with fault protection" in res.output and "Traceback" not in res.output


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_msr_run_killed_mid_phase_resumes_to_the_uninterrupted_summary(tmp_path):
    ref, out = tmp_path / "ref", tmp_path / "out"
    subprocess.run(MSR + ["run", "--out", str(ref), "--quiet", "--no-plots"], check=False,
                   capture_output=True, timeout=900)
    # in order (--one-core): flying ahead would write the ascent elsewhere and move it in whole
    proc = subprocess.Popen(MSR + ["run", "--out", str(out), "--quiet", "--no-plots", "--one-core"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 900
    ascent = out / "phases" / "ascent" / "telemetry.bin"
    while not (ascent.exists() and ascent.stat().st_size > 0):      # mid-ascent
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    manifest = rundir.read_manifest(out)
    assert manifest["state"] == "running" and manifest["phases_complete"] == ["landing", "delivery"]
    assert not (out / "summary.json").exists()
    done = subprocess.run(MSR + ["run", "--resume", str(out), "--quiet", "--no-plots"],
                          capture_output=True, text=True, timeout=900)
    assert "CAMPAIGN" in done.stdout, done.stderr
    a, b = (json.loads((d / "summary.json").read_text()) for d in (out, ref))
    assert rundir.dump_json(without_wall_fields(a)) == rundir.dump_json(without_wall_fields(b))
    assert (out / "telemetry.bin").read_bytes() == (ref / "telemetry.bin").read_bytes()
    assert rundir.is_complete(out, "campaign")

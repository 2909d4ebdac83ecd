"""A campaign run directory survives a SIGKILL: it says it is not complete, nothing of an older
run looks finished in it, and a resumed run ends with the summary of an uninterrupted one
(wall-clock fields excepted, as the campaign declares them) and the same bytes of telemetry.

A real subprocess is killed exactly at a phase boundary and exactly mid-phase (the short
campaign of tests/campaign/mini.py stops itself there and waits for the signal).
"""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim import rundir
from sim.campaign.campaign_dir import RunDirError, resume_setup
from sim.campaign.results import WALL_FIELDS, without_wall_fields
from sim.campaign.runner import run_campaign
from tests.campaign.mini import PHASES

ROOT = Path(__file__).resolve().parents[2]


def start(out: Path, seed: int, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "tests.campaign.mini", str(out), str(seed), *args],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def kill_when_stopped(proc: subprocess.Popen, out: Path, timeout_s: float = 120.0) -> None:
    """Wait (bounded; a loaded machine is slow) for the run to reach its stop, then SIGKILL it."""
    marker = Path(f"{out}.stopped")
    deadline = time.monotonic() + timeout_s
    while not marker.exists():
        assert proc.poll() is None, f"the run ended before its stop:\n{proc.stdout.read()}"
        assert time.monotonic() < deadline, "the run never reached its stop"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    marker.unlink()


def finish(out: Path, seed: int, *args: str) -> None:
    proc = start(out, seed, *args)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "run"
    finish(out, 5)
    return out


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def assert_same_run(out: Path, ref: Path) -> None:
    assert rundir.is_complete(out, "campaign")
    a, b = summary(out), summary(ref)
    assert rundir.dump_json(without_wall_fields(a)) == rundir.dump_json(without_wall_fields(b))
    # and the files differ only on lines of declared wall-clock fields
    wall_keys = {f'"{f.rsplit(".", 1)[-1]}"' for f in WALL_FIELDS}
    for la, lb in zip((out / "summary.json").read_text().splitlines(),
                      (ref / "summary.json").read_text().splitlines(), strict=True):
        assert la == lb or any(k in la for k in wall_keys), (la, lb)
    for name in ("telemetry.bin", "events.log", "dictionary.json"):
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    for p in PHASES:
        assert (out / "phases" / p.name / "telemetry.bin").read_bytes() == \
            (ref / "phases" / p.name / "telemetry.bin").read_bytes()


def test_sigkill_at_a_phase_boundary_then_resume(tmp_path, reference):
    out = tmp_path / "run"
    kill_when_stopped(start(out, 5, "--stop-before", "two"), out)
    manifest = rundir.read_manifest(out)
    assert manifest["state"] == "running" and manifest["phases_complete"] == ["one"]
    assert not (out / "summary.json").exists() and not rundir.is_complete(out)
    assert rundir.is_complete(out / "phases" / "one", "sil")
    one_before = (out / "phases" / "one" / "telemetry.bin").stat().st_mtime_ns
    finish(out, 5, "--resume")
    assert (out / "phases" / "one" / "telemetry.bin").stat().st_mtime_ns == one_before  # not flown again
    assert_same_run(out, reference)


def test_sigkill_mid_phase_then_resume(tmp_path, reference):
    out = tmp_path / "run"
    kill_when_stopped(start(out, 5, "--stop-in", "two@20"), out)
    assert rundir.read_manifest(out)["phases_complete"] == ["one"]
    two = out / "phases" / "two"
    assert rundir.read_manifest(two)["state"] == "running" and not rundir.is_complete(two)
    assert not (two / "summary.json").exists()
    finish(out, 5, "--resume")
    assert_same_run(out, reference)


def test_a_killed_rerun_with_another_seed_leaves_nothing_that_looks_finished(tmp_path, reference):
    out = tmp_path / "run"
    shutil.copytree(reference, out)
    kill_when_stopped(start(out, 6, "--force", "--stop-in", "one@20"), out)
    manifest = rundir.read_manifest(out)
    assert manifest["state"] == "running" and manifest["setup"]["seed"] == 6
    assert not (out / "summary.json").exists()          # the old seed's success is gone
    assert not any((out / "phases" / p.name / "summary.json").exists() for p in PHASES)


def test_a_non_empty_directory_is_refused_unless_forced_or_resumed(tmp_path, reference):
    out = tmp_path / "run"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n")
    with pytest.raises(RunDirError, match="not empty"):
        run_campaign(5, out, phases=PHASES)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    with pytest.raises(RunDirError, match="no campaign run directory"):
        run_campaign(5, out, phases=PHASES, resume=True)
    with pytest.raises(RunDirError, match="another campaign"):
        run_campaign(6, reference, phases=PHASES, resume=True)
    before = (reference / "summary.json").read_bytes()
    again = run_campaign(5, reference, phases=PHASES, resume=True)   # complete: nothing to do
    assert (reference / "summary.json").read_bytes() == before and again.summary == summary(reference)


def test_a_campaign_flown_without_protection_is_resumed_without_it(tmp_path, reference):
    out = tmp_path / "run"
    first = PHASES[:1]
    result = run_campaign(5, out, phases=first, protection=False)
    assert result.summary["protection"]["installed"] is False
    assert summary(out / "phases" / "one")["protection"]["installed"] is False
    assert rundir.read_manifest(out)["setup"]["protection"] is False and resume_setup(out)[2] is False
    with pytest.raises(RunDirError, match="another campaign"):   # not silently with protection
        run_campaign(5, out, phases=first, resume=True)
    assert run_campaign(5, out, phases=first, resume=True, protection=False).summary == summary(out)
    # a protected campaign's setup is as it was before there was a choice
    assert "protection" not in rundir.read_manifest(reference)["setup"] and resume_setup(reference)[2] is True

"""Every SIL run directory says whether it is complete (sim.rundir): a run killed mid-flight
leaves manifest "running" and no summary (not even an older run's), a finished one promises
each file at its size."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from sim import rundir
from sim.deployment import run_scenario
from tests.campaign.mini import MINI as scenario

ROOT = Path(__file__).resolve().parents[2]
SLOW = {"sweep_s": 40.0, "duration_s": 60.0}


def test_a_finished_run_is_complete_and_promises_its_files(tmp_path):
    summary = run_scenario(scenario, seed=3, out_dir=tmp_path, overrides=SLOW)
    manifest = rundir.read_manifest(tmp_path)
    assert manifest["state"] == "complete" and manifest["kind"] == "sil"
    assert manifest["setup"] == {"scenario": "mini", "seed": 3, "overrides": SLOW}
    assert set(manifest["files"]) == {"telemetry.bin", "events.log", "dictionary.json", "truth.npz", "summary.json"}
    assert json.loads((tmp_path / "summary.json").read_text()) == json.loads(rundir.dump_json(summary))
    assert rundir.is_complete(tmp_path, "sil")
    with open(tmp_path / "telemetry.bin", "ab") as f:       # a file that is not what was promised
        f.write(b"\0")
    assert not rundir.is_complete(tmp_path)


def test_sigkill_mid_flight_leaves_an_incomplete_directory_without_the_old_summary(tmp_path):
    run_scenario(scenario, seed=3, out_dir=tmp_path, overrides=SLOW)      # an older, finished run
    marker = Path(f"{tmp_path}.stopped")
    code = ("import sys; from pathlib import Path; from tests.campaign.mini import MINI as scenario, StopAt; "
            "from sim.deployment import run_scenario; "
            f"run_scenario(scenario, seed=4, out_dir=Path({str(tmp_path)!r}), overrides={SLOW!r}, "
            f"observers=(StopAt(Path({str(tmp_path)!r}), 20.0),))")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    manifest = rundir.read_manifest(tmp_path)
    assert manifest["state"] == "running" and manifest["setup"]["seed"] == 4
    assert not (tmp_path / "summary.json").exists() and not rundir.is_complete(tmp_path)

"""`--out` on a full disk, a read-only directory or below a file: every command that takes it
prints one line naming the path and the reason and exits 1; no traceback, no work done.
A disk that fills during a flight stops it the same way, and the run directory says it is
not complete. Table-driven: one namespace (tests/outdirs/fsfaults.py) runs every case."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.hil.kit import bench_data, write_bench

from . import fsfaults

ROOT = Path(__file__).resolve().parents[2]
REASONS = {"full": "No space left on device", "ro": "Read-only file system", "file": "Not a directory"}


def commands(bench: Path, landing: Path) -> dict[str, list[str]]:
    return {
        "run": ["run", "--quiet", "--no-plots", "--out"],
        "sil": ["sil", "landing", "--out"],
        "montecarlo": ["montecarlo", "hop", "--runs", "2", "--workers", "0", "-q", "--no-plots", "--out"],
        "faults": ["faults", "zone", "--quick", "--out"],
        "modes": ["modes", "lander", "--out"],
        "hil timing": ["hil", "timing", "--duration", "0.1", "--priority", "0", "--no-cyclictest", "--out"],
        "hil run": ["hil", "run", "--bench", str(bench), "--connect-timeout", "0.2", "--out"],
        "hil products": ["hil", "products", "--bench", str(landing), "--out"],
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    if not fsfaults.available():
        pytest.skip("cannot mount a tmpfs in a private mount namespace here (needs unshare and root "
                    "or user namespaces)")
    root = tmp_path_factory.mktemp("mounts")
    (root / "a-file").write_text("not a directory\n")
    bench = write_bench(root, bench_data(root))
    (root / "landing").mkdir()
    landing = write_bench(root / "landing", bench_data(root / "landing", scenario="landing"))
    cases = []
    for name, argv in commands(bench, landing).items():
        for kind, where in (("full", root / "full"), ("ro", root / "ro"), ("file", root / "a-file")):
            out = where / "x" / "y"
            cases.append({"command": name, "kind": kind, "out": str(out), "argv": argv + [str(out)]})
    # a disk that fills while a scenario flies (16 KiB: its logs outgrow it)
    cases.append({"command": "sil", "kind": "fills", "out": str(root / "small" / "run"),
                  "argv": ["sil", "landing", "--out", str(root / "small" / "run")]})
    done = fsfaults.run_with_mounts(root, [sys.executable, "-m", "tests.outdirs.driver"], small_kb=16,
                                    input=json.dumps(cases), cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_every_command_gives_one_line_and_exit_1(results):
    table = []
    for r in results:
        errors = [line for line in r["output"].splitlines() if line.startswith("Error:")]
        table.append((r["command"], r["kind"], r["exit_code"], r["escaped"] is None, errors))
    bad = [t for t in table if not (t[2] == 1 and t[3] and len(t[4]) == 1)]
    assert not bad, "\n".join(map(str, bad))
    for r in results:
        assert "Traceback" not in r["output"], r
        line = next(line for line in r["output"].splitlines() if line.startswith("Error:"))
        reason = REASONS["full" if r["kind"] == "fills" else r["kind"]]
        assert reason in line and "--out" in line, (r["command"], r["kind"], line)


def test_nothing_is_flown_before_the_out_directory_is_known_good(results):
    for r in results:
        if r["kind"] != "fills":
            assert "[landing]" not in r["output"] and "summary:" not in r["output"], r


def test_a_disk_that_fills_in_flight_stops_it_and_the_run_stays_incomplete(results):
    (r,) = [r for r in results if r["kind"] == "fills"]
    assert any(f"run/{name}: No space left on device" in r["output"]
               for name in ("telemetry.bin", "events.log", "dictionary.json", "truth.npz")), r["output"]
    assert r["manifest_state"] == "running"


class FillingFile:
    """A file on a disk with `room` bytes left: a write beyond them fails as ENOSPC does."""

    def __init__(self, path, mode="wb", room=4000):
        self._f = open(path, mode)
        self.room = room

    def write(self, data):
        if len(data) > self.room:
            raise OSError(28, "No space left on device")
        self.room -= len(data)
        return self._f.write(data)

    def __getattr__(self, name):
        return getattr(self._f, name)


def test_a_log_write_failure_stops_the_flight_and_is_raised_naming_the_file(tmp_path, monkeypatch):
    """Log writes happen inside the flight loop, whose executive counts an exception as a
    component fault and flies on: the error must not be lost there."""
    from sim import rundir
    from sim.deployment import run_scenario
    from tests.campaign.mini import MINI as scenario

    monkeypatch.setattr(rundir, "open", FillingFile, raising=False)

    class LastTime:
        t_ns = 0

        def advance_to(self, t_ns):
            self.t_ns = t_ns
    seen = LastTime()
    with pytest.raises(OSError, match="No space left") as err:
        run_scenario(scenario, seed=1, out_dir=tmp_path / "run", overrides={"sweep_s": 40.0, "duration_s": 60.0},
                     observers=(seen,))
    assert err.value.filename == str(tmp_path / "run" / "telemetry.bin")
    assert 0 < seen.t_ns < 5e9                 # stopped at once, not after the 60 s of the run
    assert rundir.read_manifest(tmp_path / "run")["state"] == "running"
    assert not (tmp_path / "run" / "summary.json").exists()

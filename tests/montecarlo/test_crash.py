"""A Monte Carlo campaign killed with SIGKILL leaves no worker behind, and its journal is never
lost: `--resume` replaces runs.jsonl atomically, and appended records are fsynced per chunk.

Real processes: `msr montecarlo` in a subprocess, its process tree read from /proc before the
kill, survivors polled for with a generous bound (a loaded machine is slow to reap)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.montecarlo.journal import Journal
from tests import proctree
from tests.montecarlo.conftest import HOP
from tests.montecarlo.test_campaign import _toml

MSR = [sys.executable, "-c", "from msr.cli import main; main()"]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not proctree.available(), reason="needs /proc (Linux) to see the process tree")


def journaled(path: Path) -> int:
    try:
        return max(0, path.read_text().count("\n") - 1)
    except OSError:
        return 0


@pytest.mark.parametrize("executor", [["--workers", "2"], ["--workers", "2", "--dask"]], ids=["pool", "dask"])
def test_no_worker_outlives_a_sigkilled_campaign(tmp_path, executor):
    if "--dask" in executor:
        pytest.importorskip("distributed")
    disp = tmp_path / "hop.toml"
    disp.write_text(_toml(HOP))
    out = tmp_path / "mc"
    proc = subprocess.Popen(MSR + ["montecarlo", "hop", "--runs", "100000", "--dispersion", str(disp),
                                   "--out", str(out), "-q", "--no-plots", *executor],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    tree: set = set()
    try:
        deadline = time.monotonic() + 120
        while journaled(out / "runs.jsonl") < 3:          # the workers are running runs
            assert proc.poll() is None, proc.stderr.read()
            assert time.monotonic() < deadline, "the campaign never got going"
            time.sleep(0.05)
        tree = proctree.descendants(proc.pid)
        assert len(tree) >= 2, tree
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        proc.stderr.close()
    survivors = proctree.wait_gone(tree, timeout_s=60)
    proctree.kill_all(survivors)
    assert not survivors, f"{len(survivors)} of {len(tree)} processes outlived the campaign"


HEADER = {"scenario": "hop", "master_seed": 1, "dispersions": {}, "fixed": {}}


def big_journal(path: Path, n: int) -> None:
    with path.open("w") as f:
        f.write(json.dumps({"header": HEADER}, sort_keys=True) + "\n")
        for k in range(n):
            f.write(json.dumps({"record": {"run": k, "seed": k, "status": "ok", "outputs": {"x": k * 0.5}},
                                "timing": {"wall_s": 0.1}}, sort_keys=True) + "\n")


def test_sigkill_while_resume_rewrites_the_journal_loses_nothing(tmp_path):
    """Kill the resuming process in the middle of its journal rewrite: the records it was
    resuming from must all still be there (it used to truncate the file first)."""
    path, n = tmp_path / "runs.jsonl", 150_000
    big_journal(path, n)
    size = path.stat().st_size
    code = (f"from pathlib import Path; from sim.montecarlo.journal import Journal; "
            f"Journal(Path({str(path)!r}), {HEADER!r}, resume=True).close()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            rewriting = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
            if path.stat().st_size < size or rewriting:
                break                                     # mid-rewrite: now
            time.sleep(0.001)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert len(Journal(path, HEADER, resume=True).done) == n


def test_appended_records_are_fsynced_once_per_chunk(tmp_path, monkeypatch, hop_dispersions):
    from sim.montecarlo.campaign import run_campaign
    from sim.montecarlo.executors import SerialExecutor
    synced = []
    real = os.fsync

    def counting(fd):
        if os.path.realpath(f"/proc/self/fd/{fd}").endswith("runs.jsonl"):
            synced.append(journaled(tmp_path / "mc" / "runs.jsonl"))
        return real(fd)
    monkeypatch.setattr(os, "fsync", counting)
    run_campaign("hop", hop_dispersions, runs=12, master_seed=3, out_dir=tmp_path / "mc",
                 executor=SerialExecutor(), plots=False)
    # serial: one run a chunk; each finished run is durable before the next is started
    assert synced[:12] == list(range(1, 13))

"""How the process flying ahead is started (sim/campaign/ahead.py `_start`): forked where the
campaign runs no other thread, else a fresh interpreter; either way it runs the plan, writes
its output into ahead.log, answers poll/wait/terminate, and a SIGTERM ends it."""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from sim.campaign import ahead


def _plan(root: Path, **extra) -> dict:
    return {"names": [], "seeds": [], "summaries": {}, "overrides": {}, "root": str(root),
            "parent": os.getpid(), "protection": True, "current": None, "plots": False, **extra}


def _started(root: Path, threads: int, monkeypatch, **extra):
    root.mkdir()
    monkeypatch.setattr(threading, "active_count", lambda: threads)
    plan = _plan(root, **extra)
    (root / ahead.PLAN).write_text(__import__("json").dumps(plan))
    return ahead._start(plan, root)


@pytest.mark.parametrize("threads, kind", [(1, "_Forked"), (2, "Popen")])
def test_a_plan_with_nothing_to_fly_ends_ready(tmp_path, monkeypatch, threads, kind):
    proc = _started(tmp_path / "root", threads, monkeypatch)
    assert type(proc).__name__ == kind
    assert proc.wait() == 0 and proc.poll() == 0
    assert (tmp_path / "root" / ahead.READY).exists()
    assert (tmp_path / "root" / "ahead.log").exists()


@pytest.mark.parametrize("threads", [1, 2])
def test_terminate_ends_a_child_that_serves_plots(tmp_path, monkeypatch, threads):
    """With plots, the child waits for the campaign's phases (forever here): SIGTERM ends it."""
    proc = _started(tmp_path / "root", threads, monkeypatch, plots=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "root" / ahead.READY).exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    assert proc.poll() is None          # serving: waiting for phases marked done
    proc.terminate()
    assert proc.wait() == 1             # its SIGTERM handler: sys.exit(1)


def test_a_failing_forked_child_says_why_in_its_log(tmp_path, monkeypatch):
    proc = _started(tmp_path / "root", 1, monkeypatch, names=["no-such-phase"], seeds=[1])
    assert proc.wait() == 1
    assert "KeyError: 'no-such-phase'" in (tmp_path / "root" / "ahead.log").read_text()

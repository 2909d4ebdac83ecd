"""Flying ahead: the phases after the one in flight, on the other core, from a prediction.

The campaign's phases are a chain, but the chain carries little: the ascent needs only the
tubes sealed in the OS, and the delivery (nominally) seals every tube it set out to fetch,
which its own settings say (the depot's tube numbers, or those Perseverance carries), not
where the lander came down. So from the campaign's start, while the landing and then the
delivery fly, a second process flies the ascent with the predicted tube list and then the
capture with that ascent's OS. When the delivery ends, the ascent's real inputs
(`phase_values` of the real delivery summary) are compared with the predicted ones: equal,
and the phases flown ahead are exactly what flying them now would give (same inputs, same
seeds, deterministic code: the same bytes), so they are taken; different (a tube skipped, a
failed delivery), and they are thrown away and flown in order as always.

Phases flown ahead write into `phases/.ahead/NAME` and are moved into place when taken, one
complete run directory at a time. The child process ends with the campaign process.

With `plots`, the child then spends its idle time (the delivery still flies here) drawing the
campaign's plots (`sim/report/campaign_plots.py`): its own phases' first, into
`.ahead/plots` (moved into `plots/` with their phase when it is taken, thrown away with it
when not), unless the phase it was predicting has ended (this process then waits for it);
then each phase this process marks complete in place (`done/NAME`), and the timeline when told
the campaign has ended. This process draws beside it what is left when it waits, and what it
left (stopped, or thrown away) after it.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Mapping, Sequence

from sim import rundir
from sim.report.campaign_plots import TIMELINE, Job, claim, draw, draw_missing, phase_jobs, phase_pngs

AHEAD_DIR = ".ahead"
PLAN = "plan.json"
CHILD_PID = "child.pid"    # the process flying ahead (forked: its command line is the campaign's)
READY = "ready"            # child: the phases are flown (and its idle-time plots of them drawn)
DONE = "done"              # campaign: done/NAME once phase NAME is complete in phases/NAME
END = "end"                # campaign: no phase will follow; the timeline is in TIMELINE_ROWS
TIMELINE_ROWS = "timeline.json"
CLAIMS = "claims"
AHEAD_PLOTS = "plots"
POLL_S = 0.02


def _fly_ahead(names: Sequence[str], seeds: Sequence[int], summaries: dict[str, dict[str, Any]],
               overrides: dict[str, dict[str, Any]], root: str, parent: int, protection: bool = True,
               current: str | None = None, plots: bool = False) -> None:
    """Child process: fly `names` in order into root/NAME (the first from the predicted
    summaries), each from the summaries before it, stopping after a failed phase; with
    `plots`, then draw plots while idle (the module's docstring)."""
    from sim.campaign.runner import PHASES, fly_phase
    from sim.montecarlo.executors import _exit_with
    _exit_with(parent)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))     # stopped: no temporary PNG left behind
    by_name = {p.name: p for p in PHASES}
    summaries = dict(summaries)
    root_dir = Path(root)
    flown = []
    for name, seed in zip(names, seeds):
        pdir = root_dir / name
        fly_phase(by_name[name], seed, pdir, summaries, overrides.get(name, {}), None, protection)
        summaries[name] = json.loads((pdir / rundir.SUMMARY).read_text())
        flown.append(name)
        if not summaries[name].get("success"):
            break
    if plots:
        jobs = [job for name in flown for job in phase_jobs(name, root_dir / name, root_dir / AHEAD_PLOTS)]
        for job in jobs:
            if current is not None and (root_dir / DONE / current).exists():
                break       # the campaign waits for these phases: hand them over, plots or not
            _draw_quietly(job)
    (root_dir / READY).touch()
    if plots:
        _serve(root_dir, [p.name for p in PHASES])


def _draw_quietly(job: Job) -> None:
    """Draw one plot; a failure leaves it missing (drawn again after the campaign), logged."""
    try:
        draw(job)
    except Exception:
        traceback.print_exc()


def _serve(root: Path, order: Sequence[str]) -> None:
    """Draw each phase's plots once the campaign marks it complete in place, then the
    timeline once it says it has ended; a plot it draws itself is claimed first."""
    out_dir = root.parent.parent
    plots_dir, claims = out_dir / "plots", root / CLAIMS
    served: set[str] = set()
    while True:
        ended = (root / END).exists()        # before the scan: nothing marked before it is missed
        ready = [n for n in order if n not in served and (root / DONE / n).exists()]
        for name in ready:
            served.add(name)
            for job in phase_jobs(name, out_dir / "phases" / name, plots_dir):
                if not job.out.exists() and claim(claims, job):
                    _draw_quietly(job)
        if ended:
            job = timeline_job(root, plots_dir)
            if job is not None and not job.out.exists() and claim(claims, job):
                _draw_quietly(job)
            return
        if not ready:
            time.sleep(POLL_S)


def timeline_job(root: Path, plots_dir: Path) -> Job | None:
    from sim.report.plots import timeline
    try:
        rows = json.loads((root / TIMELINE_ROWS).read_text())
    except (OSError, ValueError):
        return None
    return Job(timeline, {"timeline": rows}, plots_dir / TIMELINE)


class FlightAhead:
    """The phases after `current`, flown in a child process from `predicted` (the summary
    `current` is expected to end with)."""

    def __init__(self, out_dir: Path, names: Sequence[str], seeds: Sequence[int],
                 summaries: Mapping[str, Mapping[str, Any]], current: str, predicted: Mapping[str, Any],
                 overrides: Mapping[str, Mapping[str, Any]], protection: bool = True,
                 plots: bool = False) -> None:
        self.out_dir = Path(out_dir)
        self.root = self.out_dir / "phases" / AHEAD_DIR
        discard(out_dir)
        self.root.mkdir(parents=True)
        (self.root / DONE).mkdir()
        (self.root / CLAIMS).mkdir()
        self.names = list(names)
        self.current = current
        self.predicted = {**summaries, current: dict(predicted)}
        self.taken: list[str] | None = None
        self.plots = bool(plots)
        plan = {"names": self.names, "seeds": [int(x) for x in seeds], "summaries": self.predicted,
                "overrides": {k: dict(v) for k, v in overrides.items()}, "root": str(self.root),
                "parent": os.getpid(), "protection": bool(protection), "current": current,
                "plots": bool(plots)}
        (self.root / PLAN).write_text(json.dumps(plan))
        self.proc = _start(plan, self.root)
        (self.root / CHILD_PID).write_text(str(self.proc.pid))

    def decide(self, same_inputs: bool) -> None:
        """After the predicted phase: take what was flown ahead if its first phase had the
        inputs it has now, else stop the child and forget it."""
        if not same_inputs:
            self.cancel()
            self.taken = []
            return
        while self.proc.poll() is None and not (self.root / READY).exists():
            time.sleep(POLL_S)
        self.taken = [n for n in self.names if rundir.is_complete(self.root / n, "sil")]

    def install(self, name: str, pdir: Path) -> bool:
        """Move the phase flown ahead into `pdir` (True), or say it was not (False)."""
        if not self.taken or name not in self.taken:
            return False
        if pdir.exists():
            shutil.rmtree(pdir)
        os.replace(self.root / name, pdir)
        rundir.fsync_dir(pdir.parent)
        drawn = [png for png in phase_pngs(name) if (self.root / AHEAD_PLOTS / png).exists()]
        if drawn:                                   # its plots, drawn ahead, go with it
            (self.out_dir / "plots").mkdir(exist_ok=True)
            for png in drawn:
                os.replace(self.root / AHEAD_PLOTS / png, self.out_dir / "plots" / png)
        return True

    def phase_done(self, name: str) -> None:
        """Phase `name` is complete in phases/NAME: the child may draw its plots."""
        (self.root / DONE / name).touch()

    @property
    def drawing(self) -> bool:
        """The child is still alive to draw plots (its phases were taken)."""
        return self.plots and bool(self.taken) and self.proc.poll() is None

    def end(self, timeline_rows: Sequence[Mapping[str, Any]]) -> None:
        """No phase follows: the child draws the timeline (from these rows) and ends."""
        rundir.atomic_write(self.root / TIMELINE_ROWS, json.dumps(list(timeline_rows)))
        (self.root / END).touch()

    def join_plots(self, jobs: Sequence[Job]) -> list[Path]:
        """Until the child ends, draw here too (from the end of the list: it draws from the
        start) while enough plots are unclaimed to repay importing matplotlib here (~0.45 s,
        two or three plots' drawing); then whatever is still missing."""
        claims = self.root / CLAIMS
        while self.proc.poll() is None:
            worth = 2 if "matplotlib.pyplot" in sys.modules else 4
            todo = [j for j in jobs if not j.out.exists() and not (claims / j.out.name).exists()]
            if len(todo) >= worth and claim(claims, todo[-1]):
                draw(todo[-1])
            else:
                time.sleep(POLL_S)
        return draw_missing(jobs)

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()

    def close(self, out_dir: Path) -> None:
        self.cancel()
        discard(out_dir)


def _start(plan: dict[str, Any], root: Path) -> "subprocess.Popen[bytes] | _Forked":
    """The child, its output into root/ahead.log: forked from this process where it runs no
    other thread (every module is imported already: it starts flying at once, ~0.35 s before
    a fresh interpreter would), else a fresh interpreter on this very code (not
    multiprocessing: no __main__ to re-import)."""
    if hasattr(os, "fork") and threading.active_count() == 1:
        # matplotlib is not imported before the fork (~0.4 s on this process's flights, the
        # campaign's critical path): the child imports it once its phases are flown (its
        # capture ends ~1.5 s before the delivery), and this process only if it helps draw
        return _Forked(plan, root / "ahead.log")
    code = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))}
    with open(root / "ahead.log", "wb") as log:
        return subprocess.Popen([sys.executable, "-m", "sim.campaign.ahead", str(root / PLAN)],
                                stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)


class _Forked:
    """A forked child flying ahead, with the part of Popen's interface FlightAhead uses. The
    child never returns into the caller's code: it ends in os._exit (no atexit handler, no
    buffer of the parent's flushed twice)."""

    def __init__(self, plan: dict[str, Any], log_path: Path) -> None:
        log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        self.pid = os.fork()
        if self.pid == 0:                               # the child
            code = 1
            try:
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(log, 1)
                os.dup2(log, 2)
                # the parent's streams may not be fds 1 and 2 (a test runner's capture): these are
                sys.stdout = open(1, "w", buffering=1, closefd=False)
                sys.stderr = open(2, "w", buffering=1, closefd=False)
                _fly_ahead(**plan)
                code = 0
            except SystemExit as exc:                   # SIGTERM's handler
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:
                traceback.print_exc()
            finally:
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:
                        pass
                os._exit(code)
        os.close(log)
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def terminate(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def discard(out_dir: Path) -> None:
    """Remove what flying ahead left (an interrupted campaign's too), and any plot a stopped
    process left half written."""
    shutil.rmtree(Path(out_dir) / "phases" / AHEAD_DIR, ignore_errors=True)
    for tmp in (Path(out_dir) / "plots").glob(".*.tmp"):
        tmp.unlink(missing_ok=True)


if __name__ == "__main__":
    _fly_ahead(**json.loads(Path(sys.argv[1]).read_text()))

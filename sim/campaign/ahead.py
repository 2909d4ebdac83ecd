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
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from sim import rundir

AHEAD_DIR = ".ahead"
PLAN = "plan.json"


def _fly_ahead(names: Sequence[str], seeds: Sequence[int], summaries: dict[str, dict[str, Any]],
               overrides: dict[str, dict[str, Any]], root: str, parent: int, protection: bool = True) -> None:
    """Child process: fly `names` in order into root/NAME (the first from the predicted
    summaries), each from the summaries before it, stopping after a failed phase."""
    from sim.campaign.runner import PHASES, fly_phase
    from sim.montecarlo.executors import _exit_with
    _exit_with(parent)
    by_name = {p.name: p for p in PHASES}
    summaries = dict(summaries)
    for name, seed in zip(names, seeds):
        pdir = Path(root) / name
        fly_phase(by_name[name], seed, pdir, summaries, overrides.get(name, {}), None, protection)
        summaries[name] = json.loads((pdir / rundir.SUMMARY).read_text())
        if not summaries[name].get("success"):
            break


class FlightAhead:
    """The phases after `current`, flown in a child process from `predicted` (the summary
    `current` is expected to end with)."""

    def __init__(self, out_dir: Path, names: Sequence[str], seeds: Sequence[int],
                 summaries: Mapping[str, Mapping[str, Any]], current: str, predicted: Mapping[str, Any],
                 overrides: Mapping[str, Mapping[str, Any]], protection: bool = True) -> None:
        self.root = Path(out_dir) / "phases" / AHEAD_DIR
        discard(out_dir)
        self.root.mkdir(parents=True)
        self.names = list(names)
        self.current = current
        self.predicted = {**summaries, current: dict(predicted)}
        self.taken: list[str] | None = None
        plan = {"names": self.names, "seeds": [int(x) for x in seeds], "summaries": self.predicted,
                "overrides": {k: dict(v) for k, v in overrides.items()}, "root": str(self.root),
                "parent": os.getpid(), "protection": bool(protection)}
        (self.root / PLAN).write_text(json.dumps(plan))
        # a fresh interpreter on this very code (not multiprocessing: no __main__ to re-import)
        code = Path(__file__).resolve().parents[2]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(code), os.environ.get("PYTHONPATH")]))}
        with open(self.root / "ahead.log", "wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "sim.campaign.ahead", str(self.root / PLAN)],
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env)

    def decide(self, same_inputs: bool) -> None:
        """After the predicted phase: take what was flown ahead if its first phase had the
        inputs it has now, else stop the child and forget it."""
        if not same_inputs:
            self.cancel()
            self.taken = []
            return
        self.proc.wait()
        self.taken = [n for n in self.names if rundir.is_complete(self.root / n, "sil")]

    def install(self, name: str, pdir: Path) -> bool:
        """Move the phase flown ahead into `pdir` (True), or say it was not (False)."""
        if not self.taken or name not in self.taken:
            return False
        if pdir.exists():
            shutil.rmtree(pdir)
        os.replace(self.root / name, pdir)
        rundir.fsync_dir(pdir.parent)
        return True

    def cancel(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait()

    def close(self, out_dir: Path) -> None:
        self.cancel()
        discard(out_dir)


def discard(out_dir: Path) -> None:
    """Remove what flying ahead left (an interrupted campaign's too)."""
    shutil.rmtree(Path(out_dir) / "phases" / AHEAD_DIR, ignore_errors=True)


if __name__ == "__main__":
    _fly_ahead(**json.loads(Path(sys.argv[1]).read_text()))

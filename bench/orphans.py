"""Processes left behind when `msr montecarlo` is SIGKILLed mid-batch (issue 15).

    .venv/bin/python bench/orphans.py [--workers 4] [--dask] [--tree /work/wt/base]

Starts a long campaign of the hop scenario with the given tree's code, waits until runs are
journaled, reads its process tree from /proc, SIGKILLs it, and counts how many of those
processes still run 10 s later (they are then killed). Linux only.
"""
from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from tests import proctree  # noqa: E402


def main(argv: list[str]) -> None:
    tree = Path(argv[argv.index("--tree") + 1]) if "--tree" in argv else HERE
    extra = [a for i, a in enumerate(argv) if a != "--tree" and (i == 0 or argv[i - 1] != "--tree")]
    if "--workers" not in extra:
        extra += ["--workers", "4"]
    out = Path(tempfile.mkdtemp(prefix="orphans-")) / "mc"
    proc = subprocess.Popen([sys.executable, "-c", "from msr.cli import main; main()", "montecarlo", "hop",
                             "--runs", "100000", "--out", str(out), "-q", "--no-plots", *extra],
                            cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    journal = out / "runs.jsonl"
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.read_text().count("\n") > 3):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("the campaign did not get going")
        time.sleep(0.05)
    procs = proctree.descendants(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t0 = time.monotonic()
    left = proctree.wait_gone(procs, timeout_s=10)
    gone_s = time.monotonic() - t0
    proctree.kill_all(left)
    shutil.rmtree(out.parent, ignore_errors=True)
    print(f"{tree}: {' '.join(extra)}: {len(procs)} processes under the campaign, {len(left)} still "
          f"running 10 s after its SIGKILL" + ("" if left else f" (all gone in {gone_s:.1f} s)"))


if __name__ == "__main__":
    main(sys.argv[1:])

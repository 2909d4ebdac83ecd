"""Wall time of `msr run` end to end, as a user types it (with its plots), this tree against
baselines, interleaved.

    .venv/bin/python bench/msr_run.py --against /work/wt/s6base --rounds 5
    .venv/bin/python bench/msr_run.py --no-plots                 # the campaign without drawing

Each run is a fresh interpreter of the tree's CLI (`msr run --seed S --out DIR --quiet`) into
a scratch directory, timed from the process's start to its exit: start-up, the flights (the
ascent and the capture flown ahead on the second core), the merge and the plots. bench/
campaign.py times `run_campaign` alone, per phase; this is the figure a user sees. Rounds
rotate the order of the trees so a machine whose speed drifts favours none. The product cache
(sim/product_cache.py) is warm after each tree's first run.

Goal (issue 23): `msr run --seed 1` in <= 10 s of wall time on the 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from phase_bench import interleaved, interpreter  # noqa: E402

HERE = Path(__file__).resolve().parents[1]
CLI = "import sys; sys.path.insert(0, sys.argv.pop(1)); from msr.cli import main; main()"


def run_once(tree: Path, seed: int, plots: bool) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-msr-run-") as scratch:
        out = Path(scratch) / "run"
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        cmd = [interpreter(tree), "-c", CLI, str(tree), "run", "--seed", str(seed), "--out", str(out), "--quiet"]
        t0 = time.perf_counter()
        done = subprocess.run(cmd + ([] if plots else ["--no-plots"]), capture_output=True, text=True,
                              env=env, cwd=scratch)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"{tree}: msr run failed ({done.returncode}): {done.stderr.strip()[-500:]}")
        summary = json.loads((out / "summary.json").read_text())
        pngs = len(list((out / "plots").glob("*.png"))) if plots else 0
    return {"wall_s": wall, "sha": summary["telemetry_sha256"], "pngs": pngs,
            "phases": {p["phase"]: p["wall_time_s"] for p in summary["phases"]}}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", action="append", default=[], help="a directory holding a checkout (repeatable)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--no-plots", dest="plots", action="store_false")
    args = ap.parse_args()
    trees = {("base" if k == 0 else Path(ref).name): Path(ref).resolve() for k, ref in enumerate(args.against)}
    trees["this"] = HERE
    load0 = os.getloadavg()[0]
    runs = interleaved(trees, args.rounds, lambda tree: run_once(tree, args.seed, args.plots),
                       lambda res: f"{res['wall_s']:6.2f} s  ({res['pngs']} plots; phases "
                                   + ", ".join(f"{p} {s:.2f}" for p, s in res["phases"].items()) + ")")
    what = "with its plots" if args.plots else "--no-plots"
    print(f"\nmsr run --seed {args.seed} {what}: wall seconds, {args.rounds} rounds "
          f"(load average at the start {load0:.1f}, now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")
    this = statistics.median(r["wall_s"] for r in runs["this"])
    for name, rs in runs.items():
        walls = sorted(r["wall_s"] for r in rs)
        med = statistics.median(walls)
        same = {r["sha"][:12] for r in rs}
        print(f"{name:>8}: median {med:6.2f}  min {walls[0]:6.2f}  max {walls[-1]:6.2f}  "
              f"{med / this:5.2f}x this   telemetry {'/'.join(sorted(same))}")
    print(f"goal: <= 10 s; this tree's median {this:.2f} s")


if __name__ == "__main__":
    main()

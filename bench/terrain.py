"""Time the terrain synthesis (the landing site's 2048 x 2048 map, a 4096 x 4096 one) and its
peak memory, each run in a fresh interpreter; with --baseline, interleaved with a checkout
of another commit, so both see the same machine load.

Usage: .venv/bin/python bench/terrain.py [--repeats 5] [--baseline DIR] [--sizes 2048,4096]
Prints per size and tree: median and min seconds of `generate` (with the rock raster the
flight side asks for), and the median peak RSS of the process.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
CHILD = """
import json, resource, sys, time
from sim.terrain import SITE_TERRAIN, generate, site_terrain_params
n = int(sys.argv[1])
t0 = time.perf_counter()
t = generate(site_terrain_params({**SITE_TERRAIN, "n_cells": n}), seed=1)
t.max_rock_m
dt = time.perf_counter() - t0
print(json.dumps({"s": dt, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def once(tree: Path, n: int) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree))
    out = subprocess.run([sys.executable, "-c", CHILD, str(n)], env=env, cwd=tree, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--baseline", type=Path, help="a checkout of another commit to compare with")
    ap.add_argument("--sizes", default="2048,4096")
    args = ap.parse_args()
    trees = {"this tree": HERE} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    for n in (int(s) for s in args.sizes.split(",")):
        runs: dict[str, list[dict]] = {k: [] for k in trees}
        for _ in range(args.repeats):
            for name, tree in trees.items():           # interleaved
                runs[name].append(once(tree, n))
        for name, rs in runs.items():
            s = [r["s"] for r in rs]
            print(f"{n} x {n} {name:9s}: generate median {statistics.median(s):.2f} s (min {min(s):.2f}), "
                  f"peak RSS {statistics.median(r['rss_mb'] for r in rs):.0f} MB")


if __name__ == "__main__":
    main()

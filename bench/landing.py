"""Wall and CPU time of the campaign's landing phase (`landing` as the campaign flies it), this
tree against baselines, interleaved; and the telemetry sha256 of every run.

    .venv/bin/python bench/landing.py --against /work/wt/s5base --rounds 5
    .venv/bin/python bench/landing.py --against /work/wt/s5base --cold    # no product cache

Each run is a fresh interpreter (the tree's own `.venv` if it has one) that times
`run_scenario` of the landing alone, into a scratch directory, with the campaign seed 1's
landing phase seed. Warm (the default): the map products and the site terrain come from the
product cache (a first untimed run of each tree fills it, as a campaign run before would);
`--cold`: every run gets an empty cache directory (MSR_CACHE_DIR) and pays for making them.
Rounds rotate the order of the trees so a machine whose speed drifts favours none; the
table gives medians. Goal (issue 23): the campaign, whose landing is ~2.1-2.5 s, in <= 10 s.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from phase_bench import interleaved, print_table, run_child, scenario_child  # noqa: E402

HERE = Path(__file__).resolve().parents[1]

# The campaign's landing at campaign seed 1 (sim.campaign.phases.phase_seeds(1, 4)[0]): no
# overrides (the landing is the campaign's first phase).
CAMPAIGN_SEED1 = {"seed": 1641411168, "overrides": {}}

CHILD = scenario_child("landing")


def run_once(tree: Path, setup: dict, cache: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-landing-") as scratch:
        return run_child(tree, CHILD, setup, scratch,
                         {"MSR_CACHE_DIR": cache if cache is not None else os.path.join(scratch, "cache")})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", action="append", default=[], help="a directory holding a checkout (repeatable)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="an empty product cache for every run")
    args = ap.parse_args()
    setup = CAMPAIGN_SEED1
    trees = {(Path(p).resolve().name or p): Path(p).resolve() for p in args.against}
    trees["this"] = HERE
    with tempfile.TemporaryDirectory(prefix="bench-landing-cache-") as caches:
        cache = {}
        for name, tree in trees.items():   # one warm cache per tree, filled by an untimed run
            cache[name] = None if args.cold else os.path.join(caches, name)
            if not args.cold:
                run_once(tree, setup, cache[name])
        cache_of = {trees[name]: cache[name] for name in trees}
        runs = interleaved(trees, args.rounds, lambda tree: run_once(tree, setup, cache_of[tree]),
                           lambda res: f"{res['wall_s']:6.2f} s wall, {res['cpu_s']:6.2f} s cpu, sha {res['sha'][:12]}")
    load = os.getloadavg()
    print(f"\nlanding ({'cold' if args.cold else 'warm'} product cache, phase seed {setup['seed']}), "
          f"medians of {args.rounds} rounds, load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
          f"on {os.cpu_count()} CPUs")
    print_table(runs)

if __name__ == "__main__":
    main()

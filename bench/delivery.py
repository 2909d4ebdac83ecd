"""Wall and CPU time of the campaign's delivery phase (`fetch` as the campaign flies it), this
tree against baselines, interleaved; and the telemetry sha256 of every run.

    .venv/bin/python bench/delivery.py --against /work/wt/s4base --rounds 3
    .venv/bin/python bench/delivery.py --variant perseverance     # Perseverance's delivery
    .venv/bin/python bench/delivery.py --run-dir runs/campaign    # that campaign's delivery inputs

Each run is a fresh interpreter (the tree's own `.venv` if it has one) that makes the site
terrain first, unshifted (what the campaign's landing has made in that process: `generate`
keeps it) and then times `run_scenario` of the delivery alone, into a scratch directory: the
surface site (the shifted map, the rover's cost map, the depot layout) is the delivery's, as
in the campaign. Rounds rotate the
order of the trees so a machine whose speed drifts favours none; the table gives medians.
Goal (issue 23): the delivery at most 5 s wall (8.16 s at s4-base on a quiet machine).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from phase_bench import interleaved, print_table, run_child  # noqa: E402

HERE = Path(__file__).resolve().parents[1]

# The campaign's delivery at campaign seed 1 (its phases/delivery/manifest.json): the phase
# seed and the overrides the landing handed over.
CAMPAIGN_SEED1 = {
    "seed": 1454127163,
    "overrides": {"lander_xy_m": [-0.19, 0.1], "terrain_seed": 1,
                  "terrain": {"crater_density_per_km2": 25.0, "dune_fraction": 0.05, "n_cells": 2048,
                              "resolution_m": 0.5, "rocky_fraction": 0.2, "shift_x_m": 7.5,
                              "shift_y_m": -9.0, "terrain_seed": 1}},
}

# Runs in the child interpreter: argv = tree, setup JSON, scratch directory.
CHILD = r"""
import json, sys, time
tree, setup, scratch = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
sys.path.insert(0, tree)
from sim.scenarios import fetch
assert fetch.__file__.startswith(tree), (fetch.__file__, tree)
from dataclasses import replace
from sim.deployment import run_scenario
from sim.terrain import generate, site_terrain_params
t0 = time.perf_counter()
cfg = fetch.settings(setup["overrides"])[0]
generate(replace(site_terrain_params(cfg), shift_m=(0.0, 0.0)), seed=int(cfg["terrain_seed"]))
site_s = time.perf_counter() - t0
t0, c0 = time.perf_counter(), time.process_time()
s = run_scenario("fetch", seed=setup["seed"], out_dir=scratch + "/run", overrides=setup["overrides"])
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"site_s": site_s, "wall_s": wall, "cpu_s": cpu, "sim_s": s.get("sim_time_s"),
                  "success": s.get("success"), "sha": s["telemetry_sha256"]}))
"""


def run_once(tree: Path, setup: dict) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-delivery-") as scratch:
        return run_child(tree, CHILD, setup, scratch)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--against", action="append", default=[], help="a directory holding a checkout (repeatable)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variant", choices=("campaign", "perseverance"), default="campaign",
                    help="campaign: the fetch rover's delivery; perseverance: the same site, Perseverance delivering")
    ap.add_argument("--run-dir", type=Path, help="a campaign run directory whose delivery inputs to fly")
    args = ap.parse_args()
    setup = json.loads(json.dumps(CAMPAIGN_SEED1))
    if args.run_dir is not None:
        m = json.loads((args.run_dir / "phases" / "delivery" / "manifest.json").read_text())["setup"]
        setup = {"seed": m["seed"], "overrides": m["overrides"]}
    if args.variant == "perseverance":
        setup["overrides"]["delivery"] = "perseverance"
    trees = {(Path(p).resolve().name or p): Path(p).resolve() for p in args.against}
    trees["this"] = HERE
    runs = interleaved(trees, args.rounds, lambda tree: run_once(tree, setup),
                       lambda res: f"{res['wall_s']:6.2f} s wall, {res['cpu_s']:6.2f} s cpu "
                                   f"(terrain {res['site_s']:.2f} s before), sha {res['sha'][:12]}")
    load = os.getloadavg()
    print(f"\ndelivery ({args.variant}, phase seed {setup['seed']}), medians of {args.rounds} rounds, "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} CPUs")
    print_table(runs)

if __name__ == "__main__":
    main()

"""Real-time factor of the lander's whole EDL in SIL: entry interface to surface idle.

Runs `sim.scenarios.landing` as `msr sil` does (flight software at 50 Hz with its EDL
components, EDL plant on a 50 Hz grid, simulated HAL devices with noise, in-memory
telemetry log) with the landing site's maps already built (`--cold` includes building them:
the site map, the regional albedo, the orbital map and the onboard hazard assessment), and
reports the factor for the flight and the share of wall time spent stepping the plant.
Goal (issue 22): >= 100x, the whole EDL in <= 5 s of wall time. `--profile` prints the top
of a cProfile of one run instead.

    .venv/bin/python bench/edl.py [--seed N] [--repeat K] [--cold] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import time

from sim.plants.edl import EdlPlant
from sim.scenarios import landing


def timed_run(seed: int) -> tuple[dict, float, float, float]:
    """One run; returns (summary, wall s, CPU s of this process, wall s inside the plant's
    advance_to). On a shared machine the CPU time is the fairer figure."""
    plant_ns = [0]
    original = EdlPlant.advance_to

    def timed(self, t_ns):
        t0 = time.perf_counter_ns()
        original(self, t_ns)
        plant_ns[0] += time.perf_counter_ns() - t0
    EdlPlant.advance_to = timed
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        s = landing.run(seed=seed, out_dir=None, overrides={"terrain_seed": 1})
        return s, time.perf_counter() - w0, time.process_time() - c0, plant_ns[0] / 1e9
    finally:
        EdlPlant.advance_to = original


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="include building the site's maps in every run")
    ap.add_argument("--profile", action="store_true", help="cProfile one run, print the top 30")
    args = ap.parse_args()
    cfg, _ = landing.settings({"terrain_seed": 1})
    if not args.cold:
        w0 = time.perf_counter()
        landing.landing_world(cfg)
        landing.site_safety(cfg)
        print(f"site maps built once: {time.perf_counter() - w0:.2f} s wall")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        landing.run(seed=args.seed, out_dir=None, overrides={"terrain_seed": 1})
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    walls, cpus = [], []
    for k in range(args.repeat):
        if args.cold:
            landing._TERRAIN.clear()
            landing._WORLD.clear()
            landing._ORBITAL.clear()
            landing._SAFETY.clear()
        s, wall, cpu, plant = timed_run(args.seed)
        e = s["edl"]
        sim_s = e.get("entry_to_touchdown_s") or s["sim_time_s"]
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {k + 1}: success={s['success']}, entry to touchdown {sim_s:.0f} s simulated "
              f"({s['sim_time_s']:.0f} s to surface idle) in {wall:.2f} s wall, {cpu:.2f} s CPU")
        print(f"  real-time factor {s['sim_time_s'] / wall:.0f}x wall, {s['sim_time_s'] / cpu:.0f}x CPU "
              f"(goal >= 100x, <= 5 s); plant stepping {plant:.2f} s ({100 * plant / wall:.0f} % of wall)")
    if args.repeat > 1:
        print(f"median of {args.repeat}: {statistics.median(walls):.2f} s wall, {statistics.median(cpus):.2f} s CPU")


if __name__ == "__main__":
    main()

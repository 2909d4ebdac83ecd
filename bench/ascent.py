"""Real-time factor of a full MAV ascent in SIL (simulated seconds per wall second).

Runs `sim.scenarios.ascent` as `msr sil` does (flight software at 50 Hz with its 1 Hz quiet
coast, ascent plant on a 50 Hz grid, thermal plant, simulated HAL devices with noise,
in-memory telemetry log) and reports the factor for the whole run and for the flight
(launch to OS release), and the share of wall time spent stepping the plants, so a slow run
says whether the flight software or the physics is the bottleneck. Goal: >= 1000x.
`--profile` prints the top of a cProfile of one run instead.

    .venv/bin/python bench/ascent.py [--seed N] [--repeat K] [--profile]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from sim.plants import AscentPlant, ThermalPlant
from sim.scenarios import ascent


def timed_run(seed: int) -> tuple[dict, float, float, float]:
    """One run; returns (summary, wall s, CPU s of this process, wall s inside the plants'
    advance_to). On a shared machine the CPU time is the fairer figure."""
    plant_ns = [0]
    originals = {}
    for cls in (AscentPlant, ThermalPlant):
        originals[cls] = cls.advance_to

        def timed(self, t_ns, _orig=originals[cls]):
            t0 = time.perf_counter_ns()
            _orig(self, t_ns)
            plant_ns[0] += time.perf_counter_ns() - t0
        cls.advance_to = timed
    try:
        w0, c0 = time.perf_counter(), time.process_time()
        s = ascent.run(seed=seed, out_dir=None, overrides={})
        return s, time.perf_counter() - w0, time.process_time() - c0, plant_ns[0] / 1e9
    finally:
        for cls, fn in originals.items():
            cls.advance_to = fn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="cProfile one run, print the top 30")
    args = ap.parse_args()
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        ascent.run(seed=args.seed, out_dir=None, overrides={})
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    for k in range(args.repeat):
        s, wall, cpu, plant = timed_run(args.seed)
        total, flight = s["sim_time_s"], s["flight_time_s"]
        print(f"run {k + 1}: success={s['success']} orbit {s.get('periapsis_km')} x {s.get('apoapsis_km')} km,"
              f" i = {s.get('inclination_deg')} deg")
        print(f"  simulated {total:.0f} s (flight {flight:.0f} s) in {wall:.2f} s wall, {cpu:.2f} s CPU;"
              f" ticks {s['ticks_by_rate_set']}")
        print(f"  real-time factor: whole run {total / wall:.0f}x wall, {total / cpu:.0f}x CPU;"
              f" flight {flight / wall:.0f}x wall (goal 1000x)")
        print(f"  plant stepping {plant:.2f} s ({100 * plant / wall:.0f} % of wall),"
              f" flight software + HAL + executive + log {wall - plant:.2f} s")


if __name__ == "__main__":
    main()

"""Real-time factor of a full MAV ascent in SIL (simulated seconds per wall second).

Runs `sim.scenarios.ascent` as `msr sil` does (flight software at 50 Hz with its 1 Hz quiet
coast and its fault protection, ascent plant on a 50 Hz grid, thermal plant, simulated HAL
devices with noise, in-memory telemetry log) and reports the factor for the whole run and
for the flight (launch to OS release), and the share of wall time spent stepping the plants,
so a slow run says whether the flight software or the physics is the bottleneck. Goal:
>= 1000x. `--profile` prints the top of a cProfile of one run instead.

`--compare` interleaves, K times each: this tree with protection (as every flight flies),
this tree with `--no-protection`, and optionally the same benchmark of another checkout
(`--baseline DIR`, run with DIR/.venv/bin/python), then prints the medians: on a shared
machine only an interleaved comparison means anything, and the CPU-time factor is the
fairer figure.

    .venv/bin/python bench/ascent.py [--seed N] [--repeat K] [--profile] [--no-protection]
    .venv/bin/python bench/ascent.py --compare --repeat 5 [--baseline /work/wt/base]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from sim.deployment import run_scenario
from sim.plants import AscentPlant, ThermalPlant


def timed_run(seed: int, protection: bool = True) -> tuple[dict, float, float, float]:
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
        s = run_scenario("ascent", seed=seed, out_dir=None, overrides={}, protection=protection)
        return s, time.perf_counter() - w0, time.process_time() - c0, plant_ns[0] / 1e9
    finally:
        for cls, fn in originals.items():
            cls.advance_to = fn


FACTOR = re.compile(r"whole run (\d+)x wall, (\d+)x CPU")


def baseline_run(tree: Path, seed: int) -> tuple[float, float]:
    """(wall factor, CPU factor) of one run of `tree`'s own bench/ascent.py."""
    out = subprocess.run([str(tree / ".venv/bin/python"), str(tree / "bench/ascent.py"), "--seed", str(seed)],
                         cwd=tree, capture_output=True, text=True, check=True).stdout
    m = FACTOR.search(out)
    if m is None:
        raise RuntimeError(f"{tree}: no real-time factor in its output:\n{out}")
    return float(m.group(1)), float(m.group(2))


def compare(seed: int, repeat: int, baseline: Path | None) -> None:
    rows: dict[str, list[tuple[float, float]]] = {"protection on": [], "protection off": []}
    if baseline is not None:
        rows[f"baseline {baseline}"] = []
    for k in range(repeat):
        for label in rows:
            if label.startswith("baseline"):
                rows[label].append(baseline_run(baseline, seed))
            else:
                s, wall, cpu, _ = timed_run(seed, protection=label == "protection on")
                rows[label].append((s["sim_time_s"] / wall, s["sim_time_s"] / cpu))
                if label == "protection on":
                    p = s["protection"]
                    print(f"run {k + 1}: protection trips {p['trips']}, step faults {p['step_faults']}, "
                          f"checkpoints {p['checkpoints']}", flush=True)
    print(f"median of {repeat} interleaved runs (seed {seed}), whole-run real-time factor:")
    for label, values in rows.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        print(f"  {label:<40s} {wall:7.0f}x wall  {cpu:7.0f}x CPU   (CPU runs: {', '.join(f'{v[1]:.0f}' for v in values)})")
    on = rows["protection on"]
    for label, values in rows.items():   # run by run, so a load change hits both sides alike
        if label != "protection on":
            ratios = [a[1] / b[1] for a, b in zip(on, values)]
            print(f"  protection on / {label}: median CPU-factor ratio {statistics.median(ratios):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--profile", action="store_true", help="cProfile one run, print the top 30")
    ap.add_argument("--no-protection", action="store_true", help="fly without fault protection")
    ap.add_argument("--compare", action="store_true",
                    help="interleave protection on/off (and --baseline) runs, print medians")
    ap.add_argument("--baseline", type=Path, default=None, help="another checkout to compare with")
    args = ap.parse_args()
    protection = not args.no_protection
    if args.compare:
        compare(args.seed, args.repeat, args.baseline)
        return
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        run_scenario("ascent", seed=args.seed, out_dir=None, overrides={}, protection=protection)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        return
    for k in range(args.repeat):
        s, wall, cpu, plant = timed_run(args.seed, protection)
        total, flight = s["sim_time_s"], s["flight_time_s"]
        print(f"run {k + 1}: success={s['success']} orbit {s.get('periapsis_km')} x {s.get('apoapsis_km')} km,"
              f" i = {s.get('inclination_deg')} deg; protection installed: {s['protection']['installed']}")
        print(f"  simulated {total:.0f} s (flight {flight:.0f} s) in {wall:.2f} s wall, {cpu:.2f} s CPU;"
              f" ticks {s['ticks_by_rate_set']}")
        print(f"  real-time factor: whole run {total / wall:.0f}x wall, {total / cpu:.0f}x CPU;"
              f" flight {flight / wall:.0f}x wall (goal 1000x)")
        print(f"  plant stepping {plant:.2f} s ({100 * plant / wall:.0f} % of wall),"
              f" flight software + HAL + executive + log {wall - plant:.2f} s")


if __name__ == "__main__":
    sys.exit(main())

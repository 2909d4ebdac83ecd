"""Real-time factor of a full MAV ascent in SIL (simulated seconds per wall second).

Runs `sim.scenarios.ascent` (flight software at 50 Hz, ascent plant at 100 Hz, thermal plant,
simulated HAL devices with noise) and reports the factor for the flight (launch to OS
release) and the share of wall time spent stepping the plants, so a slow run says whether
the flight software or the physics is the bottleneck. Goal: >= 1000x.

    .venv/bin/python bench/ascent.py [--seed N] [--repeat K]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sim.plants import AscentPlant, ThermalPlant
from sim.scenarios import ascent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
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
        for k in range(args.repeat):
            plant_ns[0] = 0
            with tempfile.TemporaryDirectory() as tmp:
                w0 = time.perf_counter()
                s = ascent.run(seed=args.seed, out_dir=Path(tmp), overrides={})
                wall = time.perf_counter() - w0
            flight = s["flight_time_s"]
            total = s["sim_time_s"]
            print(f"run {k + 1}: success={s['success']} orbit {s.get('periapsis_km')} x {s.get('apoapsis_km')} km")
            print(f"  simulated {total:.0f} s (flight {flight:.0f} s) in {wall:.2f} s wall")
            print(f"  real-time factor: whole run {total / wall:.0f}x, flight {s['realtime_factor_flight']}x"
                  f" (goal 1000x)")
            print(f"  plant stepping {plant_ns[0] / 1e9:.2f} s ({100 * plant_ns[0] / 1e9 / wall:.0f} % of wall),"
                  f" flight software + HAL + executive {wall - plant_ns[0] / 1e9:.2f} s")
    finally:
        for cls, fn in originals.items():
            cls.advance_to = fn


if __name__ == "__main__":
    main()

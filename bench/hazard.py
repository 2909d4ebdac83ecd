"""Time the landing-site safety assessment on a realistic map (goal: 4096 x 4096 at 0.5 m < 3 s),
and the rover's planning on its 400 m local map.

Usage: .venv/bin/python bench/hazard.py [N_CELLS] [REPEATS]
Prints the terrain generation time (not part of the goal), then each stage of the flight
code's assessment, the best-of-REPEATS total, the safe fraction and the ratio to the goal;
then the rover's cost map, its clearance map (once per map) and a 100 m bounded plan.
"""
from __future__ import annotations

import sys
import time

from fsw.gnc import hazard
from fsw.gnc.path_planner import ErrorBound, RoverHazardLimits, build_cost_map, plan_bounded
from sim.terrain import TerrainParams, generate

GOAL_S = 3.0


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 4096
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    t0 = time.perf_counter()
    terrain = generate(TerrainParams(n_cells=n, resolution_m=0.5), seed=1)
    rocks = terrain.max_rock_m
    t_gen = time.perf_counter() - t0
    print(f"map {n} x {n} at 0.5 m ({n * n / 1e6:.1f} M pixels); terrain generation {t_gen:.2f} s")
    onboard = hazard.OnboardMap(terrain.height_m, rocks, terrain.dune_mask, 0.5)
    limits = hazard.HazardLimits()
    best = float("inf")
    for k in range(repeats):
        t0 = time.perf_counter()
        layers = hazard.hazard_layers(onboard, limits)
        t1 = time.perf_counter()
        safe = hazard.safe_map(layers, onboard.resolution_m, limits)
        t2 = time.perf_counter()
        total = t2 - t0
        best = min(best, total)
        print(f"  run {k + 1}: hazard layers {t1 - t0:.2f} s, 60 m disc test {t2 - t1:.2f} s, "
              f"total {total:.2f} s")
    print(f"safe fraction {safe.mean():.3f}; hazard fraction {layers.hazard.mean():.3f}")
    print(f"best total {best:.2f} s; goal {GOAL_S:.1f} s; ratio {best / GOAL_S:.2f} of goal")
    rover(onboard)


def rover(onboard: hazard.OnboardMap) -> None:
    """The fetch rover's planning figures on an 800 x 800 window (what the fetch scenario uses)."""
    local = onboard.window((0.0, 0.0), 400)
    t0 = time.perf_counter()
    cm = build_cost_map(local, RoverHazardLimits(), cell_m=1.0)
    t1 = time.perf_counter()
    _ = cm.clearance
    t2 = time.perf_counter()
    found = None
    for gx in (100.0, 90.0, 80.0, 70.0):          # the first free goal 70-100 m east
        found = plan_bounded(cm, (0.0, 0.0), (gx, 0.0), ErrorBound(0.3, 0.03))
        if found is not None:
            break
    t3 = time.perf_counter()
    what = "none found" if found is None else f"{len(found[0])} waypoints, end bound {found[1]:.2f} m"
    print(f"rover map {local.n} x {local.n}: cost map {t1 - t0:.3f} s, clearance map {t2 - t1:.3f} s, "
          f"bounded plan ~{gx:.0f} m {t3 - t2:.3f} s ({what}); blocked {cm.blocked.mean():.3f}")


if __name__ == "__main__":
    main()

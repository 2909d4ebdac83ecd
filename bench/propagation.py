"""Cost of the simulator's hot loops, in microseconds per physics step.

Headline: RK4 point-mass Mars orbit (343 km, 25 deg) propagated for one day at a 1 s step.
Goal <= 8 us/step on the 2-core project machine (Basilisk, C++, ~10 us/step for the same
work here). Also: J2, the vectorised batch path (per orbit-step, Monte Carlo sizes), and
one step of the ascent, descent, rover and rendezvous plants. Figures are the best of
`REPEATS` runs (the machine is shared, so the minimum is the least disturbed).
"""
from __future__ import annotations

import math
import os
import time

import numpy as np

from sim.ascent import AscentParams
from sim.mars import MARS
from sim.orbit import Elements, elements_to_state, propagate_batch, propagate_j2, propagate_two_body
from sim.plants import AscentPlant, DescentPlant, RendezvousPlant, RoverPlant
from sim.terrain import TerrainParams, generate

GOAL_US = 8.0
BASILISK_US = 10.0
REPEATS = 3
DAY_S = 86400


def best(fn, repeats: int = REPEATS) -> float:
    out = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t0)
    return out


def plant_step_us(plant, n_steps: int, setup=None) -> float:
    if setup:
        setup(plant)
    t0 = time.perf_counter()
    plant.advance_to(plant.now_ns() + n_steps * plant.step_ns)
    return (time.perf_counter() - t0) / n_steps * 1e6


def main() -> None:
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (figures scale with it)")
    s0 = elements_to_state(Elements(MARS.radius_eq_m + 343e3, 0.0, math.radians(25.0), 0.0, 0.0, 0.0))
    pm = best(lambda: propagate_two_body(s0, 1.0, DAY_S, MARS.gm_m3ps2)) / DAY_S * 1e6
    print(f"RK4 point-mass orbit, 1 day at 1 s: {pm:6.2f} us/step  "
          f"(goal {GOAL_US} us: {pm / GOAL_US:.2f}x of goal; Basilisk ~{BASILISK_US} us: {BASILISK_US / pm:.1f}x faster)")
    j2 = best(lambda: propagate_j2(s0, 1.0, DAY_S)) / DAY_S * 1e6
    print(f"RK4 point-mass + J2 orbit:           {j2:6.2f} us/step")
    for n in (1, 100, 10_000):
        states = np.tile(np.array(s0), (n, 1))
        steps = max(10, 20_000 // n)
        t = best(lambda: propagate_batch(states, 1.0, steps), 1)
        print(f"RK4 numpy batch of {n:6d} orbits:     {t / steps / n * 1e6:8.3f} us per orbit-step")

    terrain = generate(TerrainParams(n_cells=512), seed=1)

    def launch(p):
        p.actuate("launch_pyro", {"fire": 1})
        p.advance_to(p.now_ns() + 50 * p.step_ns)
        p.actuate("igniter1", {"arm": 1})
        p.actuate("igniter1", {"fire": 1})

    asc = plant_step_us(AscentPlant(AscentParams(tipoff_rate_radps=(0.0, 0.0, 0.0))), 2000, launch)
    print(f"AscentPlant (6-DOF, RK4, 100 Hz):    {asc:6.2f} us/step")
    des = plant_step_us(DescentPlant(terrain), 2000, lambda p: p.actuate("engine", {"throttle": 0.5}))
    print(f"DescentPlant (3-DOF, 200 Hz):        {des:6.2f} us/step")
    rov = plant_step_us(RoverPlant(terrain), 5000, lambda p: p.actuate("wheels", {"speed_mps": 0.07, "curvature_1pm": 0.05}))
    print(f"RoverPlant (driving, 50 Hz):         {rov:6.2f} us/step")
    ren = plant_step_us(RendezvousPlant(), 5000, lambda p: p.actuate("rcs", {"force_N": (0.0, 1.0, 0.0)}))
    print(f"RendezvousPlant (2 x J2 RK4, 50 Hz): {ren:6.2f} us/step")
    t0 = time.perf_counter()
    generate(TerrainParams(n_cells=4096), seed=1).max_rock_m
    print(f"terrain 4096 x 4096 at 0.5 m incl. rock raster: {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()

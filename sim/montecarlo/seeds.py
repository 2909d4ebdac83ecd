"""Per-run seeds from one master seed, so run k can be re-run alone with the same inputs.

    run k's seed sequence   SeedSequence(master, spawn_key=(k,))   (= SeedSequence(master).spawn(N)[k])
    run seed (an integer)   64 bits of that sequence's state: what `msr sil --seed` takes
    inputs                  Generator(PCG64(SeedSequence(run_seed, spawn_key=(0,))))
    scenario seed           63 bits of SeedSequence(run_seed, spawn_key=(1,))

Everything about run k follows from its run seed alone, and the run seed from (master, k):
no executor, worker count or scheduling order enters.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.montecarlo.dispersions import DispersionSet

_INPUTS, _SCENARIO = 0, 1


def run_seed(master_seed: int, k: int) -> int:
    """The integer seed of run k of a campaign (recorded, and the handle for reproducing it)."""
    words = np.random.SeedSequence(master_seed, spawn_key=(k,)).generate_state(2, np.uint32)
    return (int(words[0]) << 32 | int(words[1])) >> 1          # 63 bits: fits every int type


def scenario_seed(run_seed_: int) -> int:
    """The seed the scenario itself gets (its own noise: sensors, terrain draws...)."""
    words = np.random.SeedSequence(run_seed_, spawn_key=(_SCENARIO,)).generate_state(2, np.uint32)
    return (int(words[0]) << 32 | int(words[1])) >> 1


def inputs_rng(run_seed_: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(run_seed_, spawn_key=(_INPUTS,))))


@dataclass(frozen=True)
class RunPlan:
    """What run k is: its seeds and its dispersed overrides."""

    index: int
    run_seed: int
    scenario_seed: int
    inputs: dict[str, Any]


def plan_from_run_seed(dispersions: DispersionSet, seed: int, k: int = -1) -> RunPlan:
    return RunPlan(k, seed, scenario_seed(seed), dispersions.sample(inputs_rng(seed)))


def plan_run(dispersions: DispersionSet, master_seed: int, k: int) -> RunPlan:
    return plan_from_run_seed(dispersions, run_seed(master_seed, k), k)

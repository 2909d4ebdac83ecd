"""Per-run seeds: a function of (master, k) only, matching SeedSequence.spawn."""
import numpy as np

from sim.montecarlo import seeds
from sim.montecarlo.dispersions import parse


def test_run_seed_is_the_spawned_child_of_the_master():
    children = np.random.SeedSequence(42).spawn(10)
    for k, child in enumerate(children):
        words = child.generate_state(2, np.uint32)
        assert seeds.run_seed(42, k) == (int(words[0]) << 32 | int(words[1])) >> 1


def test_seeds_differ_between_runs_and_masters():
    a = [seeds.run_seed(1, k) for k in range(500)]
    assert len(set(a)) == 500
    assert set(a).isdisjoint(seeds.run_seed(2, k) for k in range(500))
    assert all(0 <= s < 2**63 for s in a)


def test_plan_follows_from_the_run_seed_alone(hop_dispersions):
    plan = seeds.plan_run(hop_dispersions, 7, 13)
    again = seeds.plan_from_run_seed(hop_dispersions, plan.run_seed, 13)
    assert plan == again
    assert plan.scenario_seed != plan.run_seed
    assert plan.inputs != seeds.plan_run(hop_dispersions, 7, 14).inputs


def test_run_k_does_not_depend_on_the_order_runs_are_planned(hop_dispersions):
    forward = [seeds.plan_run(hop_dispersions, 3, k) for k in range(20)]
    backward = [seeds.plan_run(hop_dispersions, 3, k) for k in reversed(range(20))][::-1]
    assert forward == backward

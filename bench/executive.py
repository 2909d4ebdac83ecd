"""Executive overhead per component step against a bare loop, and the cost of a mode trigger.

Goal (issue 2): at most 2 us of executive overhead per component step on a 2-core machine.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsw.core import Component, Executive, ModeTable, SimClock, T  # noqa: E402

N_COMPONENTS = 20
TICKS = 20_000


class Worker(Component):
    MODES = ModeTable(("A", "B"), "A", (T("flip", "A", "B"), T("flop", "B", "A")))

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.acc = 0.0

    def step(self, t_ns: int) -> None:
        self.acc += 1.0


def bare(components: list[Worker]) -> float:
    steps = [c.step for c in components]
    t0 = time.perf_counter_ns()
    for k in range(TICKS):
        t = k * 10_000_000
        for s in steps:
            s(t)
    return (time.perf_counter_ns() - t0) / (TICKS * len(steps))


def executive(components: list[Worker], groups: int) -> float:
    ex = Executive(SimClock(), 100)
    per = len(components) // groups
    for g in range(groups):
        ex.add_group(f"g{g}", 1, components[g * per:(g + 1) * per])
    t0 = time.perf_counter_ns()
    ex.run(ticks=TICKS)
    return (time.perf_counter_ns() - t0) / (TICKS * len(components))


def trigger_cost() -> float:
    w = Worker("w")
    w.events_out = lambda ev: None
    n = 20_000
    t0 = time.perf_counter_ns()
    for _ in range(n // 2):
        w.trigger("flip")
        w.trigger("flop")
    return (time.perf_counter_ns() - t0) / n


def best(fn, *args, repeats: int = 5) -> float:
    return min(fn(*args) for _ in range(repeats))


def main() -> None:
    comps = [Worker(f"w{i}") for i in range(N_COMPONENTS)]
    b = best(bare, comps)
    print(f"components={N_COMPONENTS} ticks={TICKS} (best of 5)")
    print(f"bare loop:                  {b / 1e3:8.3f} us per component step")
    for groups in (1, 4):
        e = best(executive, comps, groups)
        print(f"executive, {groups} rate group(s): {e / 1e3:8.3f} us per component step; "
              f"overhead {max(0.0, e - b) / 1e3:6.3f} us (goal <= 2 us), ratio {e / b:4.2f}x")
    costs = [trigger_cost() for _ in range(3)]
    print(f"mode trigger (transitions machine + event): {statistics.median(costs) / 1e3:7.2f} us per trigger")


if __name__ == "__main__":
    main()

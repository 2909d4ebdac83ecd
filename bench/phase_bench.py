"""What bench/landing.py, bench/delivery.py and bench/capture.py share: running one phase in a
fresh interpreter of a tree, interleaved rounds of several trees (`interleaved`: capture.py
so far), and their table (medians and minima against this tree, and whether every run wrote
the same telemetry bytes)."""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Callable


def interpreter(tree: Path) -> str:
    """The tree's own .venv interpreter if it has one, else this one."""
    own = tree / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


# Runs in the child interpreter: argv = tree, setup JSON ({"seed", "overrides"}), scratch
# directory; SCENARIO is filled in by `scenario_child`.
_SCENARIO_CHILD = r"""
import json, os, sys, time
tree, setup, scratch = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
sys.path.insert(0, tree)
import importlib
module = importlib.import_module("sim.scenarios.SCENARIO")
assert module.__file__.startswith(tree), (module.__file__, tree)
from sim.deployment import run_scenario
t0, c0 = time.perf_counter(), time.process_time()
s = run_scenario("SCENARIO", seed=setup["seed"], out_dir=scratch + "/run", overrides=setup["overrides"])
wall, cpu = time.perf_counter() - t0, time.process_time() - c0
truth = os.path.join(scratch, "run", "truth.npz")
truth_mb = os.path.getsize(truth) / 1e6 if os.path.exists(truth) else 0.0
print(json.dumps({"wall_s": wall, "cpu_s": cpu, "sim_s": s.get("sim_time_s"), "success": s.get("success"),
                  "sha": s["telemetry_sha256"], "truth_mb": truth_mb}))
"""


def scenario_child(scenario: str) -> str:
    """Child code (for `run_child`) flying the built-in `scenario` alone into its scratch
    directory: wall and CPU seconds, simulated seconds, success, telemetry sha, truth MB."""
    return _SCENARIO_CHILD.replace("SCENARIO", scenario)


def run_child(tree: Path, child: str, setup: dict, scratch: str, env: dict[str, str] | None = None) -> dict:
    """Run `child` (code taking argv tree, setup JSON, scratch) in `tree`'s interpreter, in
    `scratch`, without this process's PYTHONPATH; the JSON it prints last."""
    base = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([interpreter(tree), "-c", child, str(tree), json.dumps(setup), scratch],
                         check=True, capture_output=True, text=True, env={**base, **(env or {})}, cwd=scratch)
    return json.loads(out.stdout.strip().splitlines()[-1])


def interleaved(trees: dict[str, Path], rounds: int, run: Callable[[Path], dict],
                describe: Callable[[dict], str]) -> dict[str, list[dict]]:
    """`run(tree)` for every tree, `rounds` times, each round starting one tree further on
    (a machine whose speed drifts favours none); prints `describe(result)` after each run.
    Returns tree name -> its runs, for `print_table`."""
    runs: dict[str, list[dict]] = {k: [] for k in trees}
    for r in range(rounds):
        order = list(trees)[r % len(trees):] + list(trees)[:r % len(trees)]
        for name in order:
            res = run(trees[name])
            runs[name].append(res)
            print(f"round {r + 1} {name:>10}: {describe(res)}", flush=True)
    return runs


def print_table(runs: dict[str, list[dict]]) -> None:
    """`runs`: tree name -> its runs ({"wall_s", "cpu_s", "sim_s", "sha"}); "this" among them."""
    med = {k: {f: statistics.median(r[f] for r in v) for f in ("wall_s", "cpu_s")} for k, v in runs.items()}
    low = {k: {f: min(r[f] for r in v) for f in ("wall_s", "cpu_s")} for k, v in runs.items()}
    print(f"{'tree':>10} {'wall s':>8} {'cpu s':>8} {'x real':>8} {'wall vs this':>13} {'cpu vs this':>12}"
          f"   {'min wall':>8} {'min cpu':>8} {'min cpu vs this':>16}")
    for k, m in med.items():
        sim_s = runs[k][0]["sim_s"] or 0.0
        print(f"{k:>10} {m['wall_s']:8.2f} {m['cpu_s']:8.2f} {sim_s / m['wall_s']:7.0f}x "
              f"{m['wall_s'] / med['this']['wall_s']:12.2f}x {m['cpu_s'] / med['this']['cpu_s']:11.2f}x"
              f"   {low[k]['wall_s']:8.2f} {low[k]['cpu_s']:8.2f} {low[k]['cpu_s'] / low['this']['cpu_s']:15.2f}x")
    shas = {r["sha"] for v in runs.values() for r in v}
    print(f"telemetry: {'the same bytes in every run' if len(shas) == 1 else 'DIFFERENT bytes'} "
          f"(sha256 {' / '.join(sorted(s[:16] for s in shas))})")

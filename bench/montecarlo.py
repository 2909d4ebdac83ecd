"""Monte Carlo throughput: runs/s on a local pool of 1 and 2 workers, and Dask LocalCluster
overhead against the pool (same runs, same master seed; results checked identical).

    .venv/bin/python bench/montecarlo.py                       # hop scenario, ~20 ms runs
    .venv/bin/python bench/montecarlo.py --scenario ascent --runs 16

Goals (issue 10): speed-up 2 vs 1 worker >= 1.8x; Dask overhead < 10 %. The machine's cores
are shared, so figures are noisy: run it twice.
"""
from __future__ import annotations

import argparse
import statistics
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.montecarlo import dispersions  # noqa: E402
from sim.montecarlo.campaign import content, run_campaign  # noqa: E402
from sim.montecarlo.executors import DaskExecutor, PoolExecutor  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "dispersions"


def campaign(scenario, disp, runs, executor):
    return run_campaign(scenario, disp, runs=runs, master_seed=2026, executor=executor, plots=False)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="testbed")
    ap.add_argument("--runs", type=int, default=400)
    ap.add_argument("--dt", type=float, default=0.005, help="hop integration step (sets run cost)")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved rounds; medians are reported")
    args = ap.parse_args()
    disp = dispersions.load(EXAMPLES / f"{args.scenario}.toml")
    if args.scenario == "testbed":
        disp = disp.__class__(**{**disp.__dict__, "fixed": {**disp.fixed, "dt_s": args.dt}})
    print(f"scenario {args.scenario}, {args.runs} runs, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f} (other jobs share the cores)")
    results: dict[str, list[dict]] = {}
    # Executors interleaved, `--repeat` rounds, medians: the shared machine's speed drifts.
    for round_ in range(args.repeat):
        for name, make in (("pool x1", lambda: PoolExecutor(1)), ("pool x2", lambda: PoolExecutor(2)),
                           ("dask x2", lambda: DaskExecutor(2))):
            report = campaign(args.scenario, disp, args.runs, make())
            t = report["execution"]
            results.setdefault(name, []).append(report)
            print(f"  round {round_ + 1} {name}: {t['runs_per_s']:8.2f} runs/s over the batch "
                  f"({t['batch_wall_s']:.2f} s; + {t['startup_s']:.2f} s start-up), median run "
                  f"{1e3 * t['run_s']['p50']:.1f} ms, {t['chunks']} chunks, "
                  f"CPU utilisation {100 * t['cpu_utilisation']:.0f} %")
    rate = {k: statistics.median(r["execution"]["runs_per_s"] for r in rs) for k, rs in results.items()}
    util = {k: statistics.median(r["execution"]["cpu_utilisation"] for r in rs) for k, rs in results.items()}
    print(f"median of {args.repeat}: pool x1 {rate['pool x1']:.1f}, pool x2 {rate['pool x2']:.1f}, "
          f"dask x2 {rate['dask x2']:.1f} runs/s")
    print(f"speed-up pool 2 vs 1 worker: {rate['pool x2'] / rate['pool x1']:.2f}x (goal >= 1.8x); "
          f"scaled to full cores (runs/s / CPU utilisation): "
          f"{(rate['pool x2'] / util['pool x2']) / (rate['pool x1'] / util['pool x1']):.2f}x")
    print(f"Dask LocalCluster overhead vs pool x2: {100 * (rate['pool x2'] / rate['dask x2'] - 1):+.1f} % "
          f"(goal < 10 %); scaled to full cores: "
          f"{100 * ((rate['pool x2'] / util['pool x2']) / (rate['dask x2'] / util['dask x2']) - 1):+.1f} %")
    print(f"load average now {os.getloadavg()[0]:.1f}")
    reports = [r for rs in results.values() for r in rs]
    same = all(content(r) == content(reports[0]) for r in reports)
    print(f"montecarlo.json content identical across executors: {same}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()

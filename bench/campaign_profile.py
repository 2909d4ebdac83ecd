"""Where each campaign phase spends its time: one cProfile per phase, flown in order.

    .venv/bin/python bench/campaign_profile.py                 # seed 2030, top 15 per phase
    .venv/bin/python bench/campaign_profile.py --seed 1 --top 25 --sort cumulative
    .venv/bin/python bench/campaign_profile.py --tree /work/wt/base   # another checkout

The campaign runs in this process (`run_campaign`, in order) with every phase's flight
(`run_scenario`) under its own profiler; for each phase the table gives its wall and
profiled CPU time and the functions with the most own time (`tottime`), file:line shortened
to the project's paths. Profiling slows pure-Python code about 1.5-2x, evenly enough to say
what dominates; measure speed with bench/campaign.py.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2030)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--sort", default="tottime", choices=("tottime", "cumulative"))
    ap.add_argument("--tree", type=Path, default=Path(__file__).resolve().parents[1],
                    help="the checkout to profile (default: this one)")
    args = ap.parse_args()
    tree = str(args.tree.resolve())
    sys.path.insert(0, tree)
    from sim.campaign import runner
    assert runner.__file__.startswith(tree), (runner.__file__, tree)

    profiles: dict[str, tuple[cProfile.Profile, float]] = {}
    flown = runner.run_scenario

    def profiled(module, **kw):
        name = Path(str(kw["out_dir"])).name
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        try:
            return flown(module, **kw)
        finally:
            prof.disable()
            profiles[name] = (prof, time.perf_counter() - t0)
    runner.run_scenario = profiled
    with tempfile.TemporaryDirectory(prefix="profile-campaign-") as scratch:
        summary = runner.run_campaign(args.seed, Path(scratch) / "campaign").summary
    print(f"campaign seed {args.seed}: success {summary['success']}, sha {summary['telemetry_sha256'][:16]}")
    for name, (prof, wall) in profiles.items():
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        print(f"\n=== {name}: {wall:.2f} s wall under the profiler, {stats.total_tt:.2f} s profiled")
        stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
        lines = out.getvalue().splitlines()
        start = next((i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")), 0)
        print("\n".join(lines[start:]).rstrip())


if __name__ == "__main__":
    main()

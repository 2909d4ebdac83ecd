"""CPU time of drawing the campaign's plots: fixed margins (sim/report/plots.py `_margins`)
against matplotlib's `tight_layout`, interleaved in one process.

    .venv/bin/python bench/plots.py runs/campaign-1            # a campaign's run directory
    .venv/bin/python bench/plots.py --rounds 5                  # flies campaign seed 1 first

Each round draws every plot of the campaign once per layout (their order alternating between
rounds), into a scratch directory; the table gives the median CPU seconds per plot and in
all, and the ratio. matplotlib is imported (and one plot drawn) before timing. Why it
matters: the last plots (the delivery's traverse, the timeline) are drawn after the delivery
ends, and the process flying ahead draws the rest while the delivery still flies, so drawing
time is on the campaign's critical path (`msr run`, issue 23).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run_dir", nargs="?", type=Path, help="a campaign run directory (default: fly seed 1)")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    import matplotlib
    matplotlib.use("Agg")
    from sim.report import plots as P
    from sim.report.campaign_plots import PHASE_PLOTS, TIMELINE

    with tempfile.TemporaryDirectory(prefix="bench-plots-") as scratch:
        root = args.run_dir
        if root is None:
            from sim.campaign import run_campaign
            root = Path(scratch) / "campaign"
            print("flying campaign seed 1 ...", flush=True)
            run_campaign(1, root)
        summary = json.loads((root / "summary.json").read_text())
        jobs = [(name, fn, root / "phases" / phase) for phase, fns in PHASE_PLOTS.items() for fn, name in fns]
        jobs.append((TIMELINE, P.timeline, summary))
        fixed = P._margins

        def tight(fig, **_margins: float) -> None:
            fig.tight_layout()
        layouts = {"tight_layout": tight, "fixed margins": fixed}
        times: dict[str, dict[str, list[float]]] = {k: {name: [] for name, _, _ in jobs} for k in layouts}
        out = Path(scratch) / "png"
        out.mkdir()
        jobs[0][1](jobs[0][2], out / "warm.png")
        for r in range(args.rounds):
            order = list(layouts) if r % 2 == 0 else list(reversed(layouts))
            for layout in order:
                P._margins = layouts[layout]
                for name, fn, source in jobs:
                    c = time.process_time()
                    fn(source, out / name)
                    times[layout][name].append(time.process_time() - c)
        P._margins = fixed
    print(f"\nplots of {root}, median CPU s of {args.rounds} rounds")
    print(f"{'plot':30s} {'tight_layout':>13s} {'fixed':>8s} {'ratio':>6s}")
    total = {k: 0.0 for k in layouts}
    for name, _, _ in jobs:
        a, b = (statistics.median(times[k][name]) for k in layouts)
        total["tight_layout"] += a
        total["fixed margins"] += b
        print(f"{name:30s} {a:13.3f} {b:8.3f} {a / b:6.2f}")
    a, b = total["tight_layout"], total["fixed margins"]
    print(f"{'all':30s} {a:13.3f} {b:8.3f} {a / b:6.2f}")


if __name__ == "__main__":
    main()

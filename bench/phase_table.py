"""The results table bench/landing.py and bench/delivery.py print: one phase flown by several
trees in interleaved rounds, medians and minima against this tree, and whether every run
wrote the same telemetry bytes."""
from __future__ import annotations

import statistics


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

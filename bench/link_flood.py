"""Flood of the live link, before/after: valid commands executed %, cycle slips, junk
datagrams processed per second, datagrams sent back to the attacker.

Loopback only, bounded: each run starts a `msr gds serve` of one checkout, floods it with
N junk datagrams (tests/link/flood.py: random bytes, CRC-valid forgeries, unknown key ids,
replays) while a ground socket sends valid commands at 50 Hz, then stops it. Runs of the
checkouts are interleaved and medians printed, because the machine is shared.

    .venv/bin/python bench/link_flood.py [--base /work/wt/base] [--repeats 3]
        [--junk 100000] [--rates 64000,0] [--priorities 0,50]

`--rates`: junk datagrams per second (0: as fast as the attacker can). `--priorities`: the
server's SCHED_FIFO priority (`chrt -f`; 0: normal scheduling, where the other jobs of a
shared machine take the loop's time). The 64,000/s flood is the one that loses 95 % of the
commands before the change, as the review found.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.link.flood import fifo_allowed, run_flood  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base", type=Path, default=Path("/work/wt/base"),
                    help="checkout to compare with (its .venv is used); '' for none")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--junk", type=int, default=100_000)
    ap.add_argument("--rates", default="64000,0")
    ap.add_argument("--priorities", default="0,50" if fifo_allowed() else "0")
    args = ap.parse_args()
    sides = {"after": (sys.executable, ROOT)}
    if str(args.base) and (args.base / ".venv/bin/python").exists():
        sides = {"before": (str(args.base / ".venv/bin/python"), args.base), **sides}
    cases = [(float(r), int(p)) for p in args.priorities.split(",") for r in args.rates.split(",")]
    for rate, prio in cases:
        runs: dict[str, list] = {k: [] for k in sides}
        sched = f"SCHED_FIFO {prio}" if prio else "SCHED_OTHER"
        for i in range(args.repeats):
            for name, (python, cwd) in sides.items():
                r = run_flood(args.junk, rate=rate, python=python, cwd=cwd, seed=i + 1,
                              priority=prio)
                runs[name].append(r)
                print(f"{sched} rate {rate or 'max':>7} {name:<6} run {i + 1}: {r.line()}",
                      flush=True)
        print(f"\n{args.junk} junk datagrams at {'full speed' if not rate else f'{rate:,.0f}/s'}"
              f", server {sched} (medians of {args.repeats}):")
        print("| checkout | valid executed % | slips | junk processed/s | sent to attacker |")
        print("|---|---|---|---|---|")
        for name, rs in runs.items():
            print(f"| {name} | {statistics.median(r.executed_pct for r in rs):.1f} "
                  f"| {statistics.median(r.slips for r in rs):.0f} "
                  f"| {statistics.median(r.junk_per_s for r in rs):,.0f} "
                  f"| {statistics.median(r.got_back for r in rs):.0f} |")
        print()


if __name__ == "__main__":
    main()

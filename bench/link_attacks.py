"""The attack table of the command path: input class, tried, rejected cleanly, crashed,
data lost (tests/link/attacks.py at a larger scale than the test suite runs it).

    .venv/bin/python bench/link_attacks.py [--scale 20000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.link.attacks import run_all  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=20_000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = run_all(args.scale)
    print("| input class | tried | rejected cleanly | crashed | data lost |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(r.line())
    print(f"\n{sum(r.tried for r in rows):,} inputs in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()

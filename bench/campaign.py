"""Wall time of the default campaign and of each phase, and each phase's real-time factor.

Goal (issue 8): the default campaign in under 60 s of wall time on a 2-core machine.
"""
from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.campaign import run_campaign  # noqa: E402


def main() -> None:
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 2030
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        result = run_campaign(seed, Path(tmp) / "campaign")
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    s = result.summary
    print(f"campaign seed {seed}: {'success' if s['success'] else 'FAILED'}, load average {os.getloadavg()[0]:.1f}")
    print(f"{'phase':<10}{'sim s':>12}{'wall s':>10}{'real-time factor':>20}")
    for p in s["phases"]:
        rtf = p["sim_time_s"] / p["wall_time_s"] if p["wall_time_s"] else float("nan")
        print(f"{p['phase']:<10}{p['sim_time_s']:>12.1f}{p['wall_time_s']:>10.2f}{rtf:>19.0f}x")
    print(f"{'campaign':<10}{'':>12}{wall:>10.2f}   (cpu {cpu:.2f} s; goal < 60 s wall)")


if __name__ == "__main__":
    main()

"""HIL timing bench: the fixed-step loop at 1 kHz with the MAV guidance workload, beside
cyclictest under the same settings. Prints latency, slips, drift and the p99 gap.

    .venv/bin/python bench/timing.py [DURATION_S] [RATE_HZ]     (default 60 s at 1000 Hz)

Figures land in runs/timing/ (timing.json, latency_hist.png). Noisy on a shared machine.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hil.bench import RealtimeSettings  # noqa: E402
from hil.timing import summary_lines, timing_run  # noqa: E402


def main() -> None:
    duration = float(sys.argv[1]) if len(sys.argv) > 1 else 60.0
    rate = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    cpu = sorted(os.sched_getaffinity(0))[-1]
    out = Path("runs/timing")
    result = timing_run(rate, duration, out, overrun_every=5 * rate,
                        settings=RealtimeSettings(priority=80, cpus=(cpu,)))
    for line in summary_lines(result):
        print(line)
    goal = result.p99_gap_us is not None and result.p99_gap_us < 100.0
    print(f"goal p99 within 100 us of cyclictest: {'met' if goal else 'NOT met or no cyclictest'}; "
          f"every injected overrun counted: {result.injected_counted == result.injected_overruns}")
    print(f"files: {out}/timing.json {out}/latency_hist.png")


if __name__ == "__main__":
    main()

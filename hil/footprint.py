"""Footprint of the flight process on its board: what a small board must have room for.

- peak RSS (VmHWM: under qemu-user this is the emulator's, translation cache included);
- time from process start (the kernel's `starttime` in /proc/self/stat, 10 ms resolution)
  to the first tick, split at `mark()`ed points (imports done, flight software built);
- CPU time (`CLOCK_THREAD_CPUTIME_ID`) per tick of each rate group, and of the whole tick
  (from the clock's wake-up to the next sleep: bus delivery, logs and the stop checks
  included; a lockstep clock step is not), as median, p99 and max.

Probes wrap each group's step list (a first and a last step) and the executive's clock, so
the executive is unchanged; the per-tick samples go into fixed-size log histograms (1/16
octave, ~4% resolution), so memory does not grow with the length of a run. None of this
enters the deterministic telemetry stream.
"""
from __future__ import annotations

import math
import os
import resource
import sys
import time
from typing import Any

SUB = 16   # histogram buckets per octave


def _boottime_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_BOOTTIME)


def process_start_ns() -> int | None:
    """This process's start on the CLOCK_BOOTTIME scale (None where /proc cannot tell)."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])   # field 22 of stat(5): starttime, clock ticks since boot
    except (OSError, IndexError, ValueError):
        return None
    if ticks <= 0:
        return None
    return ticks * 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    """This program's peak resident memory: VmHWM of /proc/self/status, which starts afresh
    at exec. `getrusage`'s ru_maxrss does not: Linux carries the high-water mark of the
    process that forked it across exec, so a flight side started by a big parent (a test
    that had just generated terrain) reported the parent's 380 MB as its own."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


class Histogram:
    """Non-negative integer samples in log buckets: exact count and max, quantiles to ~4%."""

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.max = 0

    @staticmethod
    def _index(x: int) -> int:
        bl = x.bit_length()
        if bl <= 5:
            return x
        return (bl << 4) | ((x >> (bl - 5)) & (SUB - 1))

    @staticmethod
    def _upper(i: int) -> int:
        """Largest value of bucket i."""
        if i < 32:
            return i
        bl, sub = i >> 4, i & (SUB - 1)
        return ((SUB + sub + 1) << (bl - 5)) - 1

    def add(self, x: int) -> None:
        i = self._index(x)
        self.buckets[i] = self.buckets.get(i, 0) + 1
        self.count += 1
        if x > self.max:
            self.max = x

    def quantile(self, q: float) -> int:
        """The upper edge of the bucket holding the q-quantile (never above max)."""
        if not self.count:
            return 0
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for i in sorted(self.buckets):
            seen += self.buckets[i]
            if seen >= rank:
                return min(self._upper(i), self.max)
        return self.max

    def summary_us(self) -> dict[str, float]:
        return {"ticks": self.count, "median_us": round(self.quantile(0.5) / 1e3, 1),
                "p99_us": round(self.quantile(0.99) / 1e3, 1), "max_us": round(self.max / 1e3, 1)}


class _MeasuredClock:
    """The executive's clock with the CPU time between its wake-up and the next sleep taken."""

    def __init__(self, clock: Any, footprint: "Footprint") -> None:
        self.clock = clock
        self._fp = footprint
        self._t0: int | None = None

    def now_ns(self) -> int:
        return self.clock.now_ns()

    def sleep_until(self, deadline_ns: int) -> int:
        cpu = time.thread_time_ns
        if self._t0 is not None:
            self._fp.tick.add(cpu() - self._t0)
        late = self.clock.sleep_until(deadline_ns)
        self._t0 = cpu()
        return late

    def __getattr__(self, name: str) -> Any:   # advances, absolute, ... of the wrapped clock
        return getattr(self.clock, name)


class Footprint:
    def __init__(self) -> None:
        self.start_ns = process_start_ns()
        self.marks: dict[str, int] = {}
        self.groups: dict[str, Histogram] = {}
        self.tick = Histogram()
        self._t0 = 0   # CPU time at the start of the group being run

    def mark(self, name: str) -> None:
        """Note when the process got to `name` (first time only)."""
        self.marks.setdefault(name, _boottime_ns())

    def instrument(self, executive: Any) -> None:
        """Probe every rate group of every rate set, and the tick as a whole."""
        for rs_name, rs in executive.rate_sets.items():
            for group in rs.groups:
                key = group.name if rs_name == "nominal" else f"{rs_name}.{group.name}"
                hist = self.groups.setdefault(key, Histogram())
                group.steps[:] = [self._opener(), *group.steps, self._closer(hist)]
        executive.clock = _MeasuredClock(executive.clock, self)

    def _opener(self):
        def first(_t_ns: int) -> None:
            if "first_tick" not in self.marks:
                self.mark("first_tick")
            self._t0 = time.thread_time_ns()
        first.__name__ = "footprint-probe"
        return first

    def _closer(self, hist: Histogram):
        def last(_t_ns: int) -> None:
            hist.add(time.thread_time_ns() - self._t0)
        last.__name__ = "footprint-probe"
        return last

    def report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"peak_rss_mb": round(peak_rss_mb(), 1)}
        if self.start_ns is not None:
            out["from_start_s"] = {k: round((v - self.start_ns) / 1e9, 3) for k, v in self.marks.items()}
        else:
            out["from_start_s"] = None
            out["note"] = "process start time unknown (/proc/self/stat)"
        out["start_to_first_tick_s"] = (out["from_start_s"] or {}).get("first_tick")
        out["cpu_per_tick"] = {"tick": self.tick.summary_us(),
                               **{k: h.summary_us() for k, h in sorted(self.groups.items()) if h.count}}
        return out


def summary_lines(fp: dict[str, Any]) -> list[str]:
    """What `msr hil run` prints."""
    starts = fp.get("from_start_s") or {}
    lines = [f"footprint: peak RSS {fp['peak_rss_mb']:.1f} MB; to first tick "
             + (f"{fp['start_to_first_tick_s']:.3f} s" if fp.get("start_to_first_tick_s") is not None else "unknown")
             + (" (" + ", ".join(f"{k} {v:.3f} s" for k, v in starts.items() if k != "first_tick") + ")"
                if len(starts) > 1 else "")]
    lines.append("  CPU per tick (us)    ticks   median      p99      max")
    for name, s in fp["cpu_per_tick"].items():
        lines.append(f"  {name:18s} {s['ticks']:7d} {s['median_us']:8.1f} {s['p99_us']:8.1f} {s['max_us']:8.1f}")
    return lines


__all__ = ["Footprint", "Histogram", "peak_rss_mb", "process_start_ns", "summary_lines"]

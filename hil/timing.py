"""Timing runs: the executive's fixed-step loop on the Linux clock with the MAV guidance
workload, wake-up latency measured on every tick, and cyclictest beside it for scale.

Latency is the actual wake-up (time.monotonic_ns() right after `sleep_until`) minus the
deadline. Drift is (last wake-up - first wake-up) - (last deadline - first deadline): with
absolute deadlines it stays within one wake-up latency however long the run. Overruns can
be injected (chosen ticks busy-wait 1.5 periods); each must show up as one executive slip.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from fsw.core import Executive
from fsw.core.clock import LinuxClock
from fsw.core.time import NS_PER_S, period_ns
from fsw.gnc.ascent_guidance import AscentTarget, StageModel, Stage1Solver, pitch_program
from hil.bench import RealtimeSettings
from hil.rt import realtime

G0 = 9.80665
MARS_GM = 4.282837e13
MARS_R = 3396.2e3
PITCH_TABLE = ((0.0, 90.0), (10.0, 80.0), (30.0, 55.0), (60.0, 30.0))


class MeasuredClock:
    """LinuxClock that records every deadline and the wake-up right after it."""

    def __init__(self, capacity: int) -> None:
        self.inner = LinuxClock()
        self.deadlines = np.zeros(capacity, dtype=np.int64)
        self.wakes = np.zeros(capacity, dtype=np.int64)
        self.n = 0

    def now_ns(self) -> int:
        return time.monotonic_ns()

    def sleep_until(self, deadline_ns: int) -> int:
        self.inner.sleep_until(deadline_ns)
        t = time.monotonic_ns()
        i = self.n
        if i < len(self.wakes):
            self.deadlines[i] = deadline_ns
            self.wakes[i] = t
            self.n = i + 1
        return max(0, t - deadline_ns)


class GuidanceWorkload:
    """One tick of MAV stage-1 guidance: pitch program and steering, plus one evaluation of
    the linear-tangent predictor (the Newton solve spread over ticks, one residual a tick)."""

    def __init__(self) -> None:
        s1 = StageModel(285.0 * G0, 55.0, 400.0, 195.0)
        s2 = StageModel(295.0 * G0, 35.0, 160.0, 85.0)
        self.solver = Stage1Solver(AscentTarget(MARS_R + 343e3, math.radians(25.0), MARS_GM), s1, s2.delta_v)
        self.r = (MARS_R + 20e3, 0.0, 0.0)
        self.v = (400.0, 900.0, 300.0)
        self.sol = self.solver.solve(30.0, self.r, self.v, 30.0, iterations=1)
        self.x = [self.sol.a, self.sol.b, self.sol.c]
        self.k = 0
        self.last_residual: list[float] = []

    def __call__(self, t_ns: int) -> None:
        self.k += 1
        tau = (self.k % 1000) * 1e-3
        pitch_program(30.0 + tau, PITCH_TABLE)
        self.sol.direction(tau)
        x = list(self.x)
        x[self.k % 3] += 1e-4 * ((self.k % 7) - 3)
        self.last_residual = self.solver.residual_at(self.r, self.v, 30.0 + tau, 1.0, self.sol.frame, x)


@dataclass
class TimingResult:
    rate_hz: int
    duration_s: float
    ticks: int
    latency_us: dict[str, float]
    slips: int
    ticks_skipped: int
    injected_overruns: int
    injected_counted: int          # injected overruns that the executive counted as slips
    natural_slips: int
    drift_us: float
    workload_us: dict[str, float]
    rt: dict[str, Any] = field(default_factory=dict)
    cyclictest: dict[str, Any] | None = None
    p99_gap_us: float | None = None  # our p99 - cyclictest p99

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentiles_us(lat_ns: np.ndarray) -> dict[str, float]:
    if len(lat_ns) == 0:
        return {"median": math.nan, "p99": math.nan, "max": math.nan, "min": math.nan, "mean": math.nan}
    us = lat_ns / 1e3
    return {"min": float(us.min()), "median": float(np.median(us)), "mean": float(us.mean()),
            "p99": float(np.percentile(us, 99)), "max": float(us.max())}


def run_loop(rate_hz: int, duration_s: float, *, overrun_every: int = 0,
             workload: Callable[[int], None] | None = None, rt_settings: RealtimeSettings | None = None
             ) -> tuple[TimingResult, np.ndarray]:
    """Run the executive at `rate_hz` for `duration_s`; returns the result and latencies (ns)."""
    period = period_ns(rate_hz)
    n_ticks = int(round(duration_s * rate_hz))
    clock = MeasuredClock(n_ticks + 2)
    work = workload or GuidanceWorkload()
    exec_ns: list[int] = []
    injected: list[int] = []
    ex: Executive | None = None

    def guidance(t_ns: int) -> None:
        t0 = time.perf_counter_ns()
        work(t_ns)
        exec_ns.append(time.perf_counter_ns() - t0)

    runs = [0]
    counted: list[int] = []
    pending: list[int] = []      # slips before the last injected overrun's tick

    def settle() -> None:
        """Did the executive count the last injected overrun as a slip (at the end of its tick)?"""
        if pending and ex.slips > pending.pop():
            counted.append(injected[-1])

    def overrun(t_ns: int) -> None:
        settle()
        # every N-th tick that *runs* (not grid index k: on a loaded machine tick k may be skipped)
        runs[0] += 1
        if overrun_every and runs[0] % overrun_every == overrun_every // 2:
            injected.append(int((t_ns - ex.start_ns) // period))
            pending.append(ex.slips)
            end = t_ns + period + period // 2
            while time.monotonic_ns() < end:
                pass

    rt_report: dict[str, Any] = {}
    settings = rt_settings or RealtimeSettings()
    with realtime(settings) as report:
        ex = Executive(clock, rate_hz)
        ex.add_group("guidance", 1, [guidance, overrun])
        for _ in range(50):  # warm up caches and the predictor off the clock
            work(0)
        ex.start_ns = clock.now_ns() + 2 * period
        ex.run(until_ns=ex.start_ns + (n_ticks - 1) * period)
        settle()
        rt_report = report.as_dict()
    n = clock.n
    d, w = clock.deadlines[:n], clock.wakes[:n]
    lat = w - d
    drift_ns = int((w[-1] - w[0]) - (d[-1] - d[0])) if n > 1 else 0
    ex_arr = np.asarray(exec_ns, dtype=np.int64)
    result = TimingResult(
        rate_hz=rate_hz, duration_s=duration_s, ticks=n, latency_us=percentiles_us(lat),
        slips=ex.slips, ticks_skipped=ex.ticks_skipped, injected_overruns=len(injected),
        injected_counted=len(counted), natural_slips=ex.slips - len(counted), drift_us=drift_ns / 1e3,
        workload_us={k: v for k, v in percentiles_us(ex_arr).items() if k != "min"}, rt=rt_report)
    return result, lat


# ---------------------------------------------------------------- cyclictest
def cyclictest_available() -> str | None:
    return shutil.which("cyclictest")


def run_cyclictest(rate_hz: int, duration_s: float, settings: RealtimeSettings, *,
                   fifo: bool, timeout_s: float | None = None) -> dict[str, Any]:
    """cyclictest with the loop's settings (interval, priority, mlock, affinity), one thread."""
    exe = cyclictest_available()
    if exe is None:
        return {"available": False}
    interval_us = max(1, period_ns(rate_hz) // 1000)
    loops = max(1, int(round(duration_s * rate_hz)))
    with tempfile.TemporaryDirectory() as tmp:
        jpath = Path(tmp) / "ct.json"
        cmd = [exe, "-q", "-t", "1", "-i", str(interval_us), "-l", str(loops), "-h", "10000",
               f"--json={jpath}"]
        if settings.mlockall:
            cmd.append("-m")
        if fifo and settings.priority > 0:
            cmd += ["-p", str(settings.priority)]
        if settings.cpus:
            cmd += ["-a", ",".join(map(str, settings.cpus))]
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              timeout=timeout_s or duration_s * 3 + 30)
        if proc.returncode != 0 or not jpath.exists():
            return {"available": True, "ok": False, "cmd": " ".join(cmd),
                    "error": (proc.stderr or proc.stdout).strip()[-500:]}
        data = json.loads(jpath.read_text())
    thread = data["thread"]["0"]
    hist = {int(k): int(v) for k, v in thread.get("histogram", {}).items()}
    return {"available": True, "ok": True, "cmd": " ".join(cmd), "fifo": fifo and settings.priority > 0,
            "cycles": thread.get("cycles"), "latency_us": hist_percentiles(hist, thread.get("max"))}


def hist_percentiles(hist: dict[int, int], max_us: float | None = None) -> dict[str, float]:
    """Median/p99/max of a 1-us histogram (bucket -> count)."""
    total = sum(hist.values())
    if not total:
        return {"median": math.nan, "p99": math.nan, "max": math.nan}
    keys = sorted(hist)
    cum = np.cumsum([hist[k] for k in keys])

    def pct(p: float) -> float:
        return float(keys[int(np.searchsorted(cum, p * total))])
    return {"min": float(keys[0]), "median": pct(0.5), "p99": pct(0.99),
            "max": float(max_us if max_us is not None else keys[-1])}


# ---------------------------------------------------------------- report
def plot_histogram(lat_ns: np.ndarray, path: Path, title: str, ct: dict[str, Any] | None = None) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    us = lat_ns / 1e3
    fig, ax = plt.subplots(figsize=(7, 4))
    hi = max(1.0, float(np.percentile(us, 99.9)) * 1.5) if len(us) else 1.0
    ax.hist(np.clip(us, 0, hi), bins=100, log=True, color="tab:blue", label="executive loop")
    if ct and ct.get("ok"):
        for k, style in (("median", ":"), ("p99", "--")):
            ax.axvline(ct["latency_us"][k], color="tab:red", ls=style, label=f"cyclictest {k}")
    if len(us):
        ax.axvline(float(np.percentile(us, 99)), color="tab:blue", ls="--", label="loop p99")
    ax.set_xlabel(f"wake-up latency (us; above {hi:.0f} us clipped into the last bin)")
    ax.set_ylabel("ticks")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def timing_run(rate_hz: int, duration_s: float, out_dir: Path, *, overrun_every: int = 0,
               settings: RealtimeSettings | None = None, with_cyclictest: bool = True) -> TimingResult:
    """The whole `msr hil timing` run: loop, cyclictest (same settings), JSON and PNG."""
    settings = settings or RealtimeSettings()
    result, lat = run_loop(rate_hz, duration_s, overrun_every=overrun_every, rt_settings=settings)
    if with_cyclictest and cyclictest_available():
        fifo = result.rt.get("steps", {}).get("sched_fifo") == "ok"
        result.cyclictest = run_cyclictest(rate_hz, duration_s, settings, fifo=fifo)
        if result.cyclictest.get("ok"):
            result.p99_gap_us = result.latency_us["p99"] - result.cyclictest["latency_us"]["p99"]
    elif with_cyclictest:
        result.cyclictest = {"available": False}
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "timing.json").write_text(json.dumps(result.as_dict(), indent=2, sort_keys=True) + "\n")
    plot_histogram(lat, out_dir / "latency_hist.png",
                   f"{rate_hz} Hz, {duration_s:g} s, MAV guidance workload", result.cyclictest)
    return result


def summary_lines(r: TimingResult) -> list[str]:
    lat = r.latency_us
    lines = [f"loop {r.rate_hz} Hz x {r.ticks} ticks: latency median {lat['median']:.1f} us, "
             f"p99 {lat['p99']:.1f} us, max {lat['max']:.1f} us; drift {r.drift_us:.1f} us",
             f"workload median {r.workload_us['median']:.1f} us, p99 {r.workload_us['p99']:.1f} us",
             f"slips {r.slips} (injected {r.injected_overruns}, counted {r.injected_counted}, "
             f"natural {r.natural_slips}), ticks skipped {r.ticks_skipped}"]
    ct = r.cyclictest
    if ct is None:
        pass
    elif not ct.get("available"):
        lines.append("cyclictest: not installed (Debian rt-tests); loop figures only")
    elif not ct.get("ok"):
        lines.append(f"cyclictest failed: {ct.get('error')}")
    else:
        c = ct["latency_us"]
        lines.append(f"cyclictest ({'SCHED_FIFO' if ct['fifo'] else 'SCHED_OTHER'}): median {c['median']:.0f} us, "
                     f"p99 {c['p99']:.0f} us, max {c['max']:.0f} us; loop p99 - cyclictest p99 = "
                     f"{r.p99_gap_us:.1f} us")
    warn = r.rt.get("warning")
    if warn:
        lines.append("warning: " + warn)
    return lines


__all__ = ["GuidanceWorkload", "MeasuredClock", "TimingResult", "run_loop", "run_cyclictest",
           "hist_percentiles", "timing_run", "summary_lines", "cyclictest_available"]

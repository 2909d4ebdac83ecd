"""Footprint of the flight process: the histogram's quantiles, probes that change nothing the
flight writes, and the imports a board's MAV flight side is spared."""
import math
import subprocess
import sys
import time

from hypothesis import given, strategies as st

from fsw.core import SimClock
from hil.footprint import Footprint, Histogram, process_start_ns, summary_lines
from sim.deployment import Deployment, attach_log, fly, run_sil


@given(st.lists(st.integers(0, 10**10), min_size=1, max_size=300), st.sampled_from([0.0, 0.5, 0.9, 0.99, 1.0]))
def test_histogram_quantiles_are_within_one_sixteenth_above_the_true_ones(xs, q):
    h = Histogram()
    for x in xs:
        h.add(x)
    xs.sort()
    true = xs[max(1, math.ceil(q * len(xs))) - 1]
    got = h.quantile(q)
    assert h.count == len(xs) and h.max == xs[-1]
    assert true <= got <= min(xs[-1], true + true // 16)


def _demo(footprint=None):
    dep = Deployment("zone", 3)
    plant = dep.plant()
    devices = dep.sim_devices(plant)
    clock = SimClock(plant.now_ns())
    clock.attach(plant)
    topology, executive = dep.flight(devices, clock)
    log = attach_log(topology)
    if footprint is not None:
        footprint.instrument(executive)
    result = fly(topology, executive, dep.duration_s(), dep.done())
    return log.getvalue(), executive, result


def test_probes_change_nothing_the_flight_writes_and_count_every_group_run():
    fp = Footprint()
    fp.mark("flight_built")
    logged, executive, result = _demo(fp)
    assert logged == run_sil(Deployment("zone", 3)).log.getvalue()
    report = fp.report()
    runs = {k: v["runs"] for k, v in executive.stats().items() if not k.startswith("_")}
    cpu = report["cpu_per_tick"]
    assert {k: cpu[k]["ticks"] for k in runs} == runs
    assert cpu["tick"]["ticks"] == result.ticks - 1      # a tick is measured at the next sleep
    assert all(0 <= s["median_us"] <= s["p99_us"] <= s["max_us"] for s in cpu.values())
    assert not executive.step_faults
    s = report["from_start_s"]
    assert 0 <= s["flight_built"] <= s["first_tick"] and report["peak_rss_mb"] > 5
    assert any("CPU per tick" in line for line in summary_lines(report))


def test_process_start_is_this_process():
    start = process_start_ns()
    now = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    assert start is not None and 0 <= now - start < 24 * 3600 * 10**9


def test_the_mav_flight_side_loads_neither_numpy_nor_the_plants_nor_other_commands():
    code = ("import sys\n"
            "from msr.cli import cli\n"
            "cli.get_command(None, 'hil')\n"
            "import hil.runner, hil.footprint\n"
            "from hil.bench import load_bench\n"
            "from hal.config import build_devices\n"
            "b = load_bench('examples/benches/ascent-pty.toml')\n"
            "print(sorted(m for m in sys.modules if m == 'numpy' or m.startswith(('sim.plants', 'sim.terrain', "
            "'msr.commands', 'tqdm', 'matplotlib'))))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=__file__.rsplit("/tests/", 1)[0]).stdout
    assert out.strip() == "['msr.commands', 'msr.commands.hil']"


def test_peak_rss_is_the_programs_own_not_its_parents():
    """Linux carries ru_maxrss across exec from the forking process: a flight side started by a
    test that had grown to hundreds of MB must still report its own few tens."""
    parent = ("import subprocess, sys\n"
              "big = bytearray(200 << 20)\n"
              "big[::4096] = b'\\x01' * len(big[::4096])\n"
              "code = 'import resource; from hil.footprint import peak_rss_mb; "
              "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, peak_rss_mb())'\n"
              "print(subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout)\n")
    out = subprocess.run([sys.executable, "-c", parent], capture_output=True, text=True, check=True).stdout.split()
    inherited, own = int(out[0]), float(out[1])
    if sys.platform == "linux":
        assert inherited >= 200          # what getrusage says: the parent's
        assert 5 < own < 100             # the child's own VmHWM

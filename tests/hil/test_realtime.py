"""Real-time mode over a pty pair, and the real-time set-up that must leave the process as
it found it."""
import gc
import os

import pytest

from hil.bench import RealtimeSettings, parse_bench
from hil.rt import NOT_PERMITTED, OK, SKIPPED, RtReport, realtime
from hil.runner import run_flight

from .kit import bench_data, running_emulator


def process_state():
    return (os.sched_getscheduler(0), os.sched_getparam(0).sched_priority, os.sched_getaffinity(0),
            gc.isenabled(), gc.get_freeze_count())


@pytest.mark.timeout(60)
def test_short_realtime_run_over_a_pty_pair_reaches_the_expected_modes(tmp_path):
    data = bench_data(tmp_path, mode="realtime", duration_s=15.0)
    # a reply late by scheduling alone is not what this test is about: with the kit's 0.3 s x 2
    # tries, a machine at load 6 (two suites and two busy loops on 2 cores) timed a read out
    # and the zone went to FAULT; a line that waits 2 s x 3 tries still fails a dead device
    data["lines"]["main"].update(timeout_s=2.0, retries=2)
    bench = parse_bench(data, str(tmp_path / "bench.toml"))
    with running_emulator(bench) as em:
        report, log = run_flight(bench)
    assert report.ok, report.result.fault
    assert report.result.stopped_by == "done"
    assert report.modes == {"zone": "DONE"}
    assert em.stats.steps > 1000 and em.stats.advances == 0  # the plant ran on its own clock
    # real time: ~3.5 s of wall time to warm the zone and sweep, not 15 s
    assert 2.0 < report.result.elapsed_ns / 1e9 < 14.0
    # a telemetry packet on every tick that ran (how many ran depends on the machine's load)
    assert log.packets >= report.result.ticks > 0


def test_realtime_setup_is_reported_and_undone():
    before = process_state()
    cpu = sorted(os.sched_getaffinity(0))[-1]
    settings = RealtimeSettings(priority=10, cpus=(cpu,), mlockall=True, gc="freeze", timer_slack_ns=1)
    with realtime(settings) as report:
        assert set(report.steps) == {"sched_fifo", "cpu_affinity", "mlockall", "gc", "timer_slack"}
        assert all(s in (OK, NOT_PERMITTED, "not supported") for s in report.steps.values())
        if report.steps["sched_fifo"] == OK:
            assert os.sched_getscheduler(0) == os.SCHED_FIFO
        if report.steps["cpu_affinity"] == OK:
            assert os.sched_getaffinity(0) == {cpu}
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
    assert process_state() == before


def test_skipped_steps_are_not_a_warning():
    with realtime(RealtimeSettings(priority=0, cpus=(), mlockall=False, gc="on")) as report:
        assert report.steps["sched_fifo"] == SKIPPED and report.steps["gc"] == SKIPPED
        assert report.steps["cpu_affinity"] == SKIPPED and report.steps["mlockall"] == SKIPPED
    assert gc.isenabled()


def test_refused_steps_make_one_clear_warning():
    report = RtReport()
    report.set("sched_fifo", NOT_PERMITTED, "Operation not permitted")
    report.set("mlockall", OK)
    report.set("cpu_affinity", "not supported")
    w = report.warning()
    assert w.startswith("real-time set-up incomplete")
    assert "sched_fifo (not permitted: Operation not permitted)" in w and "cpu_affinity" in w
    assert "mlockall" not in w
    assert RtReport().warning() is None


def test_a_refused_sched_fifo_is_reported_not_raised(monkeypatch):
    def refuse(*a):
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(os, "sched_setscheduler", refuse)
    with realtime(RealtimeSettings(priority=80, mlockall=False, gc="on")) as report:
        assert report.steps["sched_fifo"] == NOT_PERMITTED
        assert "sched_fifo" in report.warning()

"""An emulator that dies or hangs mid-run gives the flight side a clear device fault, fast."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from hil.bench import parse_bench
from hil.runner import run_flight

from .kit import bench_data, pty_bench, running_emulator, write_bench


def after_advances(em, n, action):
    """Run `action` in a thread once the emulator has stepped its plant `n` times."""
    def watch():
        deadline = time.monotonic() + 20
        while em.stats.advances < n and time.monotonic() < deadline:
            time.sleep(0.002)
        action()
    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


@pytest.mark.timeout(60)
def test_emulator_dying_mid_lockstep_run_is_a_clear_device_fault(tmp_path):
    bench = pty_bench(tmp_path, duration_s=30.0, overrides={"setpoint_C": 30.0})  # would never finish
    with running_emulator(bench) as em:
        def die():
            for tr in em.transports.values():
                tr.close()   # the pty master goes away, as when the process is killed
        after_advances(em, 50, die)
        t0 = time.monotonic()
        report, _ = run_flight(bench, mode="lockstep")
    assert time.monotonic() - t0 < 10
    assert not report.ok and report.result.stopped_by == "fault"
    fault = report.result.fault
    # the clock step or a device read saw it first, depending on where in the tick it died
    assert "emulator" in fault and ("did not step" in fault or "disconnected" in fault), fault
    assert 50 <= report.result.ticks < 3000


@pytest.mark.timeout(60)
def test_emulator_hanging_times_out_within_the_line_deadline(tmp_path):
    bench = pty_bench(tmp_path, duration_s=30.0)
    with running_emulator(bench) as em:
        after_advances(em, 20, em.stop)  # threads stop answering, the line stays open
        t0 = time.monotonic()
        report, _ = run_flight(bench, mode="lockstep")
        elapsed = time.monotonic() - t0
    line = bench.lines["main"]
    assert elapsed < 20 * 0.01 + (line.retries + 1) * line.timeout_s + 5
    fault = report.result.fault
    assert fault is not None and report.result.stopped_by == "fault"
    assert ("DeviceTimeout" in fault and "did not step" in fault) or "unanswered" in fault, fault


@pytest.mark.timeout(60)
def test_realtime_flight_sees_a_dead_emulator_as_a_disconnected_line(tmp_path):
    data = bench_data(tmp_path, duration_s=30.0, mode="realtime")
    data["lines"]["main"].update(timeout_s=2.0, retries=2)   # only the disconnection may end it,
    bench = parse_bench(data, str(tmp_path / "bench.toml"))  # not a read late on a loaded machine
    with running_emulator(bench) as em:
        def die():
            time.sleep(0.5)
            for tr in em.transports.values():
                tr.close()
        threading.Thread(target=die, daemon=True).start()
        t0 = time.monotonic()
        report, _ = run_flight(bench, apply_rt=False)
    assert time.monotonic() - t0 < 10
    assert report.result.stopped_by == "fault"
    assert "disconnected" in report.result.fault
    assert report.modes["zone"] == "FAULT"  # the component saw the device fault too


@pytest.mark.timeout(60)
def test_lockstep_flight_against_a_realtime_emulator_is_refused_clearly(tmp_path):
    bench = pty_bench(tmp_path)
    with running_emulator(bench, mode="realtime"):
        report, _ = run_flight(bench, mode="lockstep")
    assert report.result.ticks <= 1
    assert "no plant clock" in report.result.fault


def test_no_emulator_gives_a_clear_error_not_a_hang(tmp_path):
    from hal.errors import DeviceFault
    bench = pty_bench(tmp_path)
    t0 = time.monotonic()
    with pytest.raises(DeviceFault, match="did not appear.*msr hil emulate"):
        run_flight(bench, connect_timeout_s=0.3)
    assert time.monotonic() - t0 < 3


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_killed_emulator_process_ends_the_cli_run_with_a_device_fault(tmp_path):
    # a zone that warms for an hour (a heavy zone, a set-point its fault table accepts: 30 C
    # would trip the demo's temperature-range monitor and safe the zone, ending the run)
    path = write_bench(tmp_path, bench_data(tmp_path, duration_s=600.0,
                                            overrides={"setpoint_C": 5.0, "heat_capacity_J_per_K": 10000.0}))
    msr = [str(Path(sys.executable).with_name("msr"))]
    cwd = Path(__file__).resolve().parents[2]
    run = None
    emu = subprocess.Popen([*msr, "hil", "emulate", "--bench", str(path)], cwd=cwd,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        run = subprocess.Popen([*msr, "hil", "run", "--bench", str(path)], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3.0)
        assert run.poll() is None, run.communicate()
        emu.send_signal(signal.SIGKILL)
        out, err = run.communicate(timeout=20)
    finally:
        for p in (emu, run):
            if p is not None and p.poll() is None:
                p.kill()
            if p is not None:
                p.wait(5)
    assert run.returncode == 1
    assert "device fault" in err and ("did not step" in err or "emulator gone" in err), err

"""`msr hil` commands: bad input gives a clear message and exit code, runs write their files."""
import json

from click.testing import CliRunner

from sim.deployment import run_sil
from msr.cli import cli

from .kit import bench_data, pty_bench, running_emulator, write_bench


def test_check_names_the_bad_entry(tmp_path):
    d = bench_data(tmp_path)
    d["lines"]["main"]["baud"] = 1234
    path = write_bench(tmp_path, d)
    res = CliRunner().invoke(cli, ["hil", "check", "--bench", str(path)])
    assert res.exit_code == 1
    assert "lines.main.baud: unknown baud 1234" in res.output
    assert "Traceback" not in res.output


def test_check_prints_the_wiring(tmp_path):
    path = write_bench(tmp_path, bench_data(tmp_path))
    res = CliRunner().invoke(cli, ["hil", "check", "--bench", str(path)])
    assert res.exit_code == 0, res.output
    assert "imu0" in res.output and "address 3" in res.output


def test_run_against_an_emulator_writes_the_sil_log(tmp_path):
    path = write_bench(tmp_path, bench_data(tmp_path, seed=5))
    bench = pty_bench(tmp_path, seed=5)
    with running_emulator(bench) as em:
        res = CliRunner().invoke(
            cli, ["hil", "run", "--bench", str(path), "--out", str(tmp_path / "out")])
        assert em.wait(10.0)
        ended = dict(em.ended)
    assert res.exit_code == 0, res.output
    assert "stopped by done" in res.output
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["ok"] and run["modes"] == {"zone": "DONE"}
    assert run["protection"]["installed"] and run["protection"]["trips"] == 0   # protected, clean
    sil = run_sil(bench.deployment).log
    assert (tmp_path / "out" / "telemetry.bin").read_bytes() == sil.getvalue()
    # the dictionary beside the log, as SIL writes it, so `msr gds decode DIR/telemetry.bin` works
    assert (tmp_path / "out" / "dictionary.json").read_text() == sil.dictionary().to_json()
    # the board side closing its end is the normal finish, not "read failed: [Errno 5]"
    assert ended == {"main": "flight side finished (closed the line)"}


def test_run_without_an_emulator_fails_cleanly(tmp_path):
    path = write_bench(tmp_path, bench_data(tmp_path))
    res = CliRunner().invoke(cli, ["hil", "run", "--bench", str(path), "--connect-timeout", "0.2"])
    assert res.exit_code == 1
    assert "did not appear" in res.output and "Traceback" not in res.output


def test_timing_command(tmp_path):
    res = CliRunner().invoke(cli, ["hil", "timing", "--rate", "500", "--duration", "0.2", "--out",
                                   str(tmp_path), "--priority", "0", "--no-cyclictest",
                                   "--overrun-every", "2"])
    # every 2nd tick that runs overruns: on a loaded machine most of the 100 grid ticks may be
    # skipped, and with every 30th (the old value) fewer than 15 ran and nothing was injected
    assert res.exit_code == 0, res.output
    assert "latency median" in res.output and (tmp_path / "timing.json").exists()
    data = json.loads((tmp_path / "timing.json").read_text())
    assert data["injected_counted"] == data["injected_overruns"] > 0

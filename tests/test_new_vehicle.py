"""Issue 19's proof: a vehicle made outside this repository is a first-class citizen.

In a temporary directory outside the repository, as a new user would: install the framework
into a fresh venv, `msr new vehicle probe`, install the probe, run its own tests, then fly it
through every command (sil, modes, dict export, faults, montecarlo), a lockstep HIL run over a
pty whose telemetry equals the SIL run's byte for byte, and a deploy bundle that installs
offline and flies the probe on the "board". The quick checks of `msr new` run by default.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from hil.deploy_wheels import SOURCE_IGNORE
from msr.cli import cli

REPO = Path(__file__).resolve().parents[1]


def test_msr_new_refuses_bad_names_and_existing_directories_in_one_line(tmp_path):
    runner = CliRunner()
    for argv, why in ((["vehicle", "Bad-Name"], "lower-case Python identifier"),
                      (["vehicle", "zone"], "already registered"),
                      (["vehicle", "json"], "already importable"),
                      (["component", "pump", "--dir", str(tmp_path)], "not a Python package")):
        res = runner.invoke(cli, ["new", *argv, "--dir", str(tmp_path)] if argv[0] == "vehicle" else ["new", *argv])
        assert res.exit_code == 1 and why in res.output and len(res.output.strip().splitlines()) == 1, res.output
    res = runner.invoke(cli, ["new", "vehicle", "probe_x", "--dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(cli, ["new", "vehicle", "probe_x", "--dir", str(tmp_path)])
    assert res.exit_code == 1 and "already exists" in res.output and "Traceback" not in res.output
    pkg = tmp_path / "probe_x" / "probe_x"
    res = runner.invoke(cli, ["new", "component", "pump", "--dir", str(pkg)])
    assert res.exit_code == 0 and (pkg / "pump.py").is_file()
    assert (tmp_path / "probe_x" / "tests" / "test_pump_modes.py").is_file()
    again = runner.invoke(cli, ["new", "component", "pump", "--dir", str(pkg)])
    assert again.exit_code == 1 and "already exist" in again.output
    text = (tmp_path / "probe_x" / "pyproject.toml").read_text()
    assert 'probe_x = "probe_x.scenario:SCENARIO"' in text and 'probe_x = "probe_x:VEHICLE"' in text


def test_a_generated_component_and_vehicle_import_and_pass_their_mode_tests_in_process(tmp_path, monkeypatch):
    """Without installing: the generated modules import, the component's mode test passes and the
    scenario flies in SIL by its dotted path (what the slow test then does through pip)."""
    assert CliRunner().invoke(cli, ["new", "vehicle", "probe_y", "--dir", str(tmp_path)]).exit_code == 0
    monkeypatch.syspath_prepend(str(tmp_path / "probe_y"))
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_thermostat_modes.py"], cwd=tmp_path / "probe_y", capture_output=True,
                         text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(tmp_path / "probe_y")})
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    from sim.deployment import run_scenario
    summary = run_scenario("probe_y.scenario:SCENARIO", seed=1, out_dir=tmp_path / "run")
    assert summary["success"] and summary["final_mode"] == "HOLD"
    dictionary = json.loads((tmp_path / "run" / "dictionary.json").read_text())
    from sim.registry import assigned_slot
    assert dictionary["vehicles"][0]["apid_base"] == assigned_slot("probe_y")


def _clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "VIRTUAL_ENV", "PYTHONPATH", "PYTEST_", "HYPOTHESIS"))}
    env.update(extra)
    return env


def _base_python():
    return shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}") or \
        os.path.join(sys.base_prefix, "bin", "python3")


def _run(argv, cwd, env, timeout=600):
    res = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, f"{' '.join(map(str, argv))}:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"
    return res.stdout


class Emulator:
    """`msr hil emulate` of a venv as a process, stopped at the end."""

    def __init__(self, msr, bench, cwd, env):
        self.proc = subprocess.Popen([str(msr), "hil", "emulate", "--bench", str(bench)], cwd=cwd, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        assert "emulator ready" in line, line + self.proc.stdout.read()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_new_vehicle_outside_the_repository_flies_through_every_command(tmp_path_factory):
    top = tmp_path_factory.mktemp("newvehicle")
    assert REPO not in top.parents
    env = _clean_env()
    src = top / "msr-fsw-src"            # a clean copy: building in the checkout would leave build/ there
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(*SOURCE_IGNORE))
    _run([_base_python(), "-m", "venv", top / "venv"], top, env)
    py, msr = top / "venv" / "bin" / "python", top / "venv" / "bin" / "msr"
    _run([py, "-m", "pip", "install", "-q", src], top, env, timeout=900)

    _run([msr, "new", "vehicle", "probe"], top, env)
    probe = top / "probe"
    _run([py, "-m", "pip", "install", "-q", f"{probe}[test]"], top, env, timeout=900)
    out = _run([py, "-m", "pytest", "-q", "-p", "no:cacheprovider"], probe, env)
    assert "4 passed" in out

    _run([msr, "sil", "probe", "--seed", "1", "--out", top / "sil"], top, env)
    summary = json.loads((top / "sil" / "summary.json").read_text())
    assert summary["success"] and summary["protection"]["installed"]
    _run([msr, "modes", "probe", "--out", top / "modes"], top, env)
    assert "WARMING --> HOLD: in_band [temp_in_band]" in (top / "modes" / "probe.md").read_text()
    _run([msr, "dict", "export", "--vehicle", "probe", "--format", "xtce", "--out", top / "probe.xml"], top, env)
    from lxml import etree
    root = etree.parse(str(top / "probe.xml")).getroot()
    assert "probe" in root.xpath("//*[local-name()='SpaceSystem']/@name")
    assert "thermostat__channels" in root.xpath("//*[local-name()='SequenceContainer']/@name")
    _run([msr, "faults", "probe", "--out", top / "faults"], top, env)
    f = json.loads((top / "faults" / "faults.json").read_text())["figures"]
    assert f["injected"] == f["detected"] > 0 and not f["false_alarms"]
    _run([msr, "montecarlo", "probe", "--runs", "4", "--workers", "2", "--out", top / "mc", "--no-plots"], top, env)
    report = json.loads((top / "mc" / "montecarlo.json").read_text())
    assert report["n_runs"] == 4 and report["success_rate"] == 1.0

    # lockstep HIL over a pty: the board side writes the very bytes SIL wrote
    bench = top / "bench.toml"
    bench.write_text((probe / "bench.toml").read_text().replace("/tmp/msr-probe-tty", str(top / "fsw-tty")))
    sil_bytes = (top / "sil" / "telemetry.bin").read_bytes()
    with Emulator(msr, bench, top, env):
        _run([msr, "hil", "run", "--bench", bench, "--out", top / "hil"], top, env, timeout=300)
    assert (top / "hil" / "telemetry.bin").read_bytes() == sil_bytes and len(sil_bytes) > 1000

    # the deploy bundle carries the probe's own distribution and installs with no index at all
    _run([msr, "hil", "deploy", "--bench", bench, "--target", top / "bundle"], top, env, timeout=900)
    manifest = json.loads((top / "bundle" / "manifest.json").read_text())
    assert manifest["vehicle_distribution"] == "msr-probe"
    assert any(w["name"] == "msr-probe" for w in manifest["wheels"])
    board = top / "board"
    offline = _clean_env(PIP_NO_INDEX="1", PIP_CONFIG_FILE=os.devnull, PYTHON=_base_python())
    _run([top / "bundle" / "install.sh", board], top, offline, timeout=600)
    where = _run([board / "venv" / "bin" / "python", "-c", "import probe; print(probe.__file__)"], top, offline)
    assert str(board) in where
    with Emulator(msr, bench, top, env):
        _run([board / "venv" / "bin" / "msr", "hil", "run", "--bench", board / "bench.toml", "--out", top / "board-run"],
             top, offline, timeout=300)
    result = json.loads((top / "board-run" / "run.json").read_text())
    assert result["ok"] and result["modes"] == {"thermostat": "HOLD"}
    assert (top / "board-run" / "telemetry.bin").read_bytes() == sil_bytes

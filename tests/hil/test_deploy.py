"""Deploy bundles: refused cleanly before any download when the input is wrong; built,
installed offline into an empty directory and run against the emulator (slow)."""
import json
import os
import shutil
import subprocess
import sys

import pytest

from hil.bench import BenchConfigError
from hil.deploy import DeployError, build_bundle, find_project_dir, runtime_requirements
from hil.deploy_templates import TEMPLATES

from .kit import bench_data, pty_bench, running_emulator, write_bench


def test_bad_bench_or_non_empty_target_fail_before_any_download(tmp_path):
    d = bench_data(tmp_path)
    d["bench"]["mode"] = "warp"
    with pytest.raises(BenchConfigError, match="bench.mode"):
        build_bundle(write_bench(tmp_path, d), tmp_path / "b1")
    good = write_bench(tmp_path, bench_data(tmp_path))
    (tmp_path / "b2").mkdir()
    (tmp_path / "b2" / "junk").write_text("x")
    with pytest.raises(DeployError, match="not empty"):
        build_bundle(good, tmp_path / "b2")


def test_runtime_requirements_have_no_extras_and_project_dir_is_found():
    reqs = runtime_requirements()
    assert any(r.startswith("numpy") for r in reqs) and any(r.startswith("pyserial") for r in reqs)
    assert not any("extra" in r for r in reqs)
    assert (find_project_dir() / "pyproject.toml").is_file()


def test_templates_install_offline_and_keep_the_unit_uninstalled():
    install = TEMPLATES["install.sh"]
    assert "--no-index" in install and "--find-links" in install
    # the unit is installed as a file and the command only printed, never run
    assert not any(ln.strip().startswith(("systemctl", "cp /etc")) for ln in install.splitlines())
    unit = TEMPLATES["msr-fsw.service"]
    assert "msr hil run --bench @PREFIX@/bench.toml" in unit and "LimitRTPRIO" in unit


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_bundle_installs_offline_and_runs_against_the_emulator(tmp_path):
    bench_file = write_bench(tmp_path, bench_data(tmp_path, seed=4))
    bundle = tmp_path / "bundle"
    report = build_bundle(bench_file, bundle)
    assert any(w.file.startswith("msr_fsw-") for w in report.wheels)
    assert any(w.file.startswith("numpy-") for w in report.wheels)
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert "install.sh" in manifest["files"] and "bench.toml" in manifest["files"]

    prefix = tmp_path / "board"          # empty: nothing but what the bundle brings
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV", "PYTHONPATH"))}
    env["PIP_NO_INDEX"] = "1"            # prove the install needs no index
    env["PIP_CONFIG_FILE"] = os.devnull
    base_python = shutil.which(f"python{sys.version_info.major}.{sys.version_info.minor}") or \
        os.path.join(sys.base_prefix, "bin", "python3")
    env["PYTHON"] = base_python
    inst = subprocess.run([str(bundle / "install.sh"), str(prefix)], env=env, capture_output=True,
                          text=True, timeout=600, cwd=tmp_path)
    assert inst.returncode == 0, inst.stderr[-2000:]
    msr = prefix / "venv" / "bin" / "msr"
    assert msr.exists() and (prefix / "msr-fsw.service").exists()
    assert "@PREFIX@" not in (prefix / "msr-fsw.service").read_text()

    bench = pty_bench(tmp_path, seed=4)
    with running_emulator(bench):
        run = subprocess.run([str(msr), "hil", "run", "--bench", str(prefix / "bench.toml"),
                              "--out", str(tmp_path / "out")], env=env, capture_output=True,
                             text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads((tmp_path / "out" / "run.json").read_text())
    assert result["ok"] and result["modes"] == {"zone": "DONE"}
    # the code that ran came from the bundle, not from this source tree
    where = subprocess.run([str(prefix / "venv" / "bin" / "python"), "-c", "import hil; print(hil.__file__)"],
                           env=env, capture_output=True, text=True, cwd=tmp_path).stdout
    assert str(prefix) in where

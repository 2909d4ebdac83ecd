"""The golden telemetry under another Python minor version (slow).

Python 3.12 compensated the builtin `sum()` of floats; before the fixed-order rule
(tests/determinism/test_no_builtin_float_sum.py) fetch and capture gave other bytes under
3.12.1 than under 3.11. This flies those two golden cases under every other CPython >= 3.12
found on the machine (PATH or pyenv) in a fresh venv and checks the hashes in msr/golden.json.
"""
from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def other_pythons() -> list[str]:
    found: dict[str, str] = {}
    candidates = [shutil.which(f"python3.{m}") for m in range(12, 20)]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[2-9]*/bin/python3")))
    for exe in filter(None, candidates):
        try:
            ver = subprocess.run([exe, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                                 capture_output=True, text=True, timeout=30, check=True).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if ver != "%d.%d" % sys.version_info[:2]:
            found.setdefault(ver, exe)
    return [found[v] for v in sorted(found)]


PYTHONS = other_pythons()


@pytest.mark.timeout(1800)
@pytest.mark.skipif(not PYTHONS, reason="no other CPython >= 3.12 on this machine (python3.12 on PATH "
                                        "or `pyenv install 3.12`)")
@pytest.mark.parametrize("python", PYTHONS)
def test_golden_cases_give_the_same_bytes_under_another_python(python: str, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run([str(venv / "bin/python"), "-m", "pip", "install", "--quiet", str(ROOT)],
                         capture_output=True, text=True, timeout=1200)
    if pip.returncode != 0:
        pytest.skip(f"could not install the project under {python}: {pip.stderr.strip().splitlines()[-1:]}")
    res = subprocess.run([str(venv / "bin/msr"), "golden", "check", "--case", "fetch", "--case", "capture",
                          "--jobs", "2"], capture_output=True, text=True, timeout=1500, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 of 2 runs match" in res.stdout

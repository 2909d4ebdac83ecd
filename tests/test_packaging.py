"""Packaging facts the project relies on: layer contracts and the compiled CRC and COBS paths."""
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_layers_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert exe, "import-linter is not installed (the test extra provides it)"
    res = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Contracts: 6 kept, 0 broken" in res.stdout


def test_serial_framing_runs_on_compiled_code_here():
    """The development machine builds cobs from source with its C extension (pure Python is
    ~20-40x slower per frame) and google-crc32c comes as a wheel with its C extension; the
    board bundle reports its own state (`msr hil board-check`)."""
    import google_crc32c
    from cobs import cobs

    assert google_crc32c.implementation == "c", "google-crc32c fell back to pure Python"
    assert cobs.encode.__module__ == "cobs.cobs._cobs_ext", \
        "cobs fell back to pure Python: its C extension did not build (gcc and Python headers needed)"

"""Packaging facts the project relies on: layer contracts and crcmod's C extension."""
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


def test_crcmod_uses_its_c_extension():
    import crcmod.crcmod  # noqa: F401  (the submodule holds the flag)
    assert sys.modules["crcmod.crcmod"]._usingExtension, \
        "crcmod fell back to pure Python (25-35x slower): its C extension did not build"

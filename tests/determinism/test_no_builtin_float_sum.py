"""No builtin `sum()` of floats in flight, simulation or HAL code.

Python 3.12 made the builtin `sum()` of floats compensated (Neumaier): the same code gives other
bits under 3.12 than under 3.11. Measured before this rule: `msr golden check` under Python 3.12.1
gave other telemetry for fetch (rover tracker and dead reckoning, from t = 2.1 s) and capture
(ero/ccrs range and closing rate, from t = 50550 s), while `math` and the libm agreed bit for bit.
Deterministic code sums floats with `fsw.numerics.fixed_sum` (left to right, the pre-3.12 result);
a `sum()` of integers (counts) stays, marked `# integer sum` on its line so a reader and this
test can tell them apart.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("hal", "fsw", "sim")
MARK = "# integer sum"


def builtin_sums(path: Path) -> list[int]:
    """Line numbers of calls to the builtin name `sum` (not `np.sum`, `x.sum()` or `fsum`)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "sum"]


def sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_floats_are_summed_in_a_fixed_order(path: Path) -> None:
    lines = path.read_text().splitlines()
    bad = [f"{path.relative_to(ROOT)}:{n}: {lines[n - 1].strip()}" for n in builtin_sums(path)
           if MARK not in lines[n - 1]]
    assert not bad, ("builtin sum() here (compensated on Python >= 3.12): use fsw.numerics.fixed_sum "
                     f"for floats, or mark a count '{MARK}':\n" + "\n".join(bad))


def test_the_scan_finds_a_sum(tmp_path: Path) -> None:
    f = tmp_path / "m.py"
    f.write_text("import numpy as np\nx = sum(v for v in (0.1, 0.2))\ny = np.sum([1])\nz = a.sum()\n")
    assert builtin_sums(f) == [2]

"""docs/first-vehicle.md runs: every snippet of it, in order.

Python blocks run in one module (`docs_first_vehicle`); a block whose first line is
`# test file: NAME` is a pytest file run with the `sil` fixture; the TOML blocks are a bench
file (checked and used by `msr hil check`) and the entry points, installed here as a real
distribution (a dist-info on PYTHONPATH) around the doc's own code so `msr sil box` finds it;
every `msr` line of the shell blocks runs, with DIR/BENCH/RUN as temporary paths.
"""
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "first-vehicle.md"
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def blocks(lang: str) -> list[str]:
    return [body for kind, body in FENCE.findall(DOC.read_text()) if kind == lang]


def module_code() -> str:
    return "\n\n".join(b for b in blocks("python") if not b.startswith("# test file:"))


def msr(args: list[str], cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess:
    res = subprocess.run([sys.executable, "-c", "from msr.cli import main; main()", *args], cwd=cwd,
                         capture_output=True, text=True, timeout=300, env={"PYTHONPATH": str(pythonpath),
                                                                           "PATH": "/usr/bin:/bin"})
    assert res.returncode == 0, f"msr {' '.join(args)}:\n{res.stdout}\n{res.stderr}"
    return res


def test_the_python_snippets_run_in_order_and_the_sil_fixture_snippet_passes(tmp_path):
    code = module_code()
    (tmp_path / "docs_first_vehicle.py").write_text(code)
    tests = [b for b in blocks("python") if b.startswith("# test file:")]
    assert tests
    for body in tests:
        name = body.splitlines()[0].split(":", 1)[1].strip()
        (tmp_path / name).write_text(body)
    res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(
        b.splitlines()[0].split(":", 1)[1].strip() for b in tests)], cwd=tmp_path, capture_output=True, text=True,
        timeout=300, env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "HYPOTHESIS_PROFILE": "ci"})
    assert res.returncode == 0 and f"{len(tests)} passed" in res.stdout, res.stdout[-3000:] + res.stderr[-2000:]
    assert ", ok" in subprocess.run([sys.executable, "docs_first_vehicle.py"], cwd=tmp_path,
                                               capture_output=True, text=True, timeout=300).stdout


def test_the_entry_points_snippet_registers_the_docs_vehicle_for_every_command(tmp_path):
    points = next(tomllib.loads(b) for b in blocks("toml") if "entry-points" in b)["project"]["entry-points"]
    site = tmp_path / "site"
    pkg = site / "box_vehicle"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(module_code())
    (pkg / "scenario.py").write_text("from box_vehicle import BOX_SCENARIO  # noqa: F401\n")
    info = site / "box_vehicle-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: box-vehicle\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{k} = {v}\n" for k, v in items.items()) for group, items in points.items()))
    out = msr(["sil", "box", "--seed", "1", "--out", str(tmp_path / "run")], tmp_path, site).stdout
    assert "box: " in out and ", ok" in out
    msr(["sil", "box_vehicle.scenario:BOX_SCENARIO", "--seed", "1", "--out", str(tmp_path / "run2")], tmp_path, site)
    assert (tmp_path / "run" / "telemetry.bin").read_bytes() == (tmp_path / "run2" / "telemetry.bin").read_bytes()
    msr(["modes", "box", "--out", str(tmp_path / "modes")], tmp_path, site)
    assert "HEATING --> RESTING: warm [above_setpoint]" in (tmp_path / "modes" / "box.md").read_text()
    msr(["gds", "decode", str(tmp_path / "run" / "telemetry.bin"), "--format", "csv"], tmp_path, site)


def test_the_bench_and_shell_snippets_run(tmp_path):
    bench_text = next(b for b in blocks("toml") if "[bench]" in b)
    bench = tmp_path / "bench.toml"
    bench.write_text(bench_text)
    lines = [ln for b in blocks("sh") for ln in b.splitlines() if ln.startswith("msr ")]
    assert len(lines) >= 5
    for line in lines:
        args = line.split()[1:]
        args = [a.replace("DIR", str(tmp_path / "dir")).replace("BENCH", str(bench)).replace("RUN", str(tmp_path / "run"))
                for a in args]
        (tmp_path / "dir").mkdir(exist_ok=True)
        msr(args, tmp_path, tmp_path)
    assert (tmp_path / "dir" / "probe" / "probe" / "pump.py").is_file()
    assert (tmp_path / "run" / "zone.xml").is_file() and (tmp_path / "run" / "zone.md").is_file()
    assert textwrap.dedent(bench_text).startswith("[bench]")

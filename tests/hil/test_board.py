"""The flight side on an (emulated) aarch64 board, the bench emulator on this x86 machine.

An aarch64 bundle is built here for the landing bench (so it carries the landing's onboard
site map and orbital map products, made by the ground on this machine), installed offline (network unshared) into
a Debian bookworm arm64 image run under qemu-user (tools/board/board-image.sh), and `msr hil
run` flies the whole ascent and the landing in lockstep over pty pairs against `msr hil
emulate`'s plant on this machine. The board's telemetry log must be byte-identical to the
x86 SIL run; where it is not, the message says at which packet and channel the two part.
Then `msr golden check` runs on the board: landing, ascent and fetch in SIL, plant and
flight both on aarch64, against the golden hashes (capture, ~7 min emulated, and the
campaign do not fit the ~10 min budget: run them by hand, see docs/board.md).
Skipped, with the reason, where the machine cannot register binfmt or build the image
(not root, no apt, a container).
"""
from __future__ import annotations

import hashlib
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hil.deploy import build_bundle
from sim.deployment import run_sil

from .board import BENCHES, BoardUnavailable, first_difference, host_bench, unpack_board
from .kit import running_emulator

TIMINGS: dict[str, float] = {}
HASHES: dict[str, dict[str, str]] = {}      # scenario -> {"x86 SIL": sha, "aarch64 board (HIL)": sha, ...}
PREFIX = "/opt/msr"
BUNDLE_BENCH = "landing-pty.toml"           # the bench with a ground product: deploy must carry it
BOARD_GOLDEN = ("landing", "ascent", "fetch")
LANDING_PRODUCTS = {"onboard_map", "orbital_map"}    # the site map and TRN's orbital map


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "aarch64"):
        pytest.skip(f"the board image needs a Linux x86_64/aarch64 host, this is {sys.platform} {platform.machine()}")
    tmp = tmp_path_factory.mktemp("board")
    t0 = time.perf_counter()
    try:
        b = unpack_board(tmp / "root")
    except BoardUnavailable as exc:
        pytest.skip(f"no emulated aarch64 board here: {exc}")
    TIMINGS["image unpack (cached) s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = build_bundle(BENCHES / BUNDLE_BENCH, b.host_path("/opt/bundle"), platform="aarch64")
    TIMINGS["aarch64 bundle build s"] = time.perf_counter() - t0
    assert {w.name for w in report.wheels} >= {"msr-fsw", "numpy", "google-crc32c", "cobs"}
    assert all(w.platform == "any" or "aarch64" in w.platform for w in report.wheels)
    assert set(report.products) == LANDING_PRODUCTS
    t0 = time.perf_counter()
    inst = b.run("/opt/bundle/install.sh", PREFIX)       # offline: the network is unshared
    TIMINGS["offline install on the board s"] = time.perf_counter() - t0
    assert inst.returncode == 0, inst.stdout[-3000:] + inst.stderr[-3000:]
    assert "board check: ready" in inst.stdout and "aarch64" in inst.stdout, inst.stdout
    for setting in LANDING_PRODUCTS:                        # installed and their CRCs good
        assert f"ok       product {setting}" in inst.stdout, inst.stdout
    yield b
    print("\nboard test timings: " + ", ".join(f"{k} {v:.1f}" for k, v in TIMINGS.items()))
    if HASHES:
        cols = sorted({c for row in HASHES.values() for c in row})
        print("telemetry sha256 (first 16 hex digits): scenario | " + " | ".join(cols))
        for scenario, row in HASHES.items():
            print(f"  {scenario:8s} | " + " | ".join(row.get(c, "-")[:16].ljust(16) for c in cols))
    shutil.rmtree(b.root, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("scenario", ["ascent", "landing"])
def test_flight_side_on_the_aarch64_board_writes_the_x86_sil_log(board, scenario):
    example = BENCHES / f"{scenario}-pty.toml"
    bench = host_bench(example, board)
    t0 = time.perf_counter()
    sil = run_sil(bench.deployment)
    TIMINGS[f"{scenario} x86 SIL s"] = time.perf_counter() - t0
    sil_bytes = sil.log.getvalue()

    shutil.copyfile(example, board.host_path(f"{PREFIX}/{scenario}.toml"))   # the example, verbatim
    out = f"{PREFIX}/runs/{scenario}"
    t0 = time.perf_counter()
    with running_emulator(bench) as em:
        proc = board.run(f"{PREFIX}/venv/bin/msr", "hil", "run", "--bench", f"{PREFIX}/{scenario}.toml",
                         "--out", out, timeout=1500)
    TIMINGS[f"{scenario} aarch64 board run s"] = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    run = json.loads(board.host_path(f"{out}/run.json").read_text())
    board_bytes = board.host_path(f"{out}/telemetry.bin").read_bytes()
    fp = run["footprint"]
    print(f"\n{scenario}: x86 SIL sha256 {_sha(sil_bytes)}, aarch64 board sha256 {_sha(board_bytes)}; "
          f"{run['result']['ticks']} ticks, {em.stats.advances} clock steps; board footprint: peak RSS "
          f"{fp['peak_rss_mb']} MB (qemu included), first tick {fp['start_to_first_tick_s']} s, "
          f"CPU per tick {fp['cpu_per_tick']['tick']}")
    HASHES.setdefault(scenario, {}).update({"x86 SIL": _sha(sil_bytes), "aarch64 board (HIL)": _sha(board_bytes)})
    if scenario == "landing":    # the maps: the bundle's products, loaded, not made on the board
        assert run["products"] == {k: f"deployed: {PREFIX}/products/{n}" for k, n in bench.deployment.products().items()}
        assert set(run["products"]) == LANDING_PRODUCTS
    assert run["ok"] and run["slips"] == 0
    assert _sha(board_bytes) == _sha(sil_bytes), (
        f"{scenario}: the aarch64 board's telemetry differs from x86 SIL:\n"
        + first_difference(sil_bytes, board_bytes, sil.log.dictionary()))
    assert run["result"]["ticks"] == sil.result.ticks and run["result"]["stopped_by"] == sil.result.stopped_by


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_golden_check_on_the_board_gives_the_x86_hashes(board):
    """Plant and flight both on aarch64 (SIL on the board): `msr golden check` as a person types
    it there, the x86-only variants reported as skipped, every case on its golden hash."""
    from msr.golden import load
    golden = load()
    args = [a for c in BOARD_GOLDEN for a in ("--case", c)]
    t0 = time.perf_counter()
    proc = board.run(f"{PREFIX}/venv/bin/msr", "golden", "check", "--variants", "--jobs", "2", *args, timeout=1100)
    TIMINGS["golden check on the board s"] = time.perf_counter() - t0
    print("\n" + proc.stdout)
    assert "machine aarch64" in proc.stdout
    assert "skipped variant blas-haswell: OpenBLAS x86 kernel on another architecture" in proc.stdout
    for case in BOARD_GOLDEN:
        row = next((ln.split() for ln in proc.stdout.splitlines() if ln.startswith(f"{case} ")), None)
        assert row is not None, proc.stdout + proc.stderr
        HASHES.setdefault(case, {})["aarch64 board (SIL)"] = row[2]
        HASHES[case]["golden (x86 SIL)"] = golden[case]
        assert row[2] == golden[case] and row[3] == "ok", proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_host_bench_puts_the_pty_links_inside_the_board(tmp_path):
    """The emulator on the host links each line's pty where the board's chroot looks for it."""
    from .board import Board
    b = Board(tmp_path / "root")
    bench = host_bench(BENCHES / "ascent-pty.toml", b)
    assert set(bench.lines) == {"gnc", "thermal"}
    for line in bench.lines.values():
        assert line.makes_pty and line.port.startswith(str(tmp_path / "root" / "tmp"))


def test_first_difference_names_the_packet_and_channel():
    from fsw.link.log import TelemetryLogWriter
    from sim.deployment import Deployment
    a = run_sil(Deployment("zone", 7)).log
    b = run_sil(Deployment("zone", 8)).log
    text = first_difference(a.getvalue(), b.getvalue(), a.dictionary())
    assert "first difference at packet" in text and "samples differ, first at t=" in text
    same = first_difference(a.getvalue(), a.getvalue(), a.dictionary())
    assert "no packet differs" in same
    assert isinstance(a, TelemetryLogWriter)


def test_board_script_says_why_when_it_cannot(tmp_path):
    """Asked to run in a directory that is no board image, it refuses in one line."""
    from .board import BOARD_SCRIPT
    proc = subprocess.run([str(BOARD_SCRIPT), "run", str(tmp_path), "/bin/true"], capture_output=True, text=True)
    assert proc.returncode == 2 and "not an unpacked board image" in proc.stderr
    proc = subprocess.run([str(BOARD_SCRIPT), "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2 and "board-image.sh setup" in proc.stderr
    assert Path(BOARD_SCRIPT).stat().st_mode & 0o111
